// The README's "Error codes" section, as the catalog says it must read, and the rename list as the README says it.

import { CATALOG, ERROR_CODES } from '../../../src/errors/catalog.js';

export const TABLE_HEAD = '| code | errno | exit | meaning |';

/** The table's lines, rendered from the catalog in its order: what README.md must hold after TABLE_HEAD's line. */
export function renderTable(): string[] {
  const cell = (v: string | number | null): string => (v === null ? '—' : String(v).replace(/\|/g, '\\|'));
  return [
    TABLE_HEAD,
    '|---|---|---|---|',
    ...ERROR_CODES.map((c) => `| \`${c}\` | ${cell(CATALOG[c].errno)} | ${cell(CATALOG[c].exit)} | ${cell(CATALOG[c].meaning)} |`),
  ];
}

/** The lines of the markdown table that starts with `head` in `text` (up to the first line that is not a row). */
export function tableAt(text: string, head: string): string[] {
  const lines = text.split('\n');
  const at = lines.indexOf(head);
  if (at < 0) return [];
  const end = lines.findIndex((l, i) => i > at && !l.startsWith('|'));
  return lines.slice(at, end < 0 ? lines.length : end);
}

export const RENAMES_HEAD = '| old code | new code |';

/** The rename table's rows: the retired code, and every code that replaces it. */
export function renameRows(text: string): Array<{ old: string; now: string[] }> {
  return tableAt(text, RENAMES_HEAD).slice(2).map((row) => {
    const [, before, after] = row.split('|');
    const codes = (s: string): string[] => [...s.matchAll(/`(UMV_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]);
    return { old: codes(before)[0] ?? '', now: codes(after) };
  });
}
