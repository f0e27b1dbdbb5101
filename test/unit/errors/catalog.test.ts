// The error catalog is complete and used: every UMV_ERR_ code named in src/ is in it, every entry is named outside
// it; and the README's "Error codes" table and rename list agree with it.

import { constants } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CATALOG, ERROR_CODES, EXIT, codeOf, exitOf, isErrorCode } from '../../../src/errors/catalog.js';
import { RENAMES_HEAD, TABLE_HEAD, renameRows, renderTable, tableAt } from './readme.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CATALOG_FILE = join(ROOT, 'src', 'errors', 'catalog.ts');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|js|json|py|sh)$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** code → the files (relative to the repository) that name it. */
function codesIn(paths: string[]): Map<string, string[]> {
  const at = new Map<string, string[]>();
  for (const f of paths) {
    for (const m of readFileSync(f, 'utf8').matchAll(/UMV_ERR_[A-Z0-9_]+/g)) {
      const where = at.get(m[0]) ?? [];
      if (!where.includes(relative(ROOT, f))) where.push(relative(ROOT, f));
      at.set(m[0], where);
    }
  }
  return at;
}

const SOURCES = files(join(ROOT, 'src')).filter((f) => f !== CATALOG_FILE);

describe('the catalog and the sources', () => {
  const named = codesIn(SOURCES);

  test('the scan sees the sources', () => {
    expect(SOURCES.length).toBeGreaterThan(30);
    expect(named.get('UMV_ERR_DUP_MAC')).toContain(join('src', 'core', 'rules-change.ts'));
  });

  test('every code named anywhere in src/ is in the catalog', () => {
    expect([...named].filter(([c]) => !isErrorCode(c)).map(([c, where]) => `${c} in ${where.join(', ')}`)).toEqual([]);
  });

  test('every code in the catalog is named somewhere in src/ outside it', () => {
    expect(ERROR_CODES.filter((c) => !named.has(c))).toEqual([]);
  });
});

describe('each entry', () => {
  const statuses: unknown[] = Object.values(EXIT);
  for (const code of ERROR_CODES) {
    test(code, () => {
      const e = CATALOG[code];
      expect(code).toMatch(/^UMV_ERR_[A-Z0-9_]+$/);
      // an errno name Linux knows, or null
      if (e.errno !== null) expect(Object.keys(constants.errno)).toContain(e.errno);
      if (e.exit !== null) expect(statuses).toContain(e.exit);
      expect(e.exit).not.toBe(EXIT.OK);
      expect(e.meaning).toMatch(/^\S.*[^.\s]$/);
      expect(e.meaning).not.toMatch(/[\n|]/);
      expect(e.meaning.length).toBeLessThanOrEqual(120);
    });
  }
});

describe('reading a code off an error', () => {
  test('codeOf: ours only', () => {
    expect(codeOf(Object.assign(new Error('x'), { code: 'UMV_ERR_TAP' }))).toBe('UMV_ERR_TAP');
    expect(codeOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeNull();
    expect(codeOf(Object.assign(new Error('x'), { code: 'toString' }))).toBeNull();
    expect(codeOf(new Error('x'))).toBeNull();
    expect(codeOf(null)).toBeNull();
    expect(codeOf('UMV_ERR_TAP')).toBeNull();
  });

  test('exitOf: the code\'s status; FAILURE without one of ours or for a code that never ends a command', () => {
    expect(exitOf({ code: 'UMV_ERR_NOT_ROOT' })).toBe(EXIT.NOT_ROOT);
    expect(exitOf({ code: 'UMV_ERR_DUP_MAC' })).toBe(EXIT.USAGE);
    expect(exitOf({ code: 'UMV_ERR_TAP' })).toBe(EXIT.FAILURE);
    expect(exitOf({ code: 'EACCES' })).toBe(EXIT.FAILURE);
    expect(exitOf(new TypeError('bug'))).toBe(EXIT.FAILURE);
    const logged = ERROR_CODES.filter((c) => CATALOG[c].exit === null);
    expect(logged.length).toBeGreaterThan(0);
    for (const c of logged) expect(exitOf({ code: c })).toBe(EXIT.FAILURE);
  });
});

describe('README.md', () => {
  test('its "Error codes" table is the catalog, row for row', () => {
    const want = renderTable();
    const got = tableAt(README, TABLE_HEAD);
    // On a difference, paste `want` (printed by the assertion) over the table.
    expect(got.join('\n')).toBe(want.join('\n'));
  });

  test('its rename list: each old code is retired everywhere, each new one is in the catalog', () => {
    const rows = renameRows(README);
    expect(rows.length).toBeGreaterThan(0);
    const everywhere = codesIn([...files(join(ROOT, 'src')), ...files(join(ROOT, 'test'))]);
    for (const { old, now } of rows) {
      expect(old, `a row of ${RENAMES_HEAD}`).toMatch(/^UMV_ERR_/);
      expect(isErrorCode(old), old).toBe(false);
      expect(everywhere.get(old) ?? [], `${old} is retired`).toEqual([]);
      expect(now.length, old).toBeGreaterThan(0);
      for (const c of now) expect(isErrorCode(c), `${old} → ${c}`).toBe(true);
    }
  });
});
