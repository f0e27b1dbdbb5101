// umacvlan.schema.json and the parser must not drift: same keys, same verdicts on the rules a schema can express.
// A tiny checker for the subset of draft 2020-12 the schema uses; a walk of the schema proves it uses no other keyword.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CAPTURE_KEYS, CHILD_KEYS, CONFIG_KEYS, parseConfigFile, ROTATE_KEYS,
} from '../../../src/control/config-file.js';
import { buildRunConfig, emptyDraft } from '../../../src/control/run-config.js';
import { UsageError, type UsageCode } from '../../../src/control/usage-error.js';

type Schema = { [k: string]: unknown };
const root = JSON.parse(readFileSync(new URL('../../../umacvlan.schema.json', import.meta.url), 'utf8')) as Schema;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$comment', '$defs', 'default']);
const ASSERTIONS = new Set(['type', 'properties', 'additionalProperties', 'required', 'items', 'enum', 'const',
  'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', '$ref', 'allOf', 'anyOf', 'not', 'if', 'then']);

function resolve(ref: string): Schema {
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  if (!m) throw new Error(`unsupported $ref ${ref}`);
  return (root.$defs as Record<string, Schema>)[m[1]];
}

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: throw new Error(`unsupported type ${t}`);
  }
}

/** Does `v` satisfy schema `s`? Only the keywords in ASSERTIONS; anything else throws. */
function valid(s: Schema, v: unknown): boolean {
  for (const [k, arg] of Object.entries(s)) {
    if (ANNOTATIONS.has(k)) continue;
    if (!ASSERTIONS.has(k)) throw new Error(`the checker does not know ${k}`);
    const isObj = typeOk('object', v);
    const o = v as Record<string, unknown>;
    switch (k) {
      case 'type': if (!typeOk(arg as string, v)) return false; break;
      case 'properties':
        if (isObj) {
          for (const [p, ps] of Object.entries(arg as Record<string, Schema>)) {
            if (Object.hasOwn(o, p) && !valid(ps, o[p])) return false;
          }
        }
        break;
      case 'additionalProperties':
        if (arg !== false) throw new Error('only additionalProperties: false');
        if (isObj && Object.keys(o).some((p) => !Object.hasOwn(s.properties as object, p))) return false;
        break;
      case 'required': if (isObj && (arg as string[]).some((p) => !Object.hasOwn(o, p))) return false; break;
      case 'items': if (Array.isArray(v) && !v.every((x) => valid(arg as Schema, x))) return false; break;
      case 'minItems': if (Array.isArray(v) && v.length < (arg as number)) return false; break;
      case 'enum': if (!(arg as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(v))) return false; break;
      case 'const': if (JSON.stringify(arg) !== JSON.stringify(v)) return false; break;
      case 'pattern': if (typeof v === 'string' && !new RegExp(arg as string, 'u').test(v)) return false; break;
      case 'minLength': if (typeof v === 'string' && [...v].length < (arg as number)) return false; break;
      case 'maxLength': if (typeof v === 'string' && [...v].length > (arg as number)) return false; break;
      case 'minimum': if (typeof v === 'number' && v < (arg as number)) return false; break;
      case 'maximum': if (typeof v === 'number' && v > (arg as number)) return false; break;
      case '$ref': if (!valid(resolve(arg as string), v)) return false; break;
      case 'allOf': if (!(arg as Schema[]).every((x) => valid(x, v))) return false; break;
      case 'anyOf': if (!(arg as Schema[]).some((x) => valid(x, v))) return false; break;
      case 'not': if (valid(arg as Schema, v)) return false; break;
      case 'if': if (valid(arg as Schema, v) && s.then && !valid(s.then as Schema, v)) return false; break;
      case 'then': break; // with 'if'
    }
  }
  return true;
}

/** Rules the schema cannot express (they relate children to each other); the parser's verdict is not compared. */
const CROSS: UsageCode[] = ['UMV_ERR_DUP_NAME', 'UMV_ERR_DUP_MAC', 'UMV_ERR_PASSTHRU_NOT_ALONE', 'UMV_ERR_NO_CHILD'];

/** The parser's verdict on a file as `run --config` would give it (a flag supplies the parent if the file does not). */
function parserVerdict(value: unknown): true | UsageError {
  const d = parseConfigFile(JSON.stringify(value), 'f.json');
  if (d instanceof UsageError) return d;
  const flags = emptyDraft();
  if (!d.parent) flags.parent = { value: 'eth9', field: '--parent', text: 'eth9', from: 'flag' };
  const c = buildRunConfig(flags, d);
  return c instanceof UsageError ? c : true;
}

describe('umacvlan.schema.json', () => {
  test('declares draft 2020-12 and uses only keywords the checker knows', () => {
    expect(root.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const walk = (s: unknown): void => {
      if (Array.isArray(s)) return s.forEach(walk);
      if (typeof s !== 'object' || s === null) return;
      for (const [k, v] of Object.entries(s)) {
        if (k === 'properties' || k === '$defs') Object.values(v as object).forEach(walk);
        else if (k === 'enum' || k === 'const' || k === 'required') continue;
        else {
          expect(ANNOTATIONS.has(k) || ASSERTIONS.has(k), k).toBe(true);
          walk(v);
        }
      }
    };
    walk(root);
  });

  test('its property lists are the parser\'s accepted keys', () => {
    const defs = root.$defs as Record<string, Schema>;
    const keys = (s: Schema) => Object.keys(s.properties as object);
    expect(keys(root)).toEqual([...CONFIG_KEYS]);
    expect(keys(defs.child)).toEqual([...CHILD_KEYS]);
    expect(keys(defs.capture)).toEqual([...CAPTURE_KEYS]);
    expect(keys((defs.capture.properties as Record<string, Schema>).rotate)).toEqual([...ROTATE_KEYS]);
    for (const s of [root, defs.child, defs.capture, (defs.capture.properties as Record<string, Schema>).rotate]) {
      expect(s.additionalProperties).toBe(false);
    }
  });

  test('the README example is valid for both', () => {
    const md = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    // the configuration file's section only: other JSON in the README (a CNI network config) is not a run config
    const section = md.slice(md.indexOf('## Configuration file'), md.indexOf('\n## ', md.indexOf('## Configuration file') + 1));
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      expect(valid(root, JSON.parse(b))).toBe(true);
      expect(parserVerdict(JSON.parse(b))).toBe(true);
    }
  });

  const examples: [string, unknown, boolean][] = [
    ['empty', {}, true],
    ['$schema', { $schema: './umacvlan.schema.json' }, true],
    ['unknown key', { parnet: 'eth0' }, false],
    ['child without mode', { children: [{ name: 'a', mac: 'auto' }] }, false],
    ['upper-case MAC', { children: [{ name: 'a', mac: '02:AB:00:00:00:01', mode: 'vepa' }] }, true],
    ['multicast MAC', { children: [{ name: 'a', mac: '03:00:00:00:00:01', mode: 'vepa' }] }, false],
    ['zero MAC', { children: [{ name: 'a', mac: '00:00:00:00:00:00', mode: 'vepa' }] }, false],
    ['nopromisc outside passthru', { children: [{ name: 'a', mac: 'auto', mode: 'vepa', nopromisc: true }] }, false],
    ['nopromisc false outside passthru', { children: [{ name: 'a', mac: 'auto', mode: 'vepa', nopromisc: false }] }, true],
    ['macaddr outside source', { children: [{ name: 'a', mac: 'auto', mode: 'vepa', macaddr: ['02:00:00:00:00:01'] }] }, false],
    ['empty macaddr outside source', { children: [{ name: 'a', mac: 'auto', mode: 'vepa', macaddr: [] }] }, true],
    ['reserved name', { children: [{ name: 'parent', mac: 'auto', mode: 'vepa' }] }, false],
    ['"." as a name', { children: [{ name: '.', mac: 'auto', mode: 'vepa' }] }, false],
    ['"..." as a name', { children: [{ name: '...', mac: 'auto', mode: 'vepa' }] }, true],
    ['rotate to stdout', { capture: { file: '-', rotate: { sizeMb: 1, files: 2 } } }, false],
    ['rotate to a file', { capture: { file: 'x', rotate: { sizeMb: 1, files: 2 } } }, true],
    ['metrics :PORT', { metrics: ':9100' }, true],
    ['metrics leading zero', { metrics: ':09100' }, false],
    ['metrics octet 256', { metrics: '256.0.0.1:80' }, false],
    ['metrics v6', { metrics: '[::1]:80' }, true],
    ['mtu 1400.0 is an integer', JSON.parse('{"children": [{"name": "a", "mac": "auto", "mode": "vepa", "mtu": 1400.0}]}'), true],
    ['netns path', { children: [{ name: 'a', mac: 'auto', mode: 'vepa', netns: '/proc/1/ns/net' }] }, true],
    ['netns relative path', { children: [{ name: 'a', mac: 'auto', mode: 'vepa', netns: 'a/b' }] }, false],
    ['blank filter', { capture: { file: 'x', filter: ' \t' } }, false],
  ];
  test.each(examples)('%s: schema and parser agree', (_name, value, want) => {
    expect(valid(root, value)).toBe(want);
    const p = parserVerdict(value);
    expect(p === true, p === true ? '' : p.message).toBe(want);
  });
});

// Generated configs: each field good or bad in the ways both can see (ASCII names: the schema counts characters,
// the parser bytes; IPv4 only: the schema does not spell out IPv6).
/** Mostly good, sometimes bad: most configs have at most one fault, so both verdicts get exercised. */
const gb = (good: unknown[], bad: unknown[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const childArb = fc.record({
  name: gb(['a', 'b', 'abcdefghijklmno', '...'], ['abcdefghijklmnop', 'all', 'parent', 'a:b', 'a b', '', '.', 5]),
  mac: gb(['auto', '02:00:00:00:00:01', '02:00:00:00:00:02', '0A:00:00:00:00:01'],
    ['01:00:00:00:00:01', '00:00:00:00:00:00', 'zz', 'AUTO', null]),
  mode: gb(['private', 'vepa', 'bridge', 'passthru', 'source'], ['Bridge', 4]),
  nodst: gb([true, false], ['yes', 1]),
  nopromisc: gb([false], [true, 0]),
  mtu: gb([68, 1500, 65535], [67, 65536, 1400.5, '1400']),
  macaddr: gb([[]], [['02:aa:00:00:00:01'], ['02:aa:00:00:00:01', '02:AA:00:00:00:01'], ['01:aa:00:00:00:01'], 'x', [1]]),
  netns: gb(['ns1', '/proc/1/ns/net'], ['a/b', '', '..', 7]),
  mdoe: fc.constant('vepa'),
}, { requiredKeys: [] }).chain((c) => fc.double({ min: 0, max: 1, noNaN: true }).map((r) => {
  // Source children get allow-lists, passthru children nopromisc, now and then; the stray key rarely.
  const out: Record<string, unknown> = { ...c };
  if (out.mode === 'source' && r < 0.5) out.macaddr = ['02:aa:00:00:00:01', '02:AA:00:00:00:02'];
  if (out.mode === 'passthru' && r < 0.5) out.nopromisc = true;
  if (r > 0.05) delete out.mdoe;
  return out;
}));
const configArb = fc.record({
  parent: gb(['eth0'], ['a:b', '', 'abcdefghijklmnop', 3]),
  children: fc.oneof({ weight: 12, arbitrary: fc.array(childArb, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('a', {}) }),
  capture: fc.oneof({ weight: 12, arbitrary: fc.record({
    file: gb(['-', 'x.pcapng'], ['', 1]),
    port: gb(['all', 'parent', 'a', 'b'], ['a:b', 'zz']),
    filter: gb(['arp'], [' ', '']),
    format: gb(['pcap', 'pcapng'], ['PCAP']),
    snaplen: gb([1, 262144], [0, 262145, 1.5]),
    rotate: gb([{ sizeMb: 1, files: 2 }], [{ sizeMb: 0, files: 2 }, { sizeMb: 1 }, { sizeMb: 1, files: 2, x: 1 }, '1:2']),
  }, { requiredKeys: ['file'] }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('x.pcap', {}) }),
  control: gb(['/run/x.sock', `/${'x'.repeat(106)}`], ['', `/${'x'.repeat(107)}`, 5]),
  metrics: gb([':9100', '127.0.0.1:9100', '0.0.0.0:1', '[::1]:80'], [':0', ':65536', '1.2.3:80', 'localhost:80', 9100]),
  log: gb(['quiet', 'normal', 'verbose'], ['debug']),
  busyPollUs: gb([0, 1000000], [1000001, -1, 2.5]),
  persist: gb([true, false], ['yes', 1]),
  state: gb(['/tmp/x.state'], ['', 1]),
  $schema: gb(['x'], [1]),
  extra: fc.constant(1),
}, { requiredKeys: [] }).chain((c) => fc.integer({ min: 0, max: 19 }).map((n) => {
  const out: Record<string, unknown> = { ...c };
  if (n !== 0) delete out.extra; // an unknown key in one config of twenty
  return out;
}));

test('on generated configs the schema and the parser give the same verdict', () => {
  let compared = 0;
  let accepted = 0;
  fc.assert(fc.property(configArb, (cfg) => {
    const p = parserVerdict(cfg);
    if (p !== true && CROSS.includes(p.code)) return;
    compared++;
    if (p === true) accepted++;
    expect(valid(root, cfg), p === true ? 'parser accepts, schema refuses' : `parser: ${p.message}`).toBe(p === true);
  }), { seed: 0x5c4e, numRuns: 4000 });
  expect(compared).toBeGreaterThan(3000);
  expect(accepted).toBeGreaterThan(200);
});
