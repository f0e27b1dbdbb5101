// The command line: every command's grammar, both option forms, help and version, and the whole-config checks.
import { describe, expect, test } from 'vitest';
import { Flag, Mode } from '../../../src/core/constants.js';
import { BROADCAST, parseMac } from '../../../src/wire/ethernet.js';
import { parseCommand, type Command } from '../../../src/control/args.js';
import { COMMAND_NAMES, EXIT, helpText } from '../../../src/control/help.js';
import { UsageError } from '../../../src/control/usage-error.js';

const mac = (s: string): number => parseMac(s);
const noFile = (): UsageError => new UsageError('--config', 'no file in this test');

function ok(...argv: string[]): Command {
  const r = parseCommand(argv, noFile);
  if (r instanceof UsageError) throw new Error(`${JSON.stringify(argv)}: ${r.message}`);
  return r;
}
function err(...argv: string[]): UsageError {
  const r = parseCommand(argv, noFile);
  if (!(r instanceof UsageError)) throw new Error(`${JSON.stringify(argv)} accepted: ${JSON.stringify(r)}`);
  expect(r.message).not.toContain('\n');
  expect(r.message.startsWith(r.field)).toBe(true);
  return r;
}
const runConfig = (...argv: string[]) => (ok('run', ...argv) as Extract<Command, { kind: 'run' }>).config;

describe('run', () => {
  test('the README\'s child examples on one command line', () => {
    expect(runConfig('--parent', 'eth0', '--child', 'a:02:00:00:00:00:01:bridge', '--child', 'b:auto:vepa:mtu=1400',
      '--child', 's0:02:00:00:00:00:05:source:macaddr=02:aa:00:00:00:01,02:aa:00:00:00:02:nodst')).toEqual({
      parent: 'eth0',
      children: [
        { name: 'a', mac: mac('02:00:00:00:00:01'), mode: Mode.BRIDGE, flags: 0, macaddr: [] },
        { name: 'b', mac: 'auto', mode: Mode.VEPA, flags: 0, macaddr: [], mtu: 1400 },
        { name: 's0', mac: mac('02:00:00:00:00:05'), mode: Mode.SOURCE, flags: Flag.NODST, macaddr: [mac('02:aa:00:00:00:01'), mac('02:aa:00:00:00:02')] },
      ],
      log: 'normal',
      busyPollUs: 0,
      maxGroups: 1024,
    });
    expect(runConfig('--parent', 'eth0', '--child', 't:02:00:00:00:00:09:passthru:nopromisc').children[0].flags).toBe(Flag.NOPROMISC);
  });

  test('run with no --child is valid', () => {
    expect(runConfig('--parent', 'eth0')).toEqual({ parent: 'eth0', children: [], log: 'normal', busyPollUs: 0, maxGroups: 1024 });
  });

  test('--opt=value and --opt value are the same', () => {
    const a = runConfig('--parent', 'eth0', '--child', 'a:auto:vepa', '--netns', 'a=ns1', '--capture', 'x.pcapng',
      '--capture-port', 'a', '--capture-filter', 'udp port 53', '--capture-format', 'pcap', '--capture-snaplen', '96',
      '--capture-rotate', '10:4', '--control', '/tmp/u.sock', '--metrics', '0.0.0.0:9100', '--busy-poll-us', '50', '--max-groups', '7', '--quiet');
    const b = runConfig('--parent=eth0', '--child=a:auto:vepa', '--netns=a=ns1', '--capture=x.pcapng',
      '--capture-port=a', '--capture-filter=udp port 53', '--capture-format=pcap', '--capture-snaplen=96',
      '--capture-rotate=10:4', '--control=/tmp/u.sock', '--metrics=0.0.0.0:9100', '--busy-poll-us=50', '--max-groups=7', '--quiet');
    expect(a).toEqual(b);
    expect(a).toEqual({
      parent: 'eth0',
      children: [{ name: 'a', mac: 'auto', mode: Mode.VEPA, flags: 0, macaddr: [], netns: 'ns1' }],
      capture: { file: 'x.pcapng', port: 'a', filter: 'udp port 53', format: 'pcap', snaplen: 96, rotate: { sizeMb: 10, files: 4 } },
      control: '/tmp/u.sock',
      metrics: { host: '0.0.0.0', port: 9100 },
      log: 'quiet',
      busyPollUs: 50,
      maxGroups: 7,
    });
  });

  test('--netns: a name under /run/netns or an absolute path; option order does not matter', () => {
    expect(runConfig('--netns', 'a=/proc/123/ns/net', '--parent', 'eth0', '--child', 'a:auto:vepa').children[0].netns).toBe('/proc/123/ns/net');
    expect(err('run', '--parent', 'eth0', '--child', 'a:auto:vepa', '--netns', 'a').message).toMatch(/^--netns a: expected NAME=NETNS/);
    expect(err('run', '--parent', 'eth0', '--child', 'a:auto:vepa', '--netns', 'a=').message).toBe('--netns a=: empty network namespace');
    expect(err('run', '--parent', 'eth0', '--child', 'a:auto:vepa', '--netns', 'a=x/y').message).toMatch(/neither a name under \/run\/netns nor an absolute path/);
    expect(err('run', '--parent', 'eth0', '--child', 'a:auto:vepa', '--netns', 'a=..').message).toMatch(/not a namespace name/);
    expect(err('run', '--parent', 'eth0', '--child', 'a:auto:vepa', '--netns', 'a=n1', '--netns', 'a=n2').message)
      .toBe('--netns a=n2: child "a" already has a --netns');
    const unknown = err('run', '--parent', 'eth0', '--netns', 'x=ns1');
    expect(unknown.code).toBe('UMV_ERR_NO_CHILD');
    expect(unknown.message).toBe('--netns x=ns1: no child named "x"');
  });

  test('--metrics: loopback when only :PORT is given; IP literals only', () => {
    expect(runConfig('--parent', 'p', '--metrics', ':9100').metrics).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(runConfig('--parent', 'p', '--metrics', '[::1]:9100').metrics).toEqual({ host: '::1', port: 9100 });
    expect(runConfig('--parent', 'p', '--metrics', '[fe80::1%eth0]:9100').metrics).toEqual({ host: 'fe80::1%eth0', port: 9100 });
    for (const bad of ['9100', 'localhost:9100', '::1:9100', ':0', ':65536', ':09100', '1.2.3:80', '256.0.0.1:80', '[1.2.3.4]:80', ':', '']) {
      expect(err('run', '--parent', 'p', '--metrics', bad).message.startsWith(`--metrics ${bad}: `)).toBe(true);
    }
  });

  test('capture options', () => {
    expect(runConfig('--parent', 'p', '--capture', '-').capture).toEqual({ file: '-', port: 'all', format: 'pcapng', snaplen: 262144 });
    expect(runConfig('--parent', 'p', '--capture', 'f', '--capture-port', 'parent').capture?.port).toBe('parent');
    expect(err('run', '--parent', 'p', '--capture-port', 'all').message).toBe('--capture-port all: needs --capture FILE');
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-port', 'x').code).toBe('UMV_ERR_NO_CHILD');
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-format', 'pcapng-ns').message).toMatch(/bad format "pcapng-ns"/);
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-snaplen', '0').message).toMatch(/snaplen 0 is out of range \(1–262144\)/);
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-snaplen', '262145').message).toMatch(/out of range/);
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-rotate', '10').message).toMatch(/bad rotation "10" \(SIZE_MB:FILES/);
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-rotate', '0:3').message).toMatch(/size in MB 0 is out of range/);
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-rotate', '10:0').message).toMatch(/file count 0 is out of range/);
    expect(err('run', '--parent', 'p', '--capture', '-', '--capture-rotate', '10:3').message).toMatch(/cannot be rotated/);
    expect(err('run', '--parent', 'p', '--capture', 'f', '--capture-filter', ' ').message).toBe('--capture-filter  : empty filter');
    expect(err('run', '--parent', 'p', '--capture', '').message).toMatch(/^--capture : empty file name/);
  });

  test('whole-config checks', () => {
    const dupName = err('run', '--parent', 'p', '--child', 'a:auto:vepa', '--child', 'a:auto:bridge');
    expect(dupName.code).toBe('UMV_ERR_DUP_NAME');
    expect(dupName.message).toBe('--child a:auto:bridge: name "a" is already taken by --child a:auto:vepa');
    const dupMac = err('run', '--parent', 'p', '--child', 'a:02:00:00:00:00:01:vepa', '--child', 'b:02:00:00:00:00:01:bridge');
    expect(dupMac.code).toBe('UMV_ERR_DUP_MAC');
    expect(dupMac.message).toMatch(/^--child b:02:00:00:00:00:01:bridge: MAC 02:00:00:00:00:01 is already used by --child a:/);
    expect(runConfig('--parent', 'p', '--child', 'a:auto:vepa', '--child', 'b:auto:vepa').children).toHaveLength(2); // auto never clashes
    const second = err('run', '--parent', 'p', '--child', 't:auto:passthru', '--child', 'u:auto:passthru');
    expect(second.code).toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
    expect(second.message).toMatch(/^--child u:auto:passthru: a second passthru child/);
    expect(err('run', '--parent', 'p', '--child', 't:auto:passthru', '--child', 'u:auto:bridge').code).toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
    expect(err('run', '--parent', 'p', '--child', 'u:auto:bridge', '--child', 't:auto:passthru').message)
      .toMatch(/^--child t:auto:passthru: a passthru child must be the parent's only child/);
    expect(runConfig('--parent', 'p', '--child', 't:02:00:00:00:00:09:passthru').children).toHaveLength(1);
  });

  test('option errors', () => {
    expect(err('run').message).toMatch(/^--parent: required/);
    expect(err('run', '--parent').message).toBe('--parent: needs a value');
    expect(err('run', '--parent', '--child', 'a:auto:vepa').message).toMatch(/^--parent: needs a value \(got the option "--child"/);
    expect(err('run', '--parent', 'a', '--parent', 'a').message).toBe('--parent: given twice');
    expect(err('run', '--parent', 'eth0', '--frob').message).toBe('--frob: unknown option of umacvlan run (see umacvlan run --help)');
    expect(err('run', '--parent', 'eth0', '--frob=1').field).toBe('--frob');
    expect(err('run', '--parent', 'eth0', '-v').message).toMatch(/^-v: unknown option/);
    expect(err('run', '--parent', 'eth0', '--json').message).toMatch(/^--json: unknown option of umacvlan run/);
    expect(err('run', '--parent', 'eth0', '--verbose=yes').message).toBe('--verbose: takes no value');
    expect(err('run', '--parent', 'eth0', '--verbose', '--quiet').message).toBe('--quiet: cannot be combined with --verbose');
    expect(err('run', '--parent', 'eth0', '--verbose', '--verbose').message).toBe('--verbose: given twice');
    expect(err('run', '--parent', 'eth0', 'extra').message).toMatch(/^umacvlan run: unexpected argument "extra" \(children are given with --child\)/);
    expect(err('run', '--parent', 'eth0', '').message).toMatch(/^umacvlan run: unexpected argument ""/);
    expect(err('run', '--parent', 'eth0:1').message).toBe('--parent eth0:1: name "eth0:1" contains ":"');
    expect(err('run', '--parent', 'averyveryverylongname').message).toMatch(/longer than 15 bytes/);
    expect(err('run', '--parent', 'p', '--busy-poll-us', '-1').message).toMatch(/^--busy-poll-us: needs a value|bad busy-poll/);
    expect(err('run', '--parent', 'p', '--busy-poll-us=-1').message).toMatch(/bad busy-poll time in µs "-1"/);
    expect(err('run', '--parent', 'p', '--busy-poll-us', '1000001').message).toMatch(/out of range \(0–1000000\)/);
    expect(err('run', '--parent', 'p', '--control', `/${'x'.repeat(200)}`).message).toMatch(/at most 107 bytes/);
    expect(err('run', '--parent', 'p', '--config', '').message).toBe('--config: empty file name');
    expect(err('run', '--parent', 'p', '--config', 'x.json').message).toBe('--config: no file in this test');
  });

  test('a value starting with "--" needs the = form', () => {
    expect(runConfig('--parent', 'p', '--capture', 'f', '--capture-filter=--x').capture?.filter).toBe('--x');
  });
});

describe('client commands', () => {
  test('show', () => {
    expect(ok('show')).toEqual({ kind: 'show', target: {}, json: false });
    expect(ok('show', 'a', '--json')).toEqual({ kind: 'show', target: {}, name: 'a', json: true });
    expect(ok('show', '--json', 'parent', '--parent', 'eth0')).toEqual({ kind: 'show', target: { parent: 'eth0' }, name: 'parent', json: true });
    expect(ok('show', '--control=/run/umacvlan/x.sock')).toEqual({ kind: 'show', target: { control: '/run/umacvlan/x.sock' }, json: false });
    expect(err('show', 'a', 'b').message).toMatch(/^umacvlan show: unexpected argument "b"/);
    expect(err('show', 'all').message).toMatch(/^show all: name "all" is reserved/);
    expect(err('show', '--parent', 'eth0', '--control', '/x').message).toBe('--control /x: give --parent or --control to find the daemon, not both');
  });

  test('add', () => {
    expect(ok('add', 'b:auto:vepa:mtu=1400', '--parent', 'eth0')).toEqual({
      kind: 'add', target: { parent: 'eth0' }, child: { name: 'b', mac: 'auto', mode: Mode.VEPA, flags: 0, macaddr: [], mtu: 1400 },
    });
    expect(err('add', 'a:zz:bridge').message).toBe('add a:zz:bridge: bad MAC "zz"');
    expect(err('add').message).toMatch(/^add: needs a child/);
    expect(err('add', 'a:auto:vepa', 'b:auto:vepa').message).toMatch(/^umacvlan add: unexpected argument "b:auto:vepa"/);
  });

  test('del', () => {
    expect(ok('del', 'a')).toEqual({ kind: 'del', target: {}, name: 'a' });
    expect(ok('del', '--', '-x')).toEqual({ kind: 'del', target: {}, name: '-x' });
    expect(err('del', '-x').message).toMatch(/^-x: unknown option of umacvlan del/);
    expect(err('del').message).toBe("del: needs the child's name");
    expect(err('del', 'parent').message).toMatch(/^del parent: name "parent" is reserved/);
  });

  test('set: every form', () => {
    const set = (...a: string[]) => (ok('set', 'a', ...a) as Extract<Command, { kind: 'set' }>).change;
    expect(set('mode', 'private')).toEqual({ what: 'mode', mode: Mode.PRIVATE });
    expect(set('mac', '02:00:00:00:00:07')).toEqual({ what: 'mac', mac: mac('02:00:00:00:00:07') });
    expect(set('mtu', '9000')).toEqual({ what: 'mtu', mtu: 9000 });
    expect(set('nodst', 'on')).toEqual({ what: 'nodst', on: true });
    expect(set('nopromisc', 'off')).toEqual({ what: 'nopromisc', on: false });
    expect(set('macaddr', 'add', '02:aa:00:00:00:01')).toEqual({ what: 'macaddr', op: 'add', mac: mac('02:aa:00:00:00:01') });
    expect(set('macaddr', 'del', '02:aa:00:00:00:01')).toEqual({ what: 'macaddr', op: 'del', mac: mac('02:aa:00:00:00:01') });
    expect(set('macaddr', 'set', '02:aa:00:00:00:01,02:aa:00:00:00:02')).toEqual(
      { what: 'macaddr', op: 'set', macs: [mac('02:aa:00:00:00:01'), mac('02:aa:00:00:00:02')] });
    expect(set('macaddr', 'flush')).toEqual({ what: 'macaddr', op: 'flush' });
    expect(ok('set', 'a', 'mode', 'vepa', '--parent', 'eth0')).toMatchObject({ kind: 'set', name: 'a', target: { parent: 'eth0' } });
  });

  test('set: refusals', () => {
    const cases: [string[], string][] = [
      [[], 'set: needs NAME and a change'],
      [['a'], 'set a: needs a change'],
      [['a', 'colour', 'red'], 'set a colour red: unknown change "colour"'],
      [['a', 'mode'], 'set a mode: mode needs a value'],
      [['a', 'mode', 'sideways'], 'set a mode sideways: bad mode "sideways"'],
      [['a', 'mode', 'bridge', 'vepa'], 'set a mode bridge vepa: unexpected "vepa" after mode'],
      [['a', 'mac', 'auto'], 'set a mac auto: bad MAC "auto"'],
      [['a', 'mac', '01:00:5e:00:00:01'], 'set a mac 01:00:5e:00:00:01: MAC 01:00:5e:00:00:01 is multicast'],
      [['a', 'mtu', '67'], 'set a mtu 67: mtu 67 is out of range'],
      [['a', 'nodst', 'yes'], 'set a nodst yes: expected on or off, got "yes"'],
      [['a', 'nopromisc'], 'set a nopromisc: nopromisc needs a value'],
      [['a', 'macaddr'], 'set a macaddr: macaddr needs add, del, set or flush'],
      [['a', 'macaddr', 'clear'], 'set a macaddr clear: bad macaddr operation "clear"'],
      [['a', 'macaddr', 'add'], 'set a macaddr add: macaddr add needs a MAC'],
      [['a', 'macaddr', 'add', 'zz'], 'set a macaddr add zz: bad MAC "zz"'],
      [['a', 'macaddr', 'add', '02:aa:00:00:00:01', 'x'], 'set a macaddr add 02:aa:00:00:00:01 x: unexpected "x" after macaddr add'],
      [['a', 'macaddr', 'flush', 'x'], 'set a macaddr flush x: unexpected "x" after macaddr flush'],
      [['a', 'macaddr', 'set', '02:aa:00:00:00:01,'], 'set a macaddr set 02:aa:00:00:00:01,: bad MAC ""'],
      [['a/b', 'mode', 'vepa'], 'set a/b mode vepa: name "a/b" contains "/"'],
    ];
    for (const [args, start] of cases) {
      const e = err('set', ...args);
      expect(e.message.startsWith(start), `${e.message} vs ${start}`).toBe(true);
    }
  });

  test('trace', () => {
    expect(ok('trace', '--in', 'parent', '--dst', 'ff:ff:ff:ff:ff:ff')).toEqual({ kind: 'trace', target: {}, in: 'parent', dst: BROADCAST });
    expect(ok('trace', '--in=c1', '--dst=01:00:5e:00:00:01', '--src', '02:00:00:00:00:01', '--vlan', '4095', '--len', '60', '--parent', 'eth0'))
      .toEqual({ kind: 'trace', target: { parent: 'eth0' }, in: 'c1', dst: mac('01:00:5e:00:00:01'), src: mac('02:00:00:00:00:01'), vlan: 4095, len: 60 });
    expect(err('trace', '--dst', 'ff:ff:ff:ff:ff:ff').message).toMatch(/^--in: required/);
    expect(err('trace', '--in', 'parent').message).toMatch(/^--dst: required/);
    expect(err('trace', '--in', 'all', '--dst', '02:00:00:00:00:01').message).toMatch(/^--in all: name "all" is reserved/);
    expect(err('trace', '--in', 'parent', '--dst', 'zz').message).toBe('--dst zz: bad MAC "zz"');
    expect(err('trace', '--in', 'parent', '--dst', '02:00:00:00:00:01', '--vlan', '4096').message).toMatch(/VLAN id 4096 is out of range/);
    expect(err('trace', '--in', 'parent', '--dst', '02:00:00:00:00:01', '--len', '65536').message).toMatch(/frame length 65536 is out of range/);
    expect(err('trace', '--in', 'parent', '--dst', '02:00:00:00:00:01', 'x').message).toMatch(/^umacvlan trace: unexpected argument "x"/);
  });

  test('capture', () => {
    expect(ok('capture', 'start', 'c.pcapng')).toEqual({
      kind: 'capture-start', target: {}, capture: { file: 'c.pcapng', port: 'all', format: 'pcapng', snaplen: 262144 },
    });
    expect(ok('capture', 'start', 'c.pcap', '--capture-port', 'b', '--capture-format=pcap', '--capture-filter', 'arp',
      '--capture-snaplen', '128', '--capture-rotate', '5:2', '--control', '/x.sock')).toEqual({
      kind: 'capture-start', target: { control: '/x.sock' },
      capture: { file: 'c.pcap', port: 'b', filter: 'arp', format: 'pcap', snaplen: 128, rotate: { sizeMb: 5, files: 2 } },
    });
    expect(ok('capture', 'stop', '--parent', 'eth0')).toEqual({ kind: 'capture-stop', target: { parent: 'eth0' } });
    expect(err('capture').message).toBe('capture: needs start FILE or stop');
    expect(err('capture', 'begin').message).toMatch(/^capture: unknown operation "begin"/);
    expect(err('capture', 'start').message).toBe('capture: start needs a FILE');
    expect(err('capture', 'start', '-').message).toMatch(/^capture start -: the standard output/);
    expect(err('capture', 'start', 'a', 'b').message).toMatch(/^umacvlan capture: unexpected argument "b"/);
    expect(err('capture', 'stop', 'x').message).toMatch(/^umacvlan capture: unexpected argument "x"/);
    expect(err('capture', 'stop', '--capture-snaplen', '5').message).toBe('--capture-snaplen: is for capture start, not stop');
    expect(err('capture', 'start', 'f', '--capture').message).toMatch(/^--capture: unknown option of umacvlan capture/);
  });
});

describe('help, version, unknown commands', () => {
  test('--help, CMD --help (wins over everything before "--")', () => {
    expect(ok('--help')).toEqual({ kind: 'help' });
    for (const c of COMMAND_NAMES) expect(ok(c, '--help')).toEqual({ kind: 'help', topic: c });
    expect(ok('run', '--frob', '--child', 'bad', '--help')).toEqual({ kind: 'help', topic: 'run' });
    expect(ok('del', '--', '--help')).toEqual({ kind: 'del', target: {}, name: '--help' }); // after "--" it is a name
    expect(ok('--version')).toEqual({ kind: 'version' });
    expect(err('--version', 'x').message).toBe('--version: takes no arguments, got "x"');
  });
  test('no command, unknown command, an option first', () => {
    expect(err().message).toMatch(/^umacvlan: no command/);
    expect(err('frob').message).toMatch(/^frob: unknown command/);
    expect(err('').message).toMatch(/^umacvlan: empty command/);
    expect(err('--parent', 'eth0', 'run').message).toMatch(/^--parent: unknown option \(the command comes first/);
    expect(err('RUN').field).toBe('RUN');
  });
  test('help texts: one per command, truthful about options and exit codes', () => {
    const main = helpText();
    for (const c of COMMAND_NAMES) {
      expect(main).toContain(`umacvlan ${c}`);
      const t = helpText(c);
      expect(t.startsWith('Usage: umacvlan ')).toBe(true);
      for (const [name, code] of Object.entries(EXIT)) expect(t, `${c} ${name}`).toMatch(new RegExp(`^  ${code}  `, 'm'));
      expect(t.endsWith('\n')).toBe(true);
    }
    expect(EXIT).toEqual({ OK: 0, FAILURE: 1, USAGE: 2, NOT_ROOT: 3, PARENT_GONE: 4 });
    // Every option the parser accepts for `run` is in `run --help`, and nothing more.
    const runHelp = helpText('run');
    const documented = new Set(runHelp.match(/--[a-z-]+/g));
    for (const o of ['--parent', '--child', '--netns', '--config', '--capture', '--capture-port', '--capture-filter',
      '--capture-format', '--capture-snaplen', '--capture-rotate', '--control', '--metrics', '--verbose', '--quiet',
      '--busy-poll-us']) {
      expect(documented.has(o), o).toBe(true);
      expect(ok('run', o, '--help')).toEqual({ kind: 'help', topic: 'run' });
    }
    for (const o of documented) {
      if (o === '--help' || o === '--config') continue;
      const r = parseCommand(['run', '--parent', 'p', o, 'x'], noFile);
      if (r instanceof UsageError) expect(r.message, o).not.toMatch(/unknown option/);
    }
  });
});
