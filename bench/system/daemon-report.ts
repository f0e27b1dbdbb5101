// The daemon rows judged against their targets (met / short; printed, never asserted) and the Markdown report.
import type { Impl } from './daemon-lab.js';
import { IMPL_NAME } from './daemon-lab.js';
import type { Values } from './daemon-rows.js';

export interface Measured { row: string; impl: Impl; values: Values; error?: string }

interface Target { readonly key: string; readonly text: string; readonly ok: (v: number) => boolean }

/** Per row, the measured values that carry a target. A row without one (restart) is reported as measured. */
const TARGETS: Record<string, readonly Target[]> = {
  'group-flood': [
    { key: 'siblingP99Ms', text: 'sibling RTT p99 < 50 ms', ok: (v) => v < 50 },
    { key: 'rssPeakMb', text: 'daemon RSS < 400 MB', ok: (v) => v < 400 },
    { key: 'cpuSettledPct', text: 'daemon CPU settled < 20 % of a core', ok: (v) => v < 20 },
  ],
  storm: [{ key: 'ratio', text: 'TCP child→child under storm ≥ 0.50× of without', ok: (v) => v >= 0.5 }],
  'flooding-child': [{ key: 'ratio', text: "quiet child's RTT p99 ≤ 3× of no flood", ok: (v) => v <= 3 }],
  'join-latency': [{ key: 'medianUs', text: 'join → delivery median ≤ 1 ms', ok: (v) => v <= 1000 }],
  'event-latency': [{ key: 'medianUs', text: 'set up → unicast delivered median ≤ 1 ms', ok: (v) => v <= 1000 }],
  'idle-cpu': [{ key: 'mainThreadPct', text: 'main thread < 2 % of a core, 64 idle children', ok: (v) => v < 2 }],
  restart: [],
};

export interface Judged extends Measured { verdicts: Array<{ target: string; value: number | string; verdict: 'met' | 'short' | 'n/a' }> }

export function judge(m: Measured): Judged {
  const verdicts = (TARGETS[m.row] ?? []).filter((t) => m.impl === 'u' || t.key in m.values).map((t) => {
    const v = m.values[t.key];
    return { target: t.text, value: v ?? 'none', verdict: typeof v === 'number' ? (t.ok(v) ? 'met' as const : 'short' as const) : 'n/a' as const };
  });
  return { ...m, verdicts };
}

const fmt = (v: number | string): string => typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : v;

export function markdown(r: { partial: boolean; command: string; machine: Record<string, string | number>; counts: object; rows: Judged[] }): string {
  const m = r.machine;
  const lines = [
    `# Daemon rows: umacvlan beside the kernel's macvlan${r.partial ? ' (PARTIAL: interrupted)' : ''}`,
    '',
    `Machine: ${m.cores} cores, ${m.cpu}, Linux ${m.kernel}, Node ${m.node}, commit ${m.commit}. ` +
      `Load average at start ${m.loadavgStart}, at end ${m.loadavgEnd ?? '?'}` +
      (Number(String(m.loadavgStart).split(' ')[0]) > 0.5 * Number(m.cores) ? ' — **a loaded machine**: other work shared the cores.' : '.'),
    `Command: \`${r.command}\`. Counts: \`${JSON.stringify(r.counts)}\`.`,
    '',
    '| row | implementation | target | value | verdict |',
    '|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    if (row.error !== undefined) { lines.push(`| ${row.row} | ${IMPL_NAME[row.impl]} | — | failed: ${row.error.replace(/\|/g, '/').replace(/\n/g, ' ')} | — |`); continue; }
    if (row.verdicts.length === 0) lines.push(`| ${row.row} | ${IMPL_NAME[row.impl]} | (measured, no target) | see below | — |`);
    for (const v of row.verdicts) {
      lines.push(`| ${row.row} | ${IMPL_NAME[row.impl]} | ${v.target} | ${fmt(v.value)} | ${row.impl === 'u' ? `**${v.verdict}**` : `${v.verdict} (reference)`} |`);
    }
  }
  lines.push('', '## All measured values', '');
  for (const row of r.rows) {
    const vals = Object.entries(row.values).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
    lines.push(`- **${row.row}**, ${IMPL_NAME[row.impl]}: ${vals || '—'}`);
  }
  lines.push('');
  return lines.join('\n');
}
