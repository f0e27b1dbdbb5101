// Results: read in any spoken version, written in any, and ADD's result as the reference macvlan plugin prints it.

import { describe, expect, test } from 'vitest';
import { CNI_CODE } from '../../../src/cni/cni-error.js';
import { macvlanResult, parseResult, resultFor, type Result } from '../../../src/cni/result.js';
import { SUPPORTED_VERSIONS } from '../../../src/cni/versions.js';
import { cniErr } from './cni-expect.js';

/** host-local's answer at 0.4.0 (with a route and dns), and the same at 1.0.0. */
const IPAM_040 = {
  cniVersion: '0.4.0',
  ips: [{ version: '4', address: '198.18.0.2/24', gateway: '198.18.0.1' }, { version: '6', address: 'fd00::2/64' }],
  routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }],
  dns: { nameservers: ['198.18.0.1'] },
};
const IPAM_100 = {
  cniVersion: '1.0.0',
  ips: [{ address: '198.18.0.2/24', gateway: '198.18.0.1' }, { address: 'fd00::2/64' }],
  routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }],
  dns: { nameservers: ['198.18.0.1'] },
};

describe('parseResult', () => {
  test('0.3.x/0.4.0 (with "version") and 1.x read into one form', () => {
    const { cniVersion: _a, ...a } = parseResult(IPAM_040);
    const { cniVersion: _b, ...b } = parseResult(JSON.stringify(IPAM_100));
    expect(a).toEqual(b);
    expect(a.ips).toEqual([{ address: '198.18.0.2/24', gateway: '198.18.0.1' }, { address: 'fd00::2/64' }]);
    for (const v of ['0.3.0', '0.3.1']) expect(parseResult({ ...IPAM_040, cniVersion: v }).ips).toEqual(a.ips);
  });

  test('interfaces and their optional fields; 1.1.0 route attributes carried', () => {
    const r = parseResult({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1400, sandbox: '/run/netns/x', socketPath: '/s', pciID: '0000:00:01.0' }],
      routes: [{ dst: '198.19.0.0/16', gw: '198.18.0.1', mtu: 1300, advmss: 1200, priority: 5, table: 100, scope: 0 }],
    });
    expect(r.interfaces).toEqual([{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1400, sandbox: '/run/netns/x', socketPath: '/s', pciID: '0000:00:01.0' }]);
    expect(r.routes).toEqual([{ dst: '198.19.0.0/16', gw: '198.18.0.1', mtu: 1300, advmss: 1200, priority: 5, table: 100, scope: 0 }]);
  });

  test('keys in any case, as the library reads them', () => {
    const r = parseResult({ CNIVersion: '1.0.0', IPs: [{ Address: '198.18.0.9/24', GATEWAY: '198.18.0.1', Interface: 0 }] });
    expect(r).toEqual({ cniVersion: '1.0.0', ips: [{ address: '198.18.0.9/24', gateway: '198.18.0.1', interface: 0 }] });
  });

  test('addresses printed again as Go prints them', () => {
    const r = parseResult({ cniVersion: '1.0.0', ips: [{ address: 'FD00:0:0:0::0:5/64', gateway: 'fd00:0::1' }, { address: '::ffff:198.18.0.3/120' }] });
    expect(r.ips).toEqual([{ address: 'fd00::5/64', gateway: 'fd00::1' }, { address: '198.18.0.3/24' }]);
  });

  test('no version: the fallback (the config\'s); none either: refused', () => {
    expect(parseResult({ ips: [] }, '0.4.0').cniVersion).toBe('0.4.0');
    expect(cniErr(() => parseResult({ ips: [] })).cniCode).toBe(CNI_CODE.INCOMPATIBLE_VERSION);
  });

  test('0.1.0/0.2.0 results and unknown versions: error 1', () => {
    for (const v of ['0.1.0', '0.2.0', '2.0.0']) expect(cniErr(() => parseResult({ cniVersion: v })).cniCode).toBe(1);
  });

  test('not a result: error 6', () => {
    for (const bad of ['', 'x', '[]', '1', 'null']) expect(cniErr(() => parseResult(bad)).cniCode).toBe(6);
    const cases: unknown[] = [
      { ips: {} }, { ips: [1] }, { ips: [{}] }, { ips: [{ address: '198.18.0.1' }] }, { ips: [{ address: '198.18.0.1/33' }] },
      { ips: [{ address: '198.18.0.1/24', gateway: 'x' }] }, { ips: [{ address: '198.18.0.1/24', interface: -1 }] },
      { ips: [{ address: '198.18.0.1/24', version: 4 }] }, { routes: [{ gw: '198.18.0.1' }] }, { routes: [{ dst: 'x/1' }] },
      { interfaces: [{ name: 1 }] }, { dns: [] }, { dns: { nameservers: [1] } }, { cniVersion: 1 },
    ];
    for (const c of cases) {
      const e = cniErr(() => parseResult({ cniVersion: '1.0.0', ...(c as object) }));
      expect(e.cniCode, JSON.stringify(c)).toBe(CNI_CODE.DECODE_FAILED);
    }
  });
});

describe('resultFor: each version both ways', () => {
  const internal: Result = {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/x', mtu: 1400 }],
    ips: [{ address: '198.18.0.2/24', gateway: '198.18.0.1', interface: 0 }, { address: 'fd00::2/64', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }],
    dns: { nameservers: ['198.18.0.1'] },
  };

  test('0.3.x and 0.4.0: "version" on each IP, no interface MTU', () => {
    for (const v of ['0.3.0', '0.3.1', '0.4.0']) {
      expect(resultFor(internal, v)).toEqual({
        cniVersion: v,
        interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/x' }],
        ips: [{ version: '4', interface: 0, address: '198.18.0.2/24', gateway: '198.18.0.1' }, { version: '6', interface: 0, address: 'fd00::2/64' }],
        routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }],
        dns: { nameservers: ['198.18.0.1'] },
      });
    }
  });

  test('1.0.0 and 1.1.0: no "version"', () => {
    for (const v of ['1.0.0', '1.1.0']) {
      expect(resultFor(internal, v)).toEqual({
        cniVersion: v,
        interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1400, sandbox: '/run/netns/x' }],
        ips: [{ interface: 0, address: '198.18.0.2/24', gateway: '198.18.0.1' }, { interface: 0, address: 'fd00::2/64' }],
        routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }],
        dns: { nameservers: ['198.18.0.1'] },
      });
    }
  });

  test('the library\'s key order (what a byte-wise reader sees)', () => {
    expect(JSON.stringify(resultFor(internal, '0.4.0'))).toMatch(/^\{"cniVersion":"0\.4\.0","interfaces":\[\{"name":"eth0","mac":"[^"]+","sandbox":"[^"]+"\}\],"ips":\[\{"version":"4","interface":0,"address"/);
  });

  test('a round trip through every version pair keeps what both versions can say', () => {
    const { mtu: _, ...intf } = internal.interfaces![0];
    for (const from of SUPPORTED_VERSIONS) {
      for (const to of SUPPORTED_VERSIONS) {
        const back = parseResult(resultFor(parseResult(resultFor(internal, from)), to));
        expect(back.cniVersion).toBe(to);
        expect(back.ips).toEqual(internal.ips);
        expect(back.routes).toEqual(internal.routes);
        expect(back.dns).toEqual(internal.dns);
        expect(back.interfaces).toEqual(from.startsWith('0.') || to.startsWith('0.') ? [intf] : internal.interfaces);
      }
    }
  });

  test('"dns" always, empty when there is none (as Debian\'s macvlan plugin prints it); empty lists left out', () => {
    expect(resultFor({ cniVersion: '1.0.0' }, '1.0.0')).toEqual({ cniVersion: '1.0.0', dns: {} });
    expect(resultFor({ cniVersion: '1.0.0', ips: [], routes: [], interfaces: [] }, '0.4.0')).toEqual({ cniVersion: '0.4.0', dns: {} });
  });

  test('a version not spoken: error 1', () => {
    for (const v of ['0.2.0', '0.1.0', '9.9.9']) expect(cniErr(() => resultFor(internal, v)).cniCode).toBe(1);
  });
});

describe('macvlanResult: what ADD prints', () => {
  test('L2 only: the one interface, no ips, no routes', () => {
    expect(macvlanResult(null, 'net1', '02:00:00:00:00:09', '/run/netns/ucs-c1', '1.0.0')).toEqual({
      cniVersion: '1.0.0', interfaces: [{ name: 'net1', mac: '02:00:00:00:00:09', sandbox: '/run/netns/ucs-c1' }], dns: {},
    });
  });

  test('with IPAM: its IPs on interface 0 and its routes; the config\'s dns, not the IPAM plugin\'s', () => {
    const out = macvlanResult(parseResult(IPAM_040), 'eth0', '02:00:00:00:00:09', '/run/netns/ucs-c1', '0.4.0', { nameservers: ['198.18.0.53'] });
    expect(out).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:09', sandbox: '/run/netns/ucs-c1' }],
      ips: [{ version: '4', interface: 0, address: '198.18.0.2/24', gateway: '198.18.0.1' }, { version: '6', interface: 0, address: 'fd00::2/64' }],
      routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }],
      dns: { nameservers: ['198.18.0.53'] },
    });
    expect((macvlanResult(parseResult(IPAM_100), 'eth0', 'm', '/n', '1.1.0') as { dns: object }).dns).toEqual({});
  });

  test('an IPAM plugin that gave no IP: the reference\'s error', () => {
    const e = cniErr(() => macvlanResult(parseResult({ cniVersion: '1.0.0' }), 'eth0', 'm', '/n', '1.0.0'));
    expect(e.message).toBe('IPAM plugin returned missing IP config');
  });
});
