// What one run produces: the samples of every round, their medians, the ratios the issue asks for, and the
// Markdown and JSON files under bench/results/. Rendering is pure: the same JSON renders the same Markdown.
import { ALTERNATIVES, type AltId, type Offloads } from './alternatives.js';

export interface Sample {
  readonly round: number;
  readonly alt: AltId;
  readonly offloads: Offloads;
  readonly children: number;
  rttP50Us?: number;
  rttP99Us?: number;
  rttLost?: number;
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
  | 'cpuSecondsPerMillion' | 'gcFrames' | 'gcTcp' | 'gcMain';

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
  }[];
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
  'cpuSecondsPerMillion', 'gcFrames', 'gcTcp', 'gcMain'];
const RATIO_METRICS: readonly Metric[] = ['tcpChildBps', 'tcpOutsideBps', 'framesPerSecond', 'rttP50Us', 'rttP99Us'];

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
  { name: 'umacvlan --mac-nat / umacvlan (bridge)', over: 'umacvlan-macnat', under: 'umacvlan-bridge' },
  { name: 'umacvlan / direct veth', over: 'umacvlan-bridge', under: 'veth' },
  { name: 'umacvlan / vde_switch', over: 'umacvlan-bridge', under: 'vde' },
  { name: 'umacvlan / kernel macvlan (VEPA)', over: 'umacvlan-vepa', under: 'kernel-vepa' },
  { name: 'kernel macvlan / vde_switch', over: 'kernel-bridge', under: 'vde' },
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
];

function cell(st: Stat | undefined, fmt: (v: number) => string): string {
  if (!st) return '–';
  if (st.n === 1 || st.min === st.max) return fmt(st.median);
  return `${fmt(st.median)} <sub>${fmt(st.min)}–${fmt(st.max)}</sub>`;
}

function ratioCell(v: number | undefined): string {
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
  out.push(`Run: \`${r.command}\` — ${r.settings.rounds} rounds${r.complete ? '' : ` (stopped: ${r.interrupted ?? 'early'})`}, `
    + `alternatives alternated inside each round (rotated start), TCP ${r.settings.tcpSeconds} s per transfer, frames counted `
    + `over ${r.settings.framesSeconds} s after a ${r.settings.warmupMs} ms warm-up, ${r.settings.rttCount} round trips. `
    + 'Each cell: median over rounds, <sub>min–max</sub> below it.');
  out.push(`Offloads "off" = \`ethtool -K DEV ${r.offloadsOff}\` on both ends of the parent's wire (for the direct veth: `
    + 'on both veth pairs); "default" = as the kernel creates the veths. The children keep their own offloads (read back at '
    + 'the end of this file): "off" matters most for child→outside.');
  out.push('');
  for (const off of ['off', 'default'] as const) {
    out.push(`## Offloads ${off} on the parent's wire`);
    out.push('');
    out.push(`| alternative | ${COLUMNS.map((c) => c.head).join(' | ')} |`);
    out.push(`|---|${COLUMNS.map(() => '--:').join('|')}|`);
    for (const { id } of ALTERNATIVES) {
      if (!r.settings.alternatives.includes(id)) continue;
      const why = r.unavailable[id];
      if (why) {
        out.push(`| ${LABEL[id]} | not available: ${why} |${COLUMNS.slice(1).map(() => '').join(' |')} |`);
        continue;
      }
      const med = r.medians?.[key(id, off)];
      out.push(`| ${LABEL[id]} | ${COLUMNS.map((c) => cell(med?.[c.metric], c.fmt)).join(' | ')} |`);
    }
    out.push('');
  }
  out.push('## Ratios of medians');
  out.push('');
  out.push('Throughput and frame rate: higher is better (1.00× = as fast). RTT: lower is better (4.00× = four times as slow).');
  out.push('');
  out.push('| ratio | offloads | TCP child→child | TCP child→outside | 64-B frames/s | RTT p50 | RTT p99 |');
  out.push('|---|---|--:|--:|--:|--:|--:|');
  for (const q of r.ratios ?? []) {
    const v = q.values;
    out.push(`| ${q.name} | ${q.offloads} | ${ratioCell(v.tcpChildBps)} | ${ratioCell(v.tcpOutsideBps)} | `
      + `${ratioCell(v.framesPerSecond)} | ${ratioCell(v.rttP50Us)} | ${ratioCell(v.rttP99Us)} |`);
  }
  if ((r.ratios ?? []).length === 0) out.push('| (no pair measured on both sides) | | | | | | |');
  out.push('');
  out.push(...renderTargets(r));
  if (r.scale.length > 0 || r.settings.scale.length > 0) {
    out.push('## Scale: 64-byte frames/s child→child with more children on the parent (offloads off)');
    out.push('');
    if (r.scale.length === 0) {
      out.push(r.settings.scale.length === 0 ? 'Skipped (--quick).' : 'Not measured.');
    } else {
      out.push('| children | kernel macvlan (k frames/s) | umacvlan (k frames/s) | umacvlan / kernel | umacvlan CPU s / M frames '
        + '| umacvlan GC, data-path worker | umacvlan GC, main thread |');
      out.push('|--:|--:|--:|--:|--:|--:|--:|');
      const fmt = (v: number): string => (v / 1e3).toFixed(0);
      for (const n of [...new Set((r.scaleMedians ?? []).map((s) => s.children))]) {
        const k = r.scaleMedians?.find((s) => s.children === n && s.alt === 'kernel-bridge');
        const u = r.scaleMedians?.find((s) => s.children === n && s.alt === 'umacvlan-bridge');
        const ratio = k?.framesPerSecond && u?.framesPerSecond ? u.framesPerSecond.median / k.framesPerSecond.median : undefined;
        const uCell = r.unavailable['umacvlan-bridge'] ? 'not available' : cell(u?.framesPerSecond, fmt);
        out.push(`| ${n} | ${cell(k?.framesPerSecond, fmt)} | ${uCell} | ${ratioCell(ratio)} | `
          + `${cell(u?.cpuSecondsPerMillion, (v) => v.toFixed(2))} | ${cell(u?.gcFrames, (v) => v.toFixed(0))} | `
          + `${cell(u?.gcMain, (v) => v.toFixed(0))} |`);
      }
    }
    out.push('');
  }
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
  out.push(...r.commands);
  out.push('```');
  out.push('</details>');
  out.push('');
  return out.join('\n');
}

function renderTargets(r: RunResults): string[] {
  const get = (over: AltId, under: AltId, metric: Metric): number | undefined =>
    r.ratios?.find((q) => q.offloads === 'off' && q.over === over && q.under === under)?.values[metric];
  const gc = r.medians?.[key('umacvlan-bridge', 'off')];
  const gcMaxOf = (rows: readonly Sample[]): number => Math.max(...rows.filter((s) => s.alt.startsWith('umacvlan'))
    .flatMap((s) => [s.gcFrames, s.gcTcp]).filter((v): v is number => v !== undefined), -1);
  const gcMax = gcMaxOf(r.samples);
  const gcScaleMax = gcMaxOf(r.scale);
  const rows: [string, string, number | undefined, (v: number) => boolean, (v: number) => string][] = [
    ['64-B frames/s child→child vs kernel macvlan', '≥ 0.50×', get('umacvlan-bridge', 'kernel-bridge', 'framesPerSecond'), (v) => v >= 0.5, ratioCell],
    ['64-B frames/s child→child vs vde_switch', '≈ 3.5×', get('umacvlan-bridge', 'vde', 'framesPerSecond'), (v) => v >= 3.5, ratioCell],
    ['TCP child→child vs kernel macvlan', '≥ 0.65×', get('umacvlan-bridge', 'kernel-bridge', 'tcpChildBps'), (v) => v >= 0.65, ratioCell],
    ['TCP child→outside vs kernel macvlan', '≥ 0.85×', get('umacvlan-bridge', 'kernel-bridge', 'tcpOutsideBps'), (v) => v >= 0.85, ratioCell],
    ['RTT p50 vs kernel macvlan', '≤ 4×', get('umacvlan-bridge', 'kernel-bridge', 'rttP50Us'), (v) => v <= 4, ratioCell],
    ['GC events in the data-path worker under load, 2 children (most in one load)', '0', gcMax >= 0 ? gcMax : undefined,
      (v) => v === 0, (v) => v.toFixed(0)],
    ['GC events in the data-path worker under load, scale runs (most in one load)', '0',
      gcScaleMax >= 0 ? gcScaleMax : undefined, (v) => v === 0, (v) => v.toFixed(0)],
  ];
  const out = ['## Targets (offloads off; reported, never asserted)', '',
    '| measure | target | measured | |', '|---|---|--:|---|'];
  for (const [name, target, v, ok, fmt] of rows) {
    out.push(`| ${name} | ${target} | ${v === undefined ? '–' : fmt(v)} | ${v === undefined ? 'not measured' : ok(v) ? 'met' : 'short'} |`);
  }
  if (gc === undefined && r.unavailable['umacvlan-bridge']) out.push('', `umacvlan: not available: ${r.unavailable['umacvlan-bridge']}`);
  out.push('');
  return out;
}
