// What one run records, as bench/results/*.json holds it: the samples of every round, the settings, and the medians
// and ratios summarize() (results-summary.ts) fills in. Markdown is rendered from this alone (results.ts).
import type { AltId, Offloads } from './alternatives.js';
import type { Judged } from './daemon-report.js';

export interface Sample {
  readonly round: number;
  readonly alt: AltId;
  readonly offloads: Offloads;
  readonly children: number;
  rttP50Us?: number;
  rttP99Us?: number;
  rttLost?: number;
  /** Sparse round trips (one every 10 ms): child→child and child→outside. */
  sparseP50Us?: number;
  sparseP99Us?: number;
  sparseOutP50Us?: number;
  sparseOutP99Us?: number;
  /** The forwarder process (all threads) idle with the bench topology: % of one core. */
  idleCpuPct?: number;
  /** umacvlan: start → ready, SIGTERM → exit (s), the process's RSS (KiB), main thread idle (% of a core). */
  startupSeconds?: number;
  stopSeconds?: number;
  rssKiB?: number;
  idleMainPct?: number;
  /** Capture on: 64-byte frames/s at a paced rate, and the capture's lost frames (ring + writer) at that rate and at
   *  full rate. */
  pacedFramesPerSecond?: number;
  captureLostPaced?: number;
  captureLostFull?: number;
  /** 64-byte frames per second reaching the receiver's UDP layer. */
  framesPerSecond?: number;
  framesOnDevice?: number;
  framesOffered?: number;
  /** CPU seconds of the userspace forwarder(s) per million frames delivered. */
  cpuSecondsPerMillion?: number;
  tcpChildBps?: number;
  tcpOutsideBps?: number;
  tcpChildRetransmits?: number;
  tcpOutsideRetransmits?: number;
  /** --trace-gc events in the daemon's data-path worker during the frame load and during both TCP loads. */
  gcFrames?: number;
  gcTcp?: number;
  /** --trace-gc events in the daemon's main (control) thread during all of this sample's loads. */
  gcMain?: number;
  gcByIsolate?: Record<string, number>;
  features?: Record<string, string>;
  seconds?: number;
  /** Seconds per step (deploy, reachable, each measure, teardown): where a slow run spends its time. */
  timings?: Record<string, number>;
  /** Set when the alternative could not be deployed at all: why. */
  notStarted?: string;
  errors: string[];
}

export type Metric = 'tcpChildBps' | 'tcpOutsideBps' | 'framesPerSecond' | 'rttP50Us' | 'rttP99Us'
  | 'cpuSecondsPerMillion' | 'gcFrames' | 'gcTcp' | 'gcMain'
  | 'sparseP50Us' | 'sparseP99Us' | 'sparseOutP50Us' | 'sparseOutP99Us' | 'idleCpuPct';

export interface Settings {
  readonly rounds: number;
  readonly quick: boolean;
  readonly tcpSeconds: number;
  readonly framesSeconds: number;
  readonly warmupMs: number;
  readonly rttCount: number;
  readonly scale: readonly number[];
  readonly alternatives: readonly AltId[];
  /** Measures taken with default offloads (all of them in a full run; TCP only in a quick one). */
  readonly defaultOffloadMeasures: 'all' | 'tcp';
  /** Rounds that measure sparse round trips (SPARSE in sample.ts) on the offloads-off samples of the kernel and
   *  umacvlan rows (0: none). */
  readonly sparseRounds: number;
  /** Length of the idle-CPU window (once per run, umacvlan rows, offloads off). */
  readonly idleSeconds: number;
  /** Rounds that measure the scale steps up to 256 children; larger steps are measured once. */
  readonly scaleRounds: number;
  /** The once-per-run rows (--mac-nat, capture on) and the daemon rows. */
  readonly once: boolean;
  readonly daemonRows: boolean;
  /** --scale-only: the scale steps alone (no main table, ratios, once-per-run or daemon rows) */
  readonly scaleOnly?: boolean;
}

export interface RunResults {
  readonly schema: 'umacvlan-system-bench/1';
  readonly command: string;
  readonly startedAt: string;
  finishedAt?: string;
  /** false when the run was interrupted or stopped early: the medians cover the rounds done. */
  complete: boolean;
  interrupted?: string;
  readonly machine: Record<string, string | number>;
  readonly settings: Settings;
  readonly offloadsOff: string;
  readonly unavailable: Partial<Record<AltId, string>>;
  readonly samples: Sample[];
  readonly scale: Sample[];
  /** Every command of the first round, in order, duplicates removed (later rounds repeat them). */
  commands: string[];
  medians?: Record<string, Partial<Record<Metric, Stat>>>;
  ratios?: Ratio[];
  scaleMedians?: {
    children: number; alt: AltId; framesPerSecond?: Stat; cpuSecondsPerMillion?: Stat; gcFrames?: Stat; gcMain?: Stat;
    startupSeconds?: Stat; stopSeconds?: Stat; rssKiB?: Stat; idleMainPct?: Stat;
  }[];
  /** The daemon rows (bench/system/daemon-*.ts), measured once per bench. */
  daemonRows?: Judged[];
  /** umacvlan's back-to-back RTT p50 of bench/results/baseline.json, offloads off (the "not worse" target's base). */
  baselineRttP50Us?: number;
}

export interface Stat { readonly median: number; readonly min: number; readonly max: number; readonly n: number }
export interface Ratio {
  readonly name: string;
  readonly offloads: Offloads;
  readonly over: AltId;
  readonly under: AltId;
  readonly values: Partial<Record<Metric, number>>;
}
