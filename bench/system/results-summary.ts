// A run's samples summarized: the median (with min, max and count) of every metric per alternative and offloads,
// the ratios of medians between the pairs the report compares, and the medians of the scale steps.
import { ALTERNATIVES, type AltId, type Offloads } from './alternatives.js';
import type { Metric, RunResults, Sample, Stat } from './results-types.js';

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
