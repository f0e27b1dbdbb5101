// A run's report in Markdown, from its JSON (results-types.ts) after summarize() (results-summary.ts) filled in the
// medians and ratios. Rendering is pure: the same JSON renders the same Markdown.
import { ALTERNATIVES, type AltId } from './alternatives.js';
import { renderExtras, renderTargets } from './results-extra.js';
import { renderScale } from './results-scale.js';
import { key } from './results-summary.js';
import type { Metric, RunResults, Stat } from './results-types.js';

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
