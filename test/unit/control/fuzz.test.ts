// Bad configuration: a fuzzer over the command line and the JSON config never yields a stack trace;
// every rejection is one UsageError line that starts with the field it blames.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Mode } from '../../../src/core/constants.js';
import { parseCommand, type Command } from '../../../src/control/args.js';
import { parseConfigFile } from '../../../src/control/config-file.js';
import { buildRunConfig, emptyDraft, type RunConfig } from '../../../src/control/run-config.js';
import { UsageError, type UsageCode } from '../../../src/control/usage-error.js';

const CODES: UsageCode[] = ['UMV_ERR_USAGE', 'UMV_ERR_BAD_MAC', 'UMV_ERR_DUP_MAC', 'UMV_ERR_DUP_NAME',
  'UMV_ERR_PASSTHRU_NOT_ALONE', 'UMV_ERR_MTU', 'UMV_ERR_NO_CHILD', 'UMV_ERR_CONFLICT', 'UMV_ERR_CONFIG'];
const KINDS = ['help', 'version', 'run', 'show', 'add', 'del', 'set', 'trace', 'capture-start', 'capture-stop'];

/** The contract of a rejection, as a test assertion. */
function wellFormed(e: UsageError): void {
  expect(e).toBeInstanceOf(UsageError);
  expect(CODES).toContain(e.code);
  expect(e.field.length).toBeGreaterThan(0);
  expect(e.message.startsWith(e.field)).toBe(true);
  expect(e.message).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
  expect(e.message.length).toBeLessThan(600);
}

/** Whatever `run` accepts obeys the rules the kernel would enforce between siblings. */
function sane(c: RunConfig): void {
  const names = c.children.map((x) => x.name);
  expect(new Set(names).size).toBe(names.length);
  const macs = c.children.map((x) => x.mac).filter((m) => m !== 'auto');
  expect(new Set(macs).size).toBe(macs.length);
  if (c.children.some((x) => x.mode === Mode.PASSTHRU)) expect(c.children).toHaveLength(1);
  if (c.capture && !['parent', 'all'].includes(c.capture.port)) expect(names).toContain(c.capture.port);
}

function never<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`threw instead of returning a UsageError: ${(e as Error)?.stack ?? String(e)}`);
  }
}

function check(r: Command | UsageError): void {
  if (r instanceof UsageError) return wellFormed(r);
  expect(KINDS).toContain(r.kind);
  if (r.kind === 'run') sane(r.config);
}

/** Mostly good values, sometimes bad ones: deep paths get reached and their errors too. */
const pick = <T>(good: T[], bad: T[]): fc.Arbitrary<T> =>
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const noise = fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom('', ' ', '\n', 'é', '\u2028', '\u0000', '-', '--', '-x', '--x', '--help', '--version'));

const CHILDREN = ['a:auto:bridge', 'b:auto:vepa:mtu=1400', 'a:02:00:00:00:00:01:bridge', 'b:02:00:00:00:00:01:vepa',
  'c:02:00:00:00:00:03:private:nodst', 't:auto:passthru:nopromisc', 's:auto:source:macaddr=02:aa:00:00:00:01:nodst'];
const BAD_CHILDREN = ['a:zz:bridge', 'a:auto', 'all:auto:vepa', 'a:auto:vepa:nopromisc', 'a:01:00:5e:00:00:01:vepa'];
const MACS = ['02:00:00:00:00:01', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '02:aa:00:00:00:01'];
const VALUES: Record<string, fc.Arbitrary<string>> = {
  parent: pick(['eth0', 'eth1'], ['a:b', '']),
  child: pick(CHILDREN, BAD_CHILDREN),
  netns: pick(['a=ns1', 'b=/proc/1/ns/net', 's=ns2'], ['x=ns1', 'a=', 'a=x/y', 'a']),
  config: fc.constant('f.json'),
  capture: pick(['-', 'x.pcapng'], ['']),
  'capture-port': pick(['all', 'parent', 'a', 'b'], ['zz', 'x/y']),
  'capture-filter': pick(['arp', 'udp port 53'], [' ']),
  'capture-format': pick(['pcap', 'pcapng'], ['cap']),
  'capture-snaplen': pick(['96', '262144'], ['0', '01']),
  'capture-rotate': pick(['10:3', '1:1'], ['10', '0:1']),
  control: pick(['/tmp/x.sock', 'rel.sock'], ['', `/${'x'.repeat(120)}`]),
  metrics: pick([':9100', '127.0.0.1:9100', '[::1]:80'], ['9100', 'localhost:1', ':0']),
  'busy-poll-us': pick(['0', '50'], ['-1', '1000001']),
  in: pick(['parent', 'a'], ['all']),
  dst: pick(MACS, ['zz']),
  src: pick(MACS, ['zz']),
  vlan: pick(['0', '4095'], ['4096']),
  len: pick(['60', '1514'], ['65536']),
};
/** Options a command takes (repeatable ones twice), and those it needs: mostly present, sometimes not. */
const OPTS: Record<string, string[]> = {
  run: ['child', 'child', 'child', 'netns', 'netns', 'config', 'capture', 'capture-port', 'capture-filter',
    'capture-format', 'capture-snaplen', 'capture-rotate', 'control', 'metrics', 'verbose', 'quiet', 'busy-poll-us'],
  show: ['parent', 'control', 'json'],
  add: ['parent', 'control'],
  del: ['parent', 'control'],
  set: ['parent', 'control'],
  trace: ['parent', 'control', 'src', 'vlan', 'len'],
  capture: ['parent', 'control', 'capture-port', 'capture-filter', 'capture-format', 'capture-snaplen', 'capture-rotate'],
};
const NEEDED: Record<string, string[]> = { run: ['parent'], trace: ['in', 'dst'] };
const POSITIONALS: Record<string, fc.Arbitrary<string[]>> = {
  run: fc.constant([]),
  show: fc.option(fc.constantFrom('a', 'parent', 'all'), { nil: undefined }).map((x) => (x ? [x] : [])),
  add: pick(CHILDREN, BAD_CHILDREN).map((c) => [c]),
  del: pick(['a', 'b'], ['parent', '']).map((c) => [c]),
  set: fc.tuple(pick(['a'], ['all']), pick([['mode', 'bridge'], ['mac', '02:00:00:00:00:07'], ['mtu', '1400'],
    ['nodst', 'on'], ['nopromisc', 'off'], ['macaddr', 'add', '02:aa:00:00:00:01'], ['macaddr', 'del', '02:aa:00:00:00:01'],
    ['macaddr', 'set', '02:aa:00:00:00:01,02:aa:00:00:00:02'], ['macaddr', 'flush']],
  [['mode'], ['mode', 'up'], ['macaddr', 'flush', 'x'], ['colour', 'red'], ['mac', 'auto']])).map(([n, w]) => [n, ...w]),
  trace: fc.constant([]),
  capture: pick([['start', 'c.pcapng'], ['stop']], [['start'], ['start', '-'], ['go']]),
};
/** One option occurrence in either form. */
const occurrence = (o: string): fc.Arbitrary<string[]> => {
  if (!VALUES[o]) return fc.constant([`--${o}`]);
  return fc.tuple(VALUES[o], fc.boolean()).map(([v, eq]) => (eq ? [`--${o}=${v}`] : [`--${o}`, v]));
};
const occurrences = (cmd: string): fc.Arbitrary<string[][]> =>
  fc.tuple(
    fc.shuffledSubarray(OPTS[cmd]),
    fc.oneof({ weight: 6, arbitrary: fc.constant(NEEDED[cmd] ?? []) }, { weight: 1, arbitrary: fc.shuffledSubarray(NEEDED[cmd] ?? []) }),
    fc.array(noise, { maxLength: 1 }),
  ).chain(([opts, needed, extra]) => fc.tuple(...[...needed, ...opts].map(occurrence))
    .chain((occ) => fc.shuffledSubarray([...occ, ...extra.map((n) => [n])], { minLength: occ.length + extra.length })));
const commandArgv = fc.constantFrom(...Object.keys(OPTS)).chain((cmd) =>
  fc.tuple(POSITIONALS[cmd], occurrences(cmd), fc.nat())
    .map(([pos, occ, at]) => {
      const opts = occ.flat();
      const i = at % (opts.length + 1); // positionals may sit anywhere among the options
      return [cmd, ...opts.slice(0, i), ...pos, ...opts.slice(i)];
    }));
const argvArb = fc.oneof({ weight: 6, arbitrary: commandArgv },
  { weight: 1, arbitrary: fc.array(fc.oneof(noise, fc.constantFrom('run', 'show', '--parent', 'eth0')), { maxLength: 8 }) });

// Config files: valid-looking structures with random damage, random JSON, random text.
const jsonKey = fc.constantFrom('parent', 'children', 'capture', 'control', 'metrics', 'log', 'busyPollUs', '$schema',
  'name', 'mac', 'mode', 'nodst', 'nopromisc', 'mtu', 'macaddr', 'netns', 'file', 'port', 'filter', 'format', 'snaplen',
  'rotate', 'sizeMb', 'files', 'mdoe', '__proto__', 'constructor', '');
const leaf = fc.oneof(fc.constantFrom<unknown>('eth0', 'auto', 'bridge', 'passthru', 'source', 'vepa', 'a', 'parent',
  '02:00:00:00:00:01', 'zz', '-', ':9100', 'quiet', 'pcap', true, false, null, 0, 68, 1400, 1.5, -1, 1e400, 262144),
fc.jsonValue({ maxDepth: 1 }));
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(jsonKey, tie('tree'), { maxKeys: 6 })),
}));
const child = fc.record({
  name: pick(['a', 'b', 't', 's'], ['all', 'x/y']),
  mac: pick(['auto', '02:00:00:00:00:01', '02:00:00:00:00:02'], ['01:00:00:00:00:01', 'zz']),
  mode: fc.constantFrom('private', 'vepa', 'bridge', 'passthru', 'source'),
  nodst: fc.boolean(),
  nopromisc: pick([false], [true]),
  mtu: pick([68, 1500, 65535], [67, 1.5, '1400']),
  macaddr: pick([[]], [['02:aa:00:00:00:01'], ['zz']]),
  netns: pick(['ns1', '/proc/1/ns/net'], ['a/b', '']),
}, { requiredKeys: ['name', 'mac', 'mode'] });
const configArb = fc.record({
  parent: pick(['eth0', 'eth9'], ['a:b', 5]),
  children: fc.array(child, { maxLength: 3 }),
  capture: fc.record({
    file: pick(['-', 'x.pcapng'], ['']),
    port: pick(['all', 'parent', 'a'], ['zz']),
    format: pick(['pcap', 'pcapng'], ['cap']),
    snaplen: pick([1, 262144], [0]),
    rotate: pick<unknown>([{ sizeMb: 1, files: 2 }], [{ sizeMb: 0, files: 1 }, '1:2', { sizeMb: 1 }]),
  }, { requiredKeys: [] }),
  log: pick(['quiet', 'normal', 'verbose'], ['loud']),
  metrics: pick([':9100', '127.0.0.1:9100'], ['x']),
  busyPollUs: pick([0, 10], [-1]),
}, { requiredKeys: [] });
const fileText = fc.oneof(
  { weight: 4, arbitrary: configArb.map((c) => JSON.stringify(c)) },
  { weight: 2, arbitrary: tree.map((t) => JSON.stringify(t) ?? 'null') },
  { weight: 1, arbitrary: configArb.chain((c) => fc.nat(JSON.stringify(c).length).map((n) => JSON.stringify(c).slice(0, n))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('{"parent":"a","parent":"b"}', '\ufeff{}', '{"a":1}'.repeat(3), '[[[[[[[[[[', '') },
);

describe('fuzz', () => {
  test('parseCommand over random argv never throws', () => {
    fc.assert(fc.property(argvArb, (argv) => check(never(() => parseCommand(argv, () => new UsageError('--config', 'no file'))))),
      { seed: 0xa49, numRuns: 6000 });
  });

  test('parseCommand with a random --config file never throws', () => {
    const runArgs = occurrences('run').map((o) => o.filter((x) => !x[0].startsWith('--config')).flat());
    fc.assert(fc.property(runArgs, fileText, (argv, text) => {
      check(never(() => parseCommand(['run', ...argv, '--config', 'f.json'], () => text)));
    }), { seed: 0xc0f, numRuns: 4000 });
  });

  test('parseConfigFile over random JSON and text never throws', () => {
    fc.assert(fc.property(fileText, (text) => {
      const d = never(() => parseConfigFile(text, 'f.json'));
      if (d instanceof UsageError) return wellFormed(d);
      const flags = emptyDraft();
      flags.parent = { value: 'eth9', field: '--parent', text: 'eth9', from: 'flag' };
      const c = never(() => buildRunConfig(flags, d));
      if (c instanceof UsageError) wellFormed(c); else sane(c);
    }), { seed: 0xf11e, numRuns: 5000 });
  });
});
