// The CNI daemon's pure rules: the control socket's size rule for a CNI request, tombstone names, the state file's
// `cni` key, GC's choice, the IPAM call's plugin and environment, --cni references, install's arguments, addresses.
import { describe, expect, test } from 'vitest';
import { CNI_REQUEST_PREFIX, MAX_CNI_REQUEST_BYTES, cniCallOf, requestLimit } from '../../../src/control/cni-request.js';
import { MAX_REQUEST_BYTES } from '../../../src/control/server.js';
import { readAttachment, tombstoneName } from '../../../src/control/cni-attachment.js';
import { tombstoneDir, tombstoned } from '../../../src/control/cni-tombstones.js';
import { ipamSpeaksGc, staleChildren } from '../../../src/control/cni-gc.js';
import { findPlugin, ipamEnv, pluginCandidates, pluginNameProblem } from '../../../src/control/ipam-exec.js';
import { ipamFailure } from '../../../src/control/cni-ipam.js';
import { parseCniRef, resolveCniRef } from '../../../src/control/cni-ref.js';
import { parseCniArgs } from '../../../src/control/cni-install.js';
import { errorVersion } from '../../../src/control/cni-handler.js';
import { ipBytes, ipText, prefixOf } from '../../../src/control/netns-config.js';
import { childConfigOf, newState, parseState, stateText, type StateChild } from '../../../src/control/state-file.js';
import { Mode } from '../../../src/core/constants.js';
import { UsageError } from '../../../src/control/usage-error.js';

const att = (network: string, containerId: string, ifname = 'eth0') => ({ network, containerId, ifname, ips: [] as string[] });

describe('the CNI request size rule', () => {
  test('only a request starting with the CNI prefix gets the larger allowance', () => {
    expect(requestLimit(CNI_REQUEST_PREFIX + '"env":{}', MAX_REQUEST_BYTES)).toBe(MAX_CNI_REQUEST_BYTES);
    expect(requestLimit('{"cmd":"exec","argv":[]}', MAX_REQUEST_BYTES)).toBe(MAX_REQUEST_BYTES);
    expect(requestLimit(' {"cmd":"cni",', MAX_REQUEST_BYTES)).toBe(MAX_REQUEST_BYTES);
    expect(requestLimit('{"cmd": "cni",', MAX_REQUEST_BYTES)).toBe(MAX_REQUEST_BYTES);
    expect(MAX_CNI_REQUEST_BYTES).toBeGreaterThanOrEqual(1024 * 1024);
  });

  test('a request read under the allowance must be a CNI call, field by field', () => {
    expect(cniCallOf(JSON.parse('{"cmd":"cni","cmd":"exec","argv":[]}') as Record<string, unknown>)).toMatch(/must be/);
    expect(cniCallOf({ cmd: 'cni', env: [], stdin: '' })).toMatch(/env is not an object/);
    expect(cniCallOf({ cmd: 'cni', env: {}, stdin: 3 })).toMatch(/stdin is not a string/);
    expect(cniCallOf({ cmd: 'cni', env: { PATH: '/bin' }, stdin: '' })).toMatch(/unknown variable "PATH"/);
    expect(cniCallOf({ cmd: 'cni', env: { CNI_ARGS: 'x'.repeat(5000) }, stdin: '' })).toMatch(/at most 4096/);
    expect(cniCallOf({ cmd: 'cni', env: { CNI_COMMAND: 'ADD' }, stdin: '{}' })).toEqual({ env: { CNI_COMMAND: 'ADD' }, stdin: '{}' });
  });
});

describe('tombstones', () => {
  test('names: the safe bytes as they are, the others %XX, container and interface joined by ~', () => {
    expect(tombstoneName('abc-1.2_x', 'eth0')).toBe('abc-1.2_x~eth0');
    expect(tombstoneName('a/b', 'e~0')).toBe('a%2Fb~e%7E0');
    expect(tombstoneName('..', 'é')).toBe('..~%C3%A9');
    expect(tombstoneDir('/run/umacvlan/4026531840-eth0.sock')).toBe('/run/umacvlan/4026531840-eth0.cni-tombstones');
    expect(tombstoneDir('/tmp/x/ctl')).toBe('/tmp/x/ctl.cni-tombstones');
  });

  test('a kept child is dropped only when its own (container, interface) has a tombstone', () => {
    const kept = (name: string, cni?: ReturnType<typeof att>): StateChild =>
      ({ name, mac: 2, mode: Mode.BRIDGE, flags: 0, mtu: 1500, macaddr: [], netns: null, extra: {}, ...(cni ? { cni } : {}) });
    const children = [kept('c1', att('n', 'A')), kept('c2', att('n', 'B')), kept('plain')];
    expect(tombstoned(['A~eth0', 'C~eth0', 'plain'], children)).toEqual(['c1']);
    expect(tombstoned([], children)).toEqual([]);
  });
});

describe('the state file keeps a CNI child\'s attachment', () => {
  test('written, read back, and carried into the child\'s configuration; a bad one is refused', () => {
    const s = newState({ name: 'p0', ifindex: 3 });
    const cni = { network: 'net', containerId: 'abc', ifname: 'eth0', ips: ['198.18.6.2/24'] };
    s.children = [{ name: 'c0123456789ab', mac: 0x02aa00000001, mode: Mode.BRIDGE, flags: 0, mtu: 1500, macaddr: [], netns: null, extra: {}, cni }];
    const back = parseState(stateText(s), 'f');
    expect(back.children[0].cni).toEqual(cni);
    expect(back.children[0].extra).toEqual({});
    expect(childConfigOf(back.children[0]).cni).toEqual(cni);
    const text = stateText(s).replace('"ifname": "eth0"', '"ifname": 7');
    expect(() => parseState(text, 'f')).toThrow(/children\[0\]\.cni \.ifname is not a string/);
    expect(readAttachment({ network: 'n', containerId: 'c', ifname: 'e', ips: [1] })).toMatch(/ips/);
  });
});

describe('GC', () => {
  const children = [
    { name: 'keep', cni: att('net', 'A') },
    { name: 'stale', cni: att('net', 'B') },
    { name: 'other-ifname', cni: att('net', 'A', 'eth1') },
    { name: 'other-net', cni: att('net2', 'C') },
    { name: 'not-cni' },
  ];
  test('removes exactly this network\'s CNI children that are not valid attachments', () => {
    expect(staleChildren('net', children, [{ containerId: 'A', ifname: 'eth0' }])).toEqual(['stale', 'other-ifname']);
    expect(staleChildren('net', children, [])).toEqual(['keep', 'stale', 'other-ifname']);
    expect(staleChildren('none', children, [])).toEqual([]);
  });
  test('delegates to the IPAM plugin only when its VERSION lists 1.1.0', () => {
    expect(ipamSpeaksGc('{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}')).toBe(true);
    expect(ipamSpeaksGc('{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}')).toBe(false);
    expect(ipamSpeaksGc('garbage')).toBe(false);
    expect(ipamSpeaksGc('{"supportedVersions":"1.1.0"}')).toBe(false);
  });
});

describe('the IPAM call', () => {
  test('the plugin is looked for in CNI_PATH\'s order; a name that leaves it is refused', () => {
    expect(pluginCandidates('host-local', '/a::/b/')).toEqual(['/a/host-local', '/b/host-local']);
    const exec = (f: string): boolean => f === '/b/host-local';
    expect(findPlugin('host-local', '/a:/b', exec)).toBe('/b/host-local');
    expect(findPlugin('host-local', '', exec)).toBeNull();
    for (const bad of ['', '.', '..', '../x', 'a/b']) expect(pluginNameProblem(bad)).toMatch(/invalid plugin name/);
    expect(pluginNameProblem('dhcp')).toBeNull();
  });
  test('its environment: the daemon\'s minus its own CNI_*, the request\'s CNI_*, the delegated command', () => {
    const env = ipamEnv({ PATH: '/bin', CNI_STALE: 'x', HOME: undefined },
      { env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_PATH: '/opt' }, stdin: '' }, 'DEL');
    expect(env).toEqual({ PATH: '/bin', CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_PATH: '/opt' });
  });
  test('its failure is passed on with its own code, or as an internal error', () => {
    const e = ipamFailure('host-local', 'ADD', 1, '{"code":11,"msg":"busy","details":"d"}');
    expect([e.cniCode, e.message, e.details]).toEqual([11, 'busy', 'd']);
    expect(ipamFailure('x', 'DEL', 2, 'Traceback').cniCode).toBe(999);
  });
  test('an error is printed in the config\'s version when it can be read', () => {
    expect(errorVersion('{"cniVersion":"0.4.0"}')).toBe('0.4.0');
    expect(errorVersion('nope')).toBe('1.1.0');
  });
});

describe('--cni and cni install', () => {
  test('CONTAINERID/IFNAME', () => {
    expect(parseCniRef('abc/eth0')).toEqual({ containerId: 'abc', ifname: 'eth0' });
    for (const bad of ['abc', '/eth0', 'abc/']) expect(parseCniRef(bad)).toHaveProperty('detail');
    const kids = [{ name: 'c1', cfg: { cni: att('n1', 'A') } }, { name: 'c2', cfg: { cni: att('n2', 'A') } }, { name: 'x', cfg: {} }];
    expect(resolveCniRef(kids.slice(0, 1), { containerId: 'A', ifname: 'eth0' })).toBe('c1');
    expect(() => resolveCniRef(kids, { containerId: 'A', ifname: 'eth0' })).toThrow(/several networks/);
    expect(() => resolveCniRef(kids, { containerId: 'B', ifname: 'eth0' })).toThrow(/no CNI child serves B\/eth0/);
  });
  test('cni install [--dir DIR]', () => {
    expect(parseCniArgs(['install'])).toEqual({ dir: '/opt/cni/bin' });
    expect(parseCniArgs(['install', '--dir', '/x'])).toEqual({ dir: '/x' });
    expect(parseCniArgs(['install', '--dir=/y'])).toEqual({ dir: '/y' });
    for (const bad of [[], ['remove'], ['install', '--dir'], ['install', 'extra']]) expect(parseCniArgs(bad)).toBeInstanceOf(UsageError);
  });
});

describe('addresses as the namespace is told them', () => {
  test('CIDR text to bytes and back', () => {
    expect(prefixOf('198.18.6.2/24')).toEqual({ family: 2, addr: Uint8Array.from([198, 18, 6, 2]), len: 24 });
    expect(prefixOf('fd00::1/64')?.len).toBe(64);
    expect(prefixOf('0.0.0.0/0')?.len).toBe(0);
    for (const bad of ['198.18.6.256/24', '198.18.6.2/33', 'fd00::1::2/64', 'x/1', '1.2.3/8']) expect(prefixOf(bad)).toBeNull();
    expect(ipText(ipBytes('fd00:0:0:0:0:0:0:1')!)).toBe('fd00::1');
    expect(ipText(ipBytes('fe80::a:0:0:1')!)).toBe('fe80::a:0:0:1');
    expect(ipText(ipBytes('1:2:3:4:5:6:7:8')!)).toBe('1:2:3:4:5:6:7:8');
    expect(ipText(ipBytes('::')!)).toBe('::');
  });
});

describe('the command line takes --cni and cni install', () => {
  test('show, del and set with --cni; a name beside it is refused', async () => {
    const { parseCommand } = await import('../../../src/control/args.js');
    const ref = { containerId: 'abc', ifname: 'eth0' };
    expect(parseCommand(['show', '--cni', 'abc/eth0', '--json'])).toMatchObject({ kind: 'show', json: true, cni: ref });
    expect(parseCommand(['del', '--cni', 'abc/eth0'])).toMatchObject({ kind: 'del', name: '', cni: ref });
    expect(parseCommand(['set', '--cni', 'abc/eth0', 'mtu', '1400'])).toMatchObject({ kind: 'set', name: '', cni: ref, change: { what: 'mtu', mtu: 1400 } });
    expect(parseCommand(['del', '--cni', 'abc/eth0', 'c1'])).toBeInstanceOf(UsageError);
    expect(parseCommand(['show', 'c1', '--cni', 'abc/eth0'])).toBeInstanceOf(UsageError);
    expect(parseCommand(['del', '--cni', 'abc'])).toBeInstanceOf(UsageError);
    expect(parseCommand(['cni', 'install', '--dir', '/tmp/x'])).toEqual({ kind: 'cni-install', dir: '/tmp/x' });
    expect(parseCommand(['cni', '--help'])).toEqual({ kind: 'help', topic: 'cni' });
  });
});
