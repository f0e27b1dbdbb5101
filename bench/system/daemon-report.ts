// The daemon rows judged against their targets (bench/system/targets.ts; met / short, printed, never asserted) and the
// Markdown report.
import type { Impl } from './daemon-lab.js';
import { IMPL_NAME } from './daemon-lab.js';
import type { Values } from './daemon-rows.js';
import { DAEMON_TARGETS as TARGETS } from './targets.js';

export interface Measured { row: string; impl: Impl; values: Values; error?: string }

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
  ];
  lines.push(...rowsMarkdown(r.rows, '##'));
  return lines.join('\n');
}

/** The rows' verdicts as a table, then every measured value (`heading`: the level of the values' heading). */
export function rowsMarkdown(rows: readonly Judged[], heading: string): string[] {
  const lines = ['| row | implementation | target | value | verdict |', '|---|---|---|---|---|'];
  for (const row of rows) {
    if (row.error !== undefined) { lines.push(`| ${row.row} | ${IMPL_NAME[row.impl]} | — | failed: ${row.error.replace(/\|/g, '/').replace(/\n/g, ' ')} | — |`); continue; }
    if (row.verdicts.length === 0) lines.push(`| ${row.row} | ${IMPL_NAME[row.impl]} | (measured, no target) | see below | — |`);
    for (const v of row.verdicts) {
      lines.push(`| ${row.row} | ${IMPL_NAME[row.impl]} | ${v.target} | ${fmt(v.value)} | ${row.impl === 'u' ? `**${v.verdict}**` : `${v.verdict} (reference)`} |`);
    }
  }
  lines.push('', `${heading} All measured values`, '');
  for (const row of rows) {
    const vals = Object.entries(row.values).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
    lines.push(`- **${row.row}**, ${IMPL_NAME[row.impl]}: ${vals || '—'}`);
  }
  lines.push('');
  return lines;
}
