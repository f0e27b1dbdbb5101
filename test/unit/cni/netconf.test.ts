// The network config: the reference macvlan plugin's keys read as its Go decoder reads them, umacvlan's own keys,
// the MAC's precedence, the checks and their codes.

import { describe, expect, test } from 'vitest';
import { CNI_CODE } from '../../../src/cni/cni-error.js';
import { checkMtu, parseNetConf } from '../../../src/cni/netconf.js';
import { cniErr, envOf } from './cni-expect.js';

const BASE = { cniVersion: '1.0.0', name: 'net-a', type: 'umacvlan' };
const conf = (over: Record<string, unknown>, env = envOf('ADD')) => parseNetConf(JSON.stringify({ ...BASE, ...over }), env);
const errOf = (over: Record<string, unknown>, env = envOf('ADD')) => cniErr(() => conf(over, env));

describe('defaults and the reference\'s keys', () => {
  test('the least config: bridge on the default-route interface, the master\'s MTU, L2 only', () => {
    const c = conf({});
    expect(c).toEqual({
      cniVersion: '1.0.0', name: 'net-a', master: null, mode: 'bridge', mtu: 0, mac: null, macaddr: [], nodst: false,
      bcqueuelen: null, ipam: null, ipamType: null, control: null, prevResult: null, validAttachments: null, dns: {},
      raw: { ...BASE },
    });
  });

  test('every key set', () => {
    const c = conf({
      master: 'ucs-m', mode: 'private', mtu: 1400, mac: '02:00:00:00:00:01', bcqueuelen: 100, control: '/run/umacvlan/x.sock',
      ipam: { type: 'host-local', subnet: '198.18.0.0/24' }, dns: { nameservers: ['198.18.0.1'], domain: 'd', search: ['s'], options: ['o'] },
    });
    expect(c).toMatchObject({
      master: 'ucs-m', mode: 'private', mtu: 1400, mac: 0x020000000001, bcqueuelen: 100, control: '/run/umacvlan/x.sock',
      ipam: { type: 'host-local', subnet: '198.18.0.0/24' }, ipamType: 'host-local',
      dns: { nameservers: ['198.18.0.1'], domain: 'd', search: ['s'], options: ['o'] },
    });
  });

  test('raw is the stdin as parsed, unknown keys and all', () => {
    const c = conf({ args: { cni: { x: 1 } }, whatever: [1], MTU: 9 });
    expect(c.raw).toEqual({ ...BASE, args: { cni: { x: 1 } }, whatever: [1], MTU: 9 });
  });

  test('modes: the reference\'s four, "" = bridge, and source; the reference\'s error otherwise', () => {
    for (const m of ['bridge', 'private', 'vepa', 'passthru', 'source']) expect(conf({ mode: m }).mode).toBe(m);
    expect(conf({ mode: '' }).mode).toBe('bridge');
    for (const m of ['Bridge', 'BRIDGE', 'vepa ', 'x']) {
      const e = errOf({ mode: m });
      expect([e.cniCode, e.message]).toEqual([7, `unknown macvlan mode: ${JSON.stringify(m)}`]);
    }
  });

  test('bcqueuelen 0 is the kernel\'s default, as the reference omits it; a u32 otherwise', () => {
    expect(conf({ bcqueuelen: 0 }).bcqueuelen).toBeNull();
    expect(conf({ bcqueuelen: 0xffffffff }).bcqueuelen).toBe(0xffffffff);
    for (const n of [-1, 0x100000000, 1.5]) expect(errOf({ bcqueuelen: n }).cniCode).toBe(7);
  });

  test('an empty string is the key omitted (master, mac, control, mode)', () => {
    expect(conf({ master: '', mac: '', control: '', mode: '' })).toMatchObject({ master: null, mac: null, control: null, mode: 'bridge' });
  });

  test('null is the key omitted, as Go leaves the field alone', () => {
    expect(conf({ master: null, mtu: null, ipam: null, dns: null, mode: null, mac: null, linkInContainer: null })).toMatchObject({
      master: null, mtu: 0, ipam: null, mode: 'bridge', mac: null,
    });
  });
});

describe('keys match case-insensitively, as Go\'s decoder matches them; the last one wins', () => {
  test('any case of every key', () => {
    const c = parseNetConf(JSON.stringify({
      CNIVERSION: '0.4.0', NaMe: 'n', MASTER: 'ucs-m', Mode: 'vepa', Mtu: 1000, MAC: '02:00:00:00:00:02', BcQueueLen: 5,
      IPAM: { TYPE: 'host-local' }, RuntimeConfig: {}, LinkInContainer: false, Control: '/run/x.sock',
    }), envOf('ADD'));
    expect(c).toMatchObject({
      cniVersion: '0.4.0', name: 'n', master: 'ucs-m', mode: 'vepa', mtu: 1000, mac: 0x020000000002, bcqueuelen: 5,
      ipamType: 'host-local', control: '/run/x.sock',
    });
  });

  test('Unicode simple folding: "ſ" is "s", the Kelvin sign is "k"', () => {
    expect(conf({ maſter: 'ucs-m' }).master).toBe('ucs-m');
    expect(conf({ ['nodst'.replace('s', 'ſ')]: true }).nodst).toBe(true);
    expect(errOf({ ['lin\u212AInContainer']: true }).cniCode).toBe(CNI_CODE.UNSUPPORTED_FIELD);
  });

  test('two spellings of one key: the later one in the text counts; a later null changes nothing', () => {
    expect(parseNetConf('{"cniVersion":"1.0.0","name":"n","mtu":1000,"MTU":1200}', envOf('ADD')).mtu).toBe(1200);
    expect(parseNetConf('{"cniVersion":"1.0.0","name":"n","MTU":1200,"mtu":1000}', envOf('ADD')).mtu).toBe(1000);
    expect(parseNetConf('{"cniVersion":"1.0.0","name":"n","mtu":1000,"MTU":null}', envOf('ADD')).mtu).toBe(1000);
  });
});

describe('a known key of the wrong type: error 7 naming it', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['cniVersion', { cniVersion: 1 }],
    ['name', { name: 5 }],
    ['type', { type: true }],
    ['capabilities', { capabilities: [] }],
    ['linkInContainer', { linkInContainer: 'true' }],
    ['master', { master: 1 }],
    ['mode', { mode: 4 }],
    ['mtu', { mtu: '1500' }],
    ['mtu', { mtu: 1500.5 }],
    ['bcqueuelen', { bcqueuelen: '1' }],
    ['ipam', { ipam: 'host-local' }],
    ['ipam', { ipam: [] }],
    ['ipam.type', { ipam: { type: 1 } }],
    ['dns', { dns: 'x' }],
    ['dns.nameservers', { dns: { nameservers: '1.1.1.1' } }],
    ['dns.nameservers[0]', { dns: { nameservers: [1] } }],
    ['dns.domain', { dns: { domain: [] } }],
    ['dns.search', { dns: { search: 'x' } }],
    ['dns.options', { dns: { options: {} } }],
    ['control', { control: 7 }],
    ['macaddr', { mode: 'source', macaddr: '02:00:00:00:00:01' }],
    ['macaddr[0]', { mode: 'source', macaddr: [1] }],
    ['nodst', { nodst: 1 }],
    ['mac', { mac: 2 }],
    ['runtimeConfig', { runtimeConfig: 'x' }],
    ['runtimeConfig.mac', { runtimeConfig: { mac: 1 } }],
    ['prevResult', { prevResult: [] }],
    ['cni.dev/valid-attachments', { 'cni.dev/valid-attachments': {} }],
    ['cni.dev/valid-attachments[0]', { 'cni.dev/valid-attachments': ['x'] }],
  ];
  for (const [key, over] of cases) {
    test(`${key}: ${JSON.stringify(over)}`, () => {
      const e = errOf(over);
      expect(e.cniCode).toBe(CNI_CODE.INVALID_CONFIG);
      expect(e.message.startsWith(`${key}: `)).toBe(true);
    });
  }

  test('the same for every command that reads the config', () => {
    for (const cmd of ['ADD', 'DEL', 'CHECK'] as const) expect(errOf({ master: 1 }, envOf(cmd)).cniCode).toBe(7);
  });
});

describe('what skel checks first', () => {
  test('not JSON: error 6', () => {
    for (const s of ['', '{', '{"name": "n",}', 'nul']) {
      const e = cniErr(() => parseNetConf(s, envOf('ADD')));
      expect(e.cniCode).toBe(CNI_CODE.DECODE_FAILED);
      expect(e.message).toMatch(/^error unmarshall network config: /);
    }
  });

  test('JSON that is not an object: error 6; null is an empty config (no name: 7)', () => {
    for (const s of ['[]', '"x"', '1', 'true']) expect(cniErr(() => parseNetConf(s, envOf('ADD'))).cniCode).toBe(6);
    const e = cniErr(() => parseNetConf('null', envOf('ADD')));
    expect([e.cniCode, e.message]).toEqual([7, 'missing network name']);
  });

  test('the network name: required, and the specification\'s characters', () => {
    expect(errOf({ name: '' }).message).toBe('missing network name');
    for (const n of ['-x', 'a b', 'a/b', '.a']) {
      const e = errOf({ name: n });
      expect([e.cniCode, e.message, e.details]).toEqual([7, 'invalid characters found in network name', n]);
    }
    expect(conf({ name: 'A1_b.c-d' }).name).toBe('A1_b.c-d');
  });

  test('the name before the version, the version before the keys', () => {
    expect(errOf({ name: '', cniVersion: '0.2.0' }).cniCode).toBe(7);
    expect(errOf({ cniVersion: '0.2.0', mode: 'x' }).cniCode).toBe(1);
    expect(errOf({ cniVersion: undefined }).message).toBe('incompatible CNI versions');
  });

  test('0.1.0 and 0.2.0 are refused for every command with the incompatible-version error', () => {
    for (const v of ['0.1.0', '0.2.0']) {
      for (const cmd of ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC'] as const) {
        expect(errOf({ cniVersion: v }, envOf(cmd)).cniCode).toBe(CNI_CODE.INCOMPATIBLE_VERSION);
      }
    }
  });

  test('CHECK below 0.4.0, STATUS and GC below 1.1.0: error 1', () => {
    expect(errOf({ cniVersion: '0.3.1', prevResult: {} }, envOf('CHECK')).message).toBe('config version does not allow CHECK');
    expect(errOf({ cniVersion: '1.0.0' }, envOf('STATUS')).message).toBe('config version does not allow STATUS');
    expect(errOf({ cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] }, envOf('GC')).message).toBe('config version does not allow GC');
  });
});

describe('the plugin\'s own checks', () => {
  test('linkInContainer: true is refused with error 2 naming the key and value; false is fine', () => {
    const e = errOf({ linkInContainer: true });
    expect([e.cniCode, e.message]).toEqual([CNI_CODE.UNSUPPORTED_FIELD, 'linkInContainer: true is not supported']);
    expect(conf({ linkInContainer: false }).master).toBeNull();
    expect(errOf({ linkInContainer: true }, envOf('CHECK')).cniCode).toBe(2);
    expect(conf({ linkInContainer: true }, envOf('DEL')).name).toBe('net-a'); // DEL always succeeds where it can
  });

  test('master: a name the kernel would take', () => {
    for (const m of ['a'.repeat(16), 'a b', 'a/b', '..']) expect(errOf({ master: m }).message).toMatch(/^master: /);
  });

  test('ipam: {} and null are L2 only; an object needs a plugin name', () => {
    expect(conf({ ipam: {} }).ipam).toBeNull();
    for (const ipam of [{ subnet: '198.18.0.0/24' }, { type: '' }]) {
      const e = errOf({ ipam });
      expect(e.cniCode).toBe(7);
      expect(e.message).toMatch(/^ipam: no "type"/);
    }
    for (const type of ['../x', 'a/b', '.', '..']) expect(errOf({ ipam: { type } }).message).toMatch(/^ipam\.type: /);
  });

  test('an IPAM plugin needs CNI_PATH: error 4 without it', () => {
    for (const cmd of ['ADD', 'DEL', 'CHECK'] as const) {
      const e = errOf({ ipam: { type: 'host-local' }, prevResult: { cniVersion: '1.0.0' } }, envOf(cmd, { path: '' }));
      expect([e.cniCode, e.message]).toEqual([4, 'required env variables [CNI_PATH] missing']);
    }
    expect(conf({ ipam: {} }, envOf('ADD', { path: '' })).ipam).toBeNull();
  });

  test('control: a socket path that fits sun_path', () => {
    expect(errOf({ control: `/${'a'.repeat(107)}` }).message).toMatch(/^control: /);
  });

  test('source mode: macaddr (kept once each) and nodst; macaddr in another mode is refused', () => {
    const c = conf({ mode: 'source', macaddr: ['02:00:00:00:00:0a', '02-00-00-00-00-0A', '02:00:00:00:00:0b'], nodst: true });
    expect([c.macaddr, c.nodst]).toEqual([[0x02000000000a, 0x02000000000b], true]);
    const e = errOf({ mode: 'bridge', macaddr: ['02:00:00:00:00:0a'] });
    expect([e.cniCode, e.message]).toEqual([7, 'macaddr is for source mode only, not bridge']);
    expect(errOf({ mode: 'source', macaddr: ['01:00:5e:00:00:01'] }).cniCode).toBe(7);
    expect(conf({ mode: 'source', macaddr: [] }).macaddr).toEqual([]);
  });

  test('a config MAC that is not a unicast 48-bit MAC: error 7', () => {
    for (const m of ['zz', '01:00:00:00:00:01', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']) expect(errOf({ mac: m }).cniCode).toBe(7);
    expect(errOf({ mac: 'zz' }).message).toBe('invalid args zz for MAC addr: address zz: invalid MAC address');
  });
});

describe('the MAC\'s precedence: config < CNI_ARGS < runtimeConfig.mac', () => {
  const M1 = '02:00:00:00:00:01', M2 = '02:00:00:00:00:02', M3 = '02:00:00:00:00:03';
  const add = (over: Record<string, unknown>, args = '') => conf(over, envOf('ADD', { args })).mac;

  test('each source alone', () => {
    expect(add({ mac: M1 })).toBe(0x020000000001);
    expect(add({}, `MAC=${M2}`)).toBe(0x020000000002);
    expect(add({ runtimeConfig: { mac: M3 } })).toBe(0x020000000003);
  });

  test('each overrides the one before', () => {
    expect(add({ mac: M1 }, `MAC=${M2}`)).toBe(0x020000000002);
    expect(add({ mac: M1, runtimeConfig: { mac: M3 } }, `MAC=${M2}`)).toBe(0x020000000003);
    expect(add({ mac: M1, runtimeConfig: { mac: M3 } })).toBe(0x020000000003);
  });

  test('an empty one overrides nothing', () => {
    expect(add({ mac: M1, runtimeConfig: { mac: '' } }, 'MAC=')).toBe(0x020000000001);
    expect(add({ mac: M1, runtimeConfig: {} }, 'IgnoreUnknown=1;X=y')).toBe(0x020000000001);
  });

  test('a bad MAC anywhere is an error: 7 in the config, 4 in CNI_ARGS', () => {
    expect(errOf({ runtimeConfig: { mac: 'x' } }).cniCode).toBe(7);
    expect(cniErr(() => conf({}, envOf('ADD', { args: 'MAC=x' }))).cniCode).toBe(4);
    expect(cniErr(() => conf({}, envOf('ADD', { args: 'FOO=1' }))).cniCode).toBe(4);
  });

  test('CHECK reads the MAC as ADD does; DEL, STATUS and GC read none (and not CNI_ARGS)', () => {
    expect(conf({ mac: M1, prevResult: { cniVersion: '1.0.0' } }, envOf('CHECK', { args: `MAC=${M2}` })).mac).toBe(0x020000000002);
    expect(conf({ mac: M1 }, envOf('DEL', { args: 'FOO=1' })).mac).toBeNull();
    const v11 = { cniVersion: '1.1.0', mac: M1, 'cni.dev/valid-attachments': [] };
    expect(conf(v11, envOf('STATUS', { args: 'FOO=1' })).mac).toBeNull();
    expect(conf(v11, envOf('GC', { args: 'FOO=1' })).mac).toBeNull();
  });
});

describe('prevResult and valid attachments', () => {
  const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/ucs-c1' }], ips: [{ address: '198.18.0.5/24', interface: 0 }] };

  test('CHECK requires a prevResult and reads it (in the config\'s version when it has none)', () => {
    expect(errOf({}, envOf('CHECK')).message).toBe('required prevResult missing');
    expect(conf({ prevResult: prev }, envOf('CHECK')).prevResult).toEqual(prev);
    const { cniVersion: _, ...bare } = prev;
    expect(conf({ cniVersion: '0.4.0', prevResult: bare }, envOf('CHECK')).prevResult?.cniVersion).toBe('0.4.0');
  });

  test('DEL reads a prevResult where it can, and goes on without one it cannot read', () => {
    expect(conf({ prevResult: prev }, envOf('DEL')).prevResult).toEqual(prev);
    expect(conf({ prevResult: { ips: [{ address: 'x' }] } }, envOf('DEL')).prevResult).toBeNull();
    expect(conf({ prevResult: prev }, envOf('ADD')).prevResult).toBeNull();
  });

  test('GC requires cni.dev/valid-attachments', () => {
    const v11 = { cniVersion: '1.1.0' };
    expect(errOf(v11, envOf('GC')).message).toBe('GC needs "cni.dev/valid-attachments"');
    const c = conf({ ...v11, 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }, { containerid: 'c2', IfName: 'net1' }] }, envOf('GC'));
    expect(c.validAttachments).toEqual([{ containerId: 'c1', ifname: 'eth0' }, { containerId: 'c2', ifname: 'net1' }]);
    expect(conf({ ...v11, 'cni.dev/valid-attachments': [] }, envOf('GC')).validAttachments).toEqual([]);
    expect(conf({ 'cni.dev/valid-attachments': [] }, envOf('ADD')).validAttachments).toBeNull();
  });
});

describe('checkMtu: the reference\'s rule and words', () => {
  const at = (mtu: number) => conf({ mtu });
  test('0 up to the master\'s MTU', () => {
    for (const m of [0, 68, 1500]) expect(() => checkMtu(at(m), 1500)).not.toThrow();
  });
  test('above the master\'s, or negative', () => {
    for (const m of [1501, 9000, -1]) {
      const e = cniErr(() => checkMtu(at(m), 1500));
      expect([e.cniCode, e.message]).toEqual([7, `invalid MTU ${m}, must be [0, master MTU(1500)]`]);
    }
  });
  test('below a device\'s least MTU (the kernel\'s EINVAL in the reference)', () => {
    for (const m of [1, 67]) expect(cniErr(() => checkMtu(at(m), 1500)).message).toMatch(/^invalid MTU \d+: a device's MTU is at least 68/);
  });
});
