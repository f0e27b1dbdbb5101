// The options tables (run-options.ts, child-config.ts) are the truth; umacvlan.schema.json and the README's tables
// must list the same keys, the same flags and the same defaults. A row added to one and not the others fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CHILD_KEYS, CHILD_OPTIONS } from '../../../src/control/child-config.js';
import { CONFIG_KEYS } from '../../../src/control/config-file.js';
import { RUN_OPTIONS, type RunOption } from '../../../src/control/run-options.js';

type Schema = { [k: string]: unknown };
const schema = JSON.parse(readFileSync(new URL('../../../umacvlan.schema.json', import.meta.url), 'utf8')) as Schema;
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const defs = schema.$defs as Record<string, Schema>;
const props = (s: Schema): Record<string, Schema> => s.properties as Record<string, Schema>;

const keyed = RUN_OPTIONS.filter((o) => o.key !== undefined);
const flagText = (o: RunOption): string => (o.arg ? `${o.flag} ${o.arg}` : o.flag);

/** The rows of the markdown table whose header row is `header`, as cells without the outer pipes. */
function table(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const at = lines.indexOf(header);
  if (at < 0) throw new Error(`no table with header ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

const configSection = readme.slice(readme.indexOf('## Configuration file'), readme.indexOf('#### Flags and the file together'));
const [topRows, captureRows] = (() => {
  const header = '| key | type | flag | default | rules |';
  const first = configSection.indexOf(header);
  return [table(configSection, header), table(configSection.slice(first + header.length), header)];
})();
const childRows = table(configSection, '| key | type | default | rules |');

const unquote = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');
/** A default cell's literal: its leading `code`, if it starts with one ("`0` (off)" → "0"); else none. */
const literal = (cell: string): string | undefined => /^`([^`]*)`/.exec(cell)?.[1];
const flagsIn = (cell: string): string[] => [...cell.matchAll(/`(--[^`]*)`/g)].map((m) => m[1]).sort();

describe('the README and the schema say what the options tables say', () => {
  test('top-level keys: the README table lists exactly the table\'s keys, with its flags and defaults', () => {
    expect(topRows.map((r) => unquote(r[0]))).toEqual([...CONFIG_KEYS.slice(1), '$schema']);
    for (const [key, , flags, def] of topRows) {
      const k = unquote(key);
      const rows = keyed.filter((o) => o.key === k);
      expect(flagsIn(flags), k).toEqual(rows.map(flagText).sort());
      expect(literal(def), k).toEqual(rows.find((o) => o.default !== undefined)?.default);
    }
  });

  test('capture keys: the README\'s capture table, row by row', () => {
    const capture = keyed.filter((o) => o.key!.startsWith('capture.'));
    expect(captureRows.map((r) => `capture.${unquote(r[0])}`)).toEqual(capture.map((o) => o.key));
    for (const [key, , flags, def] of captureRows) {
      const row = capture.find((o) => o.key === `capture.${unquote(key)}`)!;
      expect(flagsIn(flags), key).toEqual([flagText(row)]);
      expect(literal(def), key).toEqual(row.default);
    }
  });

  test('child keys: the README\'s child table, with the child options\' defaults', () => {
    expect(childRows.map((r) => unquote(r[0]))).toEqual([...CHILD_KEYS]);
    for (const o of CHILD_OPTIONS) {
      const row = childRows.find((r) => unquote(r[0]) === o.name)!;
      expect(literal(row[2]), o.name).toEqual(o.default);
    }
  });

  test('flags without a key are still in the README', () => {
    for (const o of RUN_OPTIONS.filter((r) => r.key === undefined)) expect(readme, o.flag).toContain(flagText(o));
  });

  test('schema: the same keys, and a "default" exactly where the table has one, equal to it', () => {
    const at = (key: string): Schema => {
      const [head, tail] = key.split('.');
      return tail === undefined ? props(schema)[head] : props(defs[head])[tail];
    };
    expect(Object.keys(props(schema))).toEqual([...CONFIG_KEYS]);
    expect(Object.keys(props(defs.capture))).toEqual(keyed.filter((o) => o.key!.startsWith('capture.')).map((o) => o.key!.slice(8)));
    expect(Object.keys(props(defs.child))).toEqual([...CHILD_KEYS]);
    for (const key of new Set(keyed.map((o) => o.key!))) {
      const def = keyed.find((o) => o.key === key && o.default !== undefined)?.default;
      expect(at(key).default, key).toEqual(def === undefined ? undefined : JSON.parse(def));
    }
    for (const o of CHILD_OPTIONS) {
      expect(props(defs.child)[o.name].default, o.name).toEqual(o.default === undefined ? undefined : JSON.parse(o.default));
    }
  });

  test('every flag of a keyed option is named in its key\'s schema description or the capture object\'s', () => {
    for (const o of keyed) {
      const [head] = o.key!.split('.');
      const described = String(props(schema)[head]?.description ?? '') + String(defs[head]?.description ?? '');
      expect(described, o.flag).toMatch(head === 'capture' ? /--capture/ : new RegExp(o.flag));
    }
  });
});
