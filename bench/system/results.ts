// What one run produces: the samples of every round, their medians, the ratios the issue asks for, and the
// Markdown and JSON files under bench/results/. Rendering is pure: the same JSON renders the same Markdown.
import { ALTERNATIVES, type AltId, type Offloads } from './alternatives.js';
import type { Judged } from './daemon-report.js';
import { renderExtras, renderTargets } from './results-extra.js';
import { renderScale } from './results-scale.js';

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

const METRICS: readonly Metric[] = ['tcpChildBps', 'tcpOutsideBps', 'framesPerSecond', 'rttP50Us', 'rttP99Us',
  'cpuSecondsPerMillion', 'gcFrames', 'gcTcp', 'gcMain', 'sparseP50Us', 'sparseP99Us', 'sparseOutP50Us', 'sparseOutP99Us',
  'idleCpuPct'];
const RATIO_METRICS: readonly Metric[] = ['tcpChildBps', 'tcpOutsideBps', 'framesPerSecond', 'rttP50Us', 'rttP99Us',
  'sparseP50Us', 'sparseP99Us', 'sparseOutP50Us', 'sparseOutP99Us'];

export function stat(values: readonly number[]): Stat | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

export function key(alt: AltId, offloads: Offloads): string {
  return `${alt}/${offloads}`;
}

const RATIOS: readonly { name: string; over: AltId; under: AltId }[] = [
  { name: 'umacvlan / kernel macvlan (bridge)', over: 'umacvlan-bridge', under: 'kernel-bridge' },
  { name: 'umacvlan / direct veth', over: 'umacvlan-bridge', under: 'veth' },
  { name: 'umacvlan / vde_switch', over: 'umacvlan-bridge', under: 'vde' },
  { name: 'umacvlan / kernel macvlan (VEPA)', over: 'umacvlan-vepa', under: 'kernel-vepa' },
  { name: 'kernel macvlan / vde_switch', over: 'kernel-bridge', under: 'vde' },
  { name: 'umacvlan --mac-nat / kernel macvlan (bridge)', over: 'umacvlan-macnat', under: 'kernel-bridge' },
  { name: 'umacvlan --mac-nat / umacvlan (bridge)', over: 'umacvlan-macnat', under: 'umacvlan-bridge' },
  { name: 'umacvlan capture on / off (bridge)', over: 'umacvlan-capture', under: 'umacvlan-bridge' },
];

/** Fills in medians, ratios and scale medians from the samples. */
export function summarize(r: RunResults): void {
  const medians: Record<string, Partial<Record<Metric, Stat>>> = {};
  for (const { id } of ALTERNATIVES) {
    for (const off of ['off', 'default'] as const) {
      const rows = r.samples.filter((s) => s.alt === id && s.offloads === off);
      const m: Partial<Record<Metric, Stat>> = {};
      for (const metric of METRICS) {
        const st = stat(rows.map((s) => s[metric]).filter((v): v is number => typeof v === 'number'));
        if (st) m[metric] = st;
      }
      if (Object.keys(m).length > 0) medians[key(id, off)] = m;
    }
  }
  r.medians = medians;
  r.ratios = [];
  for (const off of ['off', 'default'] as const) {
    for (const q of RATIOS) {
      const a = medians[key(q.over, off)];
      const b = medians[key(q.under, off)];
      if (!a || !b) continue;
      const values: Partial<Record<Metric, number>> = {};
      for (const metric of RATIO_METRICS) {
        const x = a[metric]?.median;
        const y = b[metric]?.median;
        if (x !== undefined && y !== undefined && y > 0) values[metric] = x / y;
      }
      r.ratios.push({ ...q, offloads: off, values });
    }
  }
  r.scaleMedians = [];
  for (const n of [...new Set(r.scale.map((s) => s.children))].sort((x, y) => x - y)) {
    for (const alt of [...new Set(r.scale.map((s) => s.alt))]) {
      const rows = r.scale.filter((s) => s.children === n && s.alt === alt);
      const nums = (f: (s: Sample) => number | undefined): number[] => rows.map(f).filter((v): v is number => v !== undefined);
      r.scaleMedians.push({
        children: n, alt,
        framesPerSecond: stat(nums((s) => s.framesPerSecond)),
        cpuSecondsPerMillion: stat(nums((s) => s.cpuSecondsPerMillion)),
        gcFrames: stat(nums((s) => s.gcFrames)),
        gcMain: stat(nums((s) => s.gcMain)),
        startupSeconds: stat(nums((s) => s.startupSeconds)),
        stopSeconds: stat(nums((s) => s.stopSeconds)),
        rssKiB: stat(nums((s) => s.rssKiB)),
        idleMainPct: stat(nums((s) => s.idleMainPct)),
      });
    }
  }
}

// ---- Markdown ----

const LABEL = Object.fromEntries(ALTERNATIVES.map((a) => [a.id, a.label])) as Record<AltId, string>;

const COLUMNS: readonly { metric: Metric; head: string; fmt: (v: number) => string }[] = [
  { metric: 'tcpChildBps', head: 'TCP child→child Gb/s', fmt: (v) => (v / 1e9).toFixed(2) },
  { metric: 'tcpOutsideBps', head: 'TCP child→outside Gb/s', fmt: (v) => (v / 1e9).toFixed(2) },
  { metric: 'framesPerSecond', head: '64-B frames/s child→child (k)', fmt: (v) => (v / 1e3).toFixed(0) },
  { metric: 'rttP50Us', head: 'RTT p50 µs', fmt: (v) => v.toFixed(0) },
  { metric: 'rttP99Us', head: 'RTT p99 µs', fmt: (v) => v.toFixed(0) },
  { metric: 'cpuSecondsPerMillion', head: 'forwarder CPU s / M frames', fmt: (v) => v.toFixed(2) },
  { metric: 'gcFrames', head: 'GC data-path worker (frames load)', fmt: (v) => v.toFixed(0) },
  { metric: 'gcTcp', head: 'GC data-path worker (TCP loads)', fmt: (v) => v.toFixed(0) },
  { metric: 'gcMain', head: 'GC main thread (all loads)', fmt: (v) => v.toFixed(0) },
  { metric: 'sparseP50Us', head: 'sparse RTT c→c p50 µs', fmt: (v) => v.toFixed(0) },
  { metric: 'sparseP99Us', head: 'sparse RTT c→c p99 µs', fmt: (v) => v.toFixed(0) },
  { metric: 'sparseOutP50Us', head: 'sparse RTT c→o p50 µs', fmt: (v) => v.toFixed(0) },
  { metric: 'sparseOutP99Us', head: 'sparse RTT c→o p99 µs', fmt: (v) => v.toFixed(0) },
  { metric: 'idleCpuPct', head: 'idle CPU, % of a core (10 s)', fmt: (v) => v.toFixed(2) },
];

export function cell(st: Stat | undefined, fmt: (v: number) => string): string {
  if (!st) return '–';
  if (st.n === 1 || st.min === st.max) return fmt(st.median);
  return `${fmt(st.median)} <sub>${fmt(st.min)}–${fmt(st.max)}</sub>`;
}

export function ratioCell(v: number | undefined): string {
  return v === undefined ? '–' : `${v.toFixed(2)}×`;
}

export function renderMarkdown(r: RunResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# umacvlan system bench — ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC${r.complete ? '' : ' (partial)'}`);
  out.push('');
  out.push(`Machine: ${m.cores} cores (${m.cpu}), kernel ${m.kernel}, Node ${m.node}; ${m.iperf3}; ${m.trafgen}; ${m.vde}; `
    + `commit ${m.commit}. Load average (1, 5, 15 min) at start ${m.loadavgStart}, at end ${m.loadavgEnd ?? '?'}: `
    + 'whatever else ran on the machine widens the min–max spread and falls on all alternatives alike.');
  const stopped = r.complete ? '' : ` (stopped: ${r.interrupted ?? 'early'})`;
  if (r.settings.scaleOnly) {
    out.push(`Run: \`${r.command}\` — the scale measure alone (--scale-only), ${r.settings.scaleRounds} round(s) of the steps up `
      + `to 256 children and one of the larger steps${stopped}, kernel macvlan and umacvlan alternated (rotated start), frames `
      + `counted over ${r.settings.framesSeconds} s after a ${r.settings.warmupMs} ms warm-up. `
      + 'Each cell: median over rounds, <sub>min–max</sub> below it.');
  } else {
    out.push(`Run: \`${r.command}\` — ${r.settings.rounds} rounds${stopped}, `
      + `alternatives alternated inside each round (rotated start), TCP ${r.settings.tcpSeconds} s per transfer, frames counted `
      + `over ${r.settings.framesSeconds} s after a ${r.settings.warmupMs} ms warm-up, ${r.settings.rttCount} round trips. `
      + 'Each cell: median over rounds, <sub>min–max</sub> below it.');
  }
  if (r.settings.scaleOnly) {
    out.push(`Offloads "off" = \`ethtool -K DEV ${r.offloadsOff}\` on both ends of the parent's wire. Children a and b `
      + 'know each other\'s MAC (permanent neighbour entries), as in every scale step of a full run; the other children only '
      + 'fill the parent\'s table.');
  } else {
    out.push(`Offloads "off" = \`ethtool -K DEV ${r.offloadsOff}\` on both ends of the parent's wire (for the direct veth: `
      + 'on both veth pairs); "default" = as the kernel creates the veths. The children keep their own offloads (read back at '
      + 'the end of this file): "off" matters most for child→outside.');
  }
  out.push('');
  if (!r.settings.scaleOnly) out.push(...renderMain(r));
  out.push(...renderTargets(r));
  out.push(...renderScale(r));
  out.push(...renderExtras(r));
  out.push(...renderTail(r));
  return out.join('\n');
}

/** The per-alternative tables (offloads off, default) and the ratios of their medians. */
function renderMain(r: RunResults): string[] {
  const out: string[] = [];
  for (const off of ['off', 'default'] as const) {
    out.push(`## Offloads ${off} on the parent's wire`);
    out.push('');
    // A column nobody measured with these offloads (sparse RTT and idle CPU are measured with offloads off) is left out.
    const cols = COLUMNS.filter((c, i) => i < 9 || Object.entries(r.medians ?? {}).some(([k, m]) => k.endsWith(`/${off}`) && m[c.metric]));
    out.push(`| alternative | ${cols.map((c) => c.head).join(' | ')} |`);
    out.push(`|---|${cols.map(() => '--:').join('|')}|`);
    for (const { id, once } of ALTERNATIVES) {
      if (!r.settings.alternatives.includes(id) || (once && off !== 'off')) continue;
      const why = r.unavailable[id];
      if (why) {
        out.push(`| ${LABEL[id]} | not available: ${why} |${cols.slice(1).map(() => '').join(' |')} |`);
        continue;
      }
      const med = r.medians?.[key(id, off)];
      out.push(`| ${LABEL[id]} | ${cols.map((c) => cell(med?.[c.metric], c.fmt)).join(' | ')} |`);
    }
    out.push('');
  }
  out.push('## Ratios of medians');
  out.push('');
  out.push('Throughput and frame rate: higher is better (1.00× = as fast). RTT: lower is better (4.00× = four times as slow).');
  out.push('');
  out.push('| ratio | offloads | TCP child→child | TCP child→outside | 64-B frames/s | RTT p50 | RTT p99 '
    + '| sparse RTT c→c p50 | sparse c→c p99 | sparse c→o p50 | sparse c→o p99 |');
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const q of r.ratios ?? []) {
    const v = q.values;
    out.push(`| ${q.name} | ${q.offloads} | ${ratioCell(v.tcpChildBps)} | ${ratioCell(v.tcpOutsideBps)} | `
      + `${ratioCell(v.framesPerSecond)} | ${ratioCell(v.rttP50Us)} | ${ratioCell(v.rttP99Us)} | ${ratioCell(v.sparseP50Us)} | `
      + `${ratioCell(v.sparseP99Us)} | ${ratioCell(v.sparseOutP50Us)} | ${ratioCell(v.sparseOutP99Us)} |`);
  }
  if ((r.ratios ?? []).length === 0) out.push('| (no pair measured on both sides) | | | | | | | | | | |');
  out.push('');
  return out;
}

/** Errors, the offloads read back, the commands. */
function renderTail(r: RunResults): string[] {
  const out: string[] = [];
  const errs = [...r.samples, ...r.scale].filter((s) => s.errors.length > 0);
  if (errs.length > 0) {
    out.push('## Errors');
    out.push('');
    for (const s of errs) {
      out.push(`- round ${s.round}, ${LABEL[s.alt]}, offloads ${s.offloads}, ${s.children} children: ${s.errors.join('; ')}`);
    }
    out.push('');
  }
  const featureRows: string[] = [];
  for (const { id } of ALTERNATIVES) {
    for (const off of ['off', 'default'] as const) {
      const f = r.samples.find((s) => s.alt === id && s.offloads === off && s.features)?.features;
      if (f) featureRows.push(`- ${LABEL[id]}, offloads ${off}: ${Object.entries(f).map(([d, t]) => `${d}: ${t}`).join('; ')}`);
    }
  }
  if (featureRows.length > 0) {
    out.push('## Offloads read back (ethtool -k: the wire\'s two ends, then child a)');
    out.push('');
    out.push(...featureRows);
    out.push('');
  }
  out.push('## Commands (first round, in order, repeats removed)');
  out.push('');
  out.push('<details><summary>' + `${r.commands.length} commands` + '</summary>');
  out.push('');
  out.push('```');
  out.push(...r.commands.map(shortCommand));
  out.push('```');
  out.push('</details>');
  out.push('');
  return out;
}

/** A command with thousands of --child arguments (the scale steps) shown with its first and last few. */
function shortCommand(c: string): string {
  const parts = c.split(' --child ');
  if (parts.length <= 8) return c;
  return [...parts.slice(0, 4), `… ${parts.length - 6} more --child …`, ...parts.slice(-2)].join(' --child ');
}
