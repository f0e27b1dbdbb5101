// --config FILE: the JSON form, errors with key paths and positions, and how the file merges with flags.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { Flag, Mode } from '../../../src/core/constants.js';
import { parseMac } from '../../../src/wire/ethernet.js';
import { parseCommand, type Command } from '../../../src/control/args.js';
import { CONFIG_MAX_BYTES, parseConfigFile, readConfigText } from '../../../src/control/config-file.js';
import { JsonSyntax, parseJson } from '../../../src/control/json-strict.js';
import { buildRunConfig, emptyDraft, type RunConfig, type RunDraft } from '../../../src/control/run-config.js';
import { UsageError } from '../../../src/control/usage-error.js';

const mac = (s: string): number => parseMac(s);

function draft(text: string): RunDraft {
  const r = parseConfigFile(text, 'test.json');
  if (r instanceof UsageError) throw new Error(r.message);
  return r;
}
function refusedFile(value: unknown): UsageError {
  const r = parseConfigFile(typeof value === 'string' ? value : JSON.stringify(value), 'test.json');
  if (!(r instanceof UsageError)) throw new Error(`expected a rejection of ${JSON.stringify(value)}`);
  expect(r.message).not.toContain('\n');
  expect(r.message.startsWith(r.field)).toBe(true);
  return r;
}
/** `umacvlan run ARGS --config F` where F holds `file` (an object is JSON-encoded). */
function run(args: string[], file: unknown): RunConfig | UsageError {
  const text = typeof file === 'string' ? file : JSON.stringify(file);
  const r = parseCommand(['run', ...args, '--config', 'f.json'], (p) => (p === 'f.json' ? text : new UsageError('--config', 'no such test file')));
  return r instanceof UsageError ? r : (r as Extract<Command, { kind: 'run' }>).config;
}
function runOk(args: string[], file: unknown): RunConfig {
  const r = run(args, file);
  if (r instanceof UsageError) throw new Error(r.message);
  return r;
}
function runErr(args: string[], file: unknown): UsageError {
  const r = run(args, file);
  if (!(r instanceof UsageError)) throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  return r;
}

describe('the JSON form', () => {
  test('everything a file can say', () => {
    const c = runOk([], {
      $schema: './umacvlan.schema.json',
      parent: 'eth0',
      children: [
        { name: 'web0', mac: '02:00:00:00:00:01', mode: 'bridge', netns: 'web' },
        { name: 'db0', mac: 'auto', mode: 'vepa', mtu: 1400 },
        { name: 'mon0', mac: '02:00:00:00:00:05', mode: 'source', macaddr: ['02:aa:00:00:00:01', '02:AA:00:00:00:02'], nodst: true },
      ],
      capture: { file: 'eth0.pcapng', port: 'web0', filter: 'arp', format: 'pcap', snaplen: 256, rotate: { sizeMb: 100, files: 5 } },
      control: '/run/umacvlan/eth0.sock',
      metrics: '[::1]:9464',
      log: 'verbose',
      busyPollUs: 50,
      maxGroups: 64,
    });
    expect(c).toEqual({
      parent: 'eth0',
      children: [
        { name: 'web0', mac: mac('02:00:00:00:00:01'), mode: Mode.BRIDGE, flags: 0, macaddr: [], netns: 'web' },
        { name: 'db0', mac: 'auto', mode: Mode.VEPA, flags: 0, macaddr: [], mtu: 1400 },
        { name: 'mon0', mac: mac('02:00:00:00:00:05'), mode: Mode.SOURCE, flags: Flag.NODST, macaddr: [mac('02:aa:00:00:00:01'), mac('02:aa:00:00:00:02')] },
      ],
      capture: { file: 'eth0.pcapng', port: 'web0', filter: 'arp', format: 'pcap', snaplen: 256, rotate: { sizeMb: 100, files: 5 } },
      control: '/run/umacvlan/eth0.sock',
      metrics: { host: '::1', port: 9464 },
      log: 'verbose',
      busyPollUs: 50,
      maxGroups: 64,
    } satisfies RunConfig);
  });

  test('defaults: capture port all, pcapng, 262144; log normal; no busy poll', () => {
    expect(runOk([], { parent: 'eth0', capture: { file: '-' } })).toEqual({
      parent: 'eth0', children: [], capture: { file: '-', port: 'all', format: 'pcapng', snaplen: 262144 }, log: 'normal', busyPollUs: 0, maxGroups: 1024,
    });
  });

  test('passthru with nopromisc; nopromisc false anywhere; empty macaddr anywhere', () => {
    expect(runOk([], { parent: 'p', children: [{ name: 't', mac: 'auto', mode: 'passthru', nopromisc: true }] }).children[0].flags).toBe(Flag.NOPROMISC);
    expect(runOk([], { parent: 'p', children: [{ name: 'b', mac: 'auto', mode: 'bridge', nopromisc: false, macaddr: [] }] }).children[0]).toEqual(
      { name: 'b', mac: 'auto', mode: Mode.BRIDGE, flags: 0, macaddr: [] });
  });

  test('"__proto__" and "constructor" are just unknown keys', () => {
    expect(refusedFile('{"__proto__": {"parent": "x"}}').message).toBe('config __proto__: unknown key');
    expect(refusedFile({ constructor: 1 }).message).toBe('config constructor: unknown key');
  });
});

describe('rejections name the key path', () => {
  const cases: [unknown, string][] = [
    [{ parent: 'eth0', children: [{ name: 'a', mac: 'auto', mode: 'bridge' }, { name: 'b', mac: 'auto', mode: 'bridge' },
      { name: 'c', mac: 'auto', mdoe: 'bridge' }] }, 'config children[2].mdoe: unknown key (did you mean "mode"?)'],
    [{ parnet: 'eth0' }, 'config parnet: unknown key (did you mean "parent"?)'],
    [{ zzz: 1 }, 'config zzz: unknown key'],
    [{ 'a b': 1 }, 'config ["a b"]: unknown key'],
    [[], 'config: expected an object at the top, got an array'],
    ['"eth0"', 'config: expected an object at the top, got a string "eth0"'],
    [{ parent: 5 }, 'config parent: expected a string, got a number 5'],
    [{ parent: 'a/b' }, 'config parent: name "a/b" contains "/"'],
    [{ children: {} }, 'config children: expected an array, got an object'],
    [{ children: [1] }, 'config children[0]: expected an object, got a number 1'],
    [{ children: [{ mac: 'auto', mode: 'vepa' }] }, 'config children[0].name: required'],
    [{ children: [{ name: 'a', mode: 'vepa' }] }, 'config children[0].mac: required'],
    [{ children: [{ name: 'a', mac: 'auto' }] }, 'config children[0].mode: required'],
    [{ children: [{ name: 'all', mac: 'auto', mode: 'vepa' }] }, 'config children[0].name: name "all" is reserved'],
    [{ children: [{ name: 'a', mac: 'zz', mode: 'vepa' }] }, 'config children[0].mac: bad MAC "zz"'],
    [{ children: [{ name: 'a', mac: '01:00:5e:00:00:01', mode: 'vepa' }] }, 'config children[0].mac: MAC 01:00:5e:00:00:01 is multicast'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'sideways' }] }, 'config children[0].mode: bad mode "sideways"'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'vepa', mtu: '1400' }] }, 'config children[0].mtu: expected an integer, got a string "1400"'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'vepa', mtu: 1400.5 }] }, 'config children[0].mtu: expected an integer, got a number 1400.5'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'vepa', mtu: 67 }] }, 'config children[0].mtu: mtu 67 is out of range'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'vepa', nodst: 'yes' }] }, 'config children[0].nodst: expected true or false, got a string "yes"'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'vepa', nopromisc: true }] }, 'config children[0].nopromisc: nopromisc flag only valid in passthru mode'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'bridge', macaddr: ['02:aa:00:00:00:01'] }] }, 'config children[0].macaddr: macaddr is for source mode only, not bridge'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'source', macaddr: '02:aa:00:00:00:01' }] }, 'config children[0].macaddr: expected an array of MACs'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'source', macaddr: ['02:aa:00:00:00:01', 7] }] }, 'config children[0].macaddr[1]: expected a string, got a number 7'],
    [{ children: [{ name: 'a', mac: 'auto', mode: 'vepa', netns: 'a/b' }] }, 'config children[0].netns: "a/b" is neither a name under /run/netns nor an absolute path'],
    [{ capture: {} }, 'config capture.file: required'],
    [{ capture: 'x.pcap' }, 'config capture: expected an object, got a string "x.pcap"'],
    [{ capture: { file: 'x', fromat: 'pcap' } }, 'config capture.fromat: unknown key (did you mean "format"?)'],
    [{ capture: { file: 'x', format: 'pcapng2' } }, 'config capture.format: bad format "pcapng2"'],
    [{ capture: { file: 'x', snaplen: 0 } }, 'config capture.snaplen: 0 is out of range (1–262144)'],
    [{ capture: { file: 'x', port: 'a:b' } }, 'config capture.port: name "a:b" contains ":"'],
    [{ capture: { file: 'x', filter: '  ' } }, 'config capture.filter: empty filter'],
    [{ capture: { file: 'x', rotate: '100:5' } }, 'config capture.rotate: expected an object {"sizeMb": N, "files": N}, got a string "100:5"'],
    [{ capture: { file: 'x', rotate: { sizeMb: 1 } } }, 'config capture.rotate.files: required'],
    [{ capture: { file: 'x', rotate: { sizeMb: 0, files: 1 } } }, 'config capture.rotate.sizeMb: 0 is out of range'],
    [{ control: '' }, 'config control: empty path'],
    [{ control: `/${'x'.repeat(107)}` }, 'config control: a Unix socket path is at most 107 bytes, this one has 108'],
    [{ metrics: 9100 }, 'config metrics: expected a string, got a number 9100'],
    [{ metrics: 'localhost:9100' }, 'config metrics: bad IPv4 address "localhost"'],
    [{ metrics: '::1:9100' }, 'config metrics: bad address "::1:9100"'],
    [{ metrics: '127.0.0.1:0' }, 'config metrics: port 0 is out of range (1–65535)'],
    [{ metrics: '[::g]:80' }, 'config metrics: bad IPv6 address "::g"'],
    [{ log: 'debug' }, 'config log: bad log level "debug"'],
    [{ busyPollUs: -1 }, 'config busyPollUs: -1 is out of range (0–1000000)'],
    [{ maxGroups: 65536 }, 'config maxGroups: 65536 is out of range (0–65535)'],
    [{ $schema: 1 }, 'config $schema: expected a string'],
  ];
  test.each(cases)('%j', (value, start) => {
    const e = refusedFile(value);
    expect(e.message.startsWith(start)).toBe(true);
  });

  test('the first bad key in file order is the one named', () => {
    expect(refusedFile('{"zz": 1, "parent": 5}').message).toBe('config zz: unknown key');
  });

  test('a key path with a newline stays on one line', () => {
    const e = refusedFile({ 'a\nb': 1 });
    expect(e.message).toBe('config ["a\\x0ab"]: unknown key');
  });
});

describe('JSON syntax errors: the file name and the position', () => {
  const cases: [string, string][] = [
    ['', 'line 1 column 1: unexpected end of input'],
    ['{"parent": "eth0",\n  "children": [\n  }', 'line 3 column 3: unexpected "}"'],
    ['{"parent": "eth0", "parent": "eth1"}', 'line 1 column 20: duplicate key "parent"'],
    ['{"parent": "eth0"} x', 'line 1 column 20: unexpected "x"'],
    ['{"parent": "a\tb"}', 'line 1 column 14: control character in a string'],
    ['{"parent": "\\x"}', 'line 1 column 13: bad escape'],
    ['{"mtu": 01}', 'line 1 column 10: unexpected "1"'],
    ['{"a": -}', 'line 1 column 7: bad number'],
    ['{"a": tru}', 'line 1 column 7: unexpected "t"'],
    ['{"a": "x', 'line 1 column 9: unterminated string'],
    ['{a: 1}', 'line 1 column 2: unexpected "a"'],
    ['{"a": 1,}', 'line 1 column 9: unexpected "}"'],
    [`${'['.repeat(40)}${']'.repeat(40)}`, 'nested deeper than 32 levels'],
  ];
  test.each(cases)('%j', (text, detail) => {
    const e = refusedFile(text);
    expect(e.code).toBe('UMV_ERR_CONFIG');
    expect(e.message.startsWith('--config test.json: bad JSON at ')).toBe(true);
    expect(e.message).toContain(detail);
  });

  test('our parser agrees with JSON.parse on valid JSON (objects as Maps)', () => {
    const plain = (v: unknown): unknown => {
      if (v instanceof Map) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of v) Object.defineProperty(o, k, { value: plain(x), enumerable: true, writable: true, configurable: true });
        return o;
      }
      return Array.isArray(v) ? v.map(plain) : v;
    };
    fc.assert(fc.property(fc.json({ maxDepth: 6 }), (text) => {
      const ours = parseJson(text);
      expect(ours).not.toBeInstanceOf(JsonSyntax);
      expect(plain(ours)).toEqual(JSON.parse(text));
    }), { seed: 0x15011, numRuns: 2000 });
  });

  test('our parser rejects what JSON.parse rejects', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      let native = true;
      try { JSON.parse(text); } catch { native = false; }
      const ours = !(parseJson(text) instanceof JsonSyntax);
      if (!native) expect(ours).toBe(false);
    }), { seed: 0x15012, numRuns: 3000 });
  });
});

describe('flags and the file together', () => {
  const file = { parent: 'eth2', children: [{ name: 'a', mac: '02:00:00:00:00:01', mode: 'bridge' }] };

  test('a flag that disagrees is an error naming the flag', () => {
    const e = runErr(['--parent', 'eth1'], file);
    expect(e.code).toBe('UMV_ERR_CONFLICT');
    expect(e.message).toBe('--parent eth1: disagrees with config parent = "eth2"');
  });
  test('a flag that agrees is fine', () => {
    expect(runOk(['--parent', 'eth2'], file).parent).toBe('eth2');
  });
  test('the parent may come from either side, but from one at least', () => {
    expect(runOk(['--parent', 'eth9'], { children: [] }).parent).toBe('eth9');
    expect(runErr([], {}).message).toMatch(/^--parent: required/);
  });
  test('children merge, file first; a clashing name is an error', () => {
    expect(runOk(['--child', 'b:auto:vepa'], file).children.map((c) => c.name)).toEqual(['a', 'b']);
    const e = runErr(['--child', 'a:auto:vepa'], file);
    expect(e.code).toBe('UMV_ERR_DUP_NAME');
    expect(e.message).toBe('--child a:auto:vepa: name "a" is already taken by config children[0]');
  });
  test('two children in the file with one name', () => {
    const e = runErr([], { parent: 'p', children: [{ name: 'a', mac: 'auto', mode: 'vepa' }, { name: 'a', mac: 'auto', mode: 'vepa' }] });
    expect(e.message).toBe('config children[1]: name "a" is already taken by config children[0]');
  });
  test('the kernel rules across both sources', () => {
    expect(runErr(['--child', 'b:02:00:00:00:00:01:vepa'], file).code).toBe('UMV_ERR_DUP_MAC');
    expect(runErr(['--child', 't:auto:passthru'], file).code).toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
    expect(runErr([], { parent: 'p', children: [{ name: 't', mac: 'auto', mode: 'passthru' }, { name: 'u', mac: 'auto', mode: 'passthru' }] }).code)
      .toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
  });
  test('--netns may place a file child; it must agree with the file', () => {
    expect(runOk(['--netns', 'a=ns1'], file).children[0].netns).toBe('ns1');
    const withNs = { parent: 'eth2', children: [{ name: 'a', mac: 'auto', mode: 'bridge', netns: 'ns2' }] };
    expect(runOk(['--netns', 'a=ns2'], withNs).children[0].netns).toBe('ns2');
    const e = runErr(['--netns', 'a=ns1'], withNs);
    expect(e.code).toBe('UMV_ERR_CONFLICT');
    expect(e.message).toBe('--netns a=ns1: disagrees with config children[0], whose netns is "ns2"');
  });
  test('capture merges key by key; a disagreement is an error', () => {
    const f = { parent: 'p', capture: { file: 'x.pcapng', snaplen: 128 } };
    expect(runOk(['--capture-port', 'parent', '--capture-snaplen', '128'], f).capture).toEqual(
      { file: 'x.pcapng', port: 'parent', format: 'pcapng', snaplen: 128 });
    expect(runErr(['--capture-snaplen', '256'], f).message).toBe('--capture-snaplen 256: disagrees with config capture.snaplen = 128');
    expect(runErr(['--capture', 'y.pcapng'], f).message).toBe('--capture y.pcapng: disagrees with config capture.file = "x.pcapng"');
    expect(runErr(['--capture-rotate', '10:2'], { parent: 'p', capture: { file: 'x', rotate: { sizeMb: 10, files: 3 } } }).message)
      .toBe('--capture-rotate 10:2: disagrees with config capture.rotate = {"sizeMb":10,"files":3}');
    expect(runOk(['--capture-rotate', '10:3'], { parent: 'p', capture: { file: 'x', rotate: { sizeMb: 10, files: 3 } } }).capture?.rotate)
      .toEqual({ sizeMb: 10, files: 3 });
    expect(runErr(['--capture-port', 'zz'], f).code).toBe('UMV_ERR_NO_CHILD');
    expect(runErr([], { parent: 'p', capture: { file: 'x', port: 'zz' } }).message).toMatch(/^config capture\.port: no child named "zz"/);
    expect(runErr([], { parent: 'p', capture: { file: '-', rotate: { sizeMb: 1, files: 2 } } }).message)
      .toBe('config capture.rotate: the standard output ("-") cannot be rotated');
  });
  test('log, metrics, control, busy poll', () => {
    expect(runErr(['--verbose'], { parent: 'p', log: 'normal' }).message).toBe('--verbose: disagrees with config log = "normal"');
    expect(runOk(['--quiet'], { parent: 'p', log: 'quiet' }).log).toBe('quiet');
    expect(runOk(['--metrics', ':9100'], { parent: 'p', metrics: '127.0.0.1:9100' }).metrics).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(runErr(['--metrics', ':9101'], { parent: 'p', metrics: '127.0.0.1:9100' }).code).toBe('UMV_ERR_CONFLICT');
    expect(runErr(['--control', '/a'], { parent: 'p', control: '/b' }).message).toBe('--control /a: disagrees with config control = "/b"');
    expect(runErr(['--busy-poll-us', '5'], { parent: 'p', busyPollUs: 6 }).message).toBe('--busy-poll-us 5: disagrees with config busyPollUs = 6');
  });
  test('flag errors come before the file is read', () => {
    expect(runErr(['--child', 'a:zz:bridge'], '{').message).toBe('--child a:zz:bridge: bad MAC "zz"');
  });
  test('buildRunConfig does not change its drafts', () => {
    const d = draft(JSON.stringify(file));
    const flags = emptyDraft();
    flags.netns.push({ value: { child: 'a', netns: 'x' }, field: '--netns', text: 'a=x', from: 'flag' });
    const before = JSON.stringify(d);
    expect(buildRunConfig(flags, d)).not.toBeInstanceOf(UsageError);
    expect(JSON.stringify(d)).toBe(before);
  });
});

describe('reading the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'umv-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const put = (name: string, data: string | Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  test('a good file, with and without a BOM', () => {
    const p = put('ok.json', '{"parent": "eth0"}');
    expect(readConfigText(p)).toBe('{"parent": "eth0"}');
    const b = put('bom.json', '\ufeff{"parent": "eth0"}');
    const r = parseCommand(['run', '--config', b]);
    expect(r).toEqual({ kind: 'run', config: { parent: 'eth0', children: [], log: 'normal', busyPollUs: 0, maxGroups: 1024 } });
  });
  test('missing, a directory, too large, not UTF-8: one line with the file name', () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.json'), /: cannot read: ENOENT/],
      [(() => { const d = join(dir, 'sub'); mkdirSync(d); return d; })(), /: cannot read: EISDIR/],
      [put('big.json', Buffer.alloc(CONFIG_MAX_BYTES + 1, 0x20)), /: larger than 1048576 bytes/],
      [put('latin1.json', Uint8Array.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])), /: not valid UTF-8/],
      ['/dev/zero', /: larger than/],
    ];
    for (const [path, re] of cases) {
      const r = readConfigText(path);
      expect(r).toBeInstanceOf(UsageError);
      const e = r as UsageError;
      expect(e.message.startsWith(`--config ${path}: `)).toBe(true);
      expect(e.message).toMatch(re);
      expect(e.code).toBe('UMV_ERR_CONFIG');
    }
  });
  test('a syntax error names the file', () => {
    const p = put('bad.json', '{\n  "parent": "eth0"\n  "children": []\n}');
    const r = parseCommand(['run', '--config', p]);
    expect((r as UsageError).message).toBe(`--config ${p}: bad JSON at line 3 column 3: unexpected "\\""`);
  });
});
