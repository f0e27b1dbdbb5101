// The attachment's handle, and CHECK's comparison (addresses as Go reads them: test/unit/wire/ip-address.test.ts).

import { describe, expect, test } from 'vitest';
import { checkAgainst, type Seen } from '../../../src/cni/check.js';
import { cniHandle } from '../../../src/cni/identity.js';
import type { Result } from '../../../src/cni/result.js';
import { childNameProblem } from '../../../src/values/names.js';
import { cniErr } from './cni-expect.js';

describe('cniHandle', () => {
  test('"c" and 12 hex digits: a valid child name of at most 15 characters', () => {
    const h = cniHandle('net-a', 'ctr1', 'eth0');
    expect(h).toMatch(/^c[0-9a-f]{12}$/);
    expect(childNameProblem(h)).toBeNull();
    expect(cniHandle('net-a', 'ctr1', 'eth0')).toBe(h);
  });

  test('each part counts; no two splittings of the same text collide', () => {
    const hs = [
      cniHandle('net-a', 'ctr1', 'eth0'), cniHandle('net-b', 'ctr1', 'eth0'), cniHandle('net-a', 'ctr2', 'eth0'),
      cniHandle('net-a', 'ctr1', 'eth1'), cniHandle('ab', 'c', 'd'), cniHandle('a', 'bc', 'd'), cniHandle('a', 'b', 'cd'),
    ];
    expect(new Set(hs).size).toBe(hs.length);
  });

  test('unique over many attachments', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) seen.add(cniHandle('net', `container-${i}`, i % 2 ? 'eth0' : 'net1'));
    expect(seen.size).toBe(20000);
  });
});

describe('checkAgainst', () => {
  const prev: Result = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/ucs-c1' }],
    ips: [{ address: '198.18.0.5/24', gateway: '198.18.0.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }, { dst: '198.19.0.0/16' }],
  };
  const seen: Seen = {
    ifname: 'eth0', mac: '02:00:00:00:00:01', mode: 'bridge',
    addrs: ['198.18.0.5/24', 'fe80::1/64'],
    routes: [{ dst: '198.18.0.0/24' }, { dst: '0.0.0.0/0', gw: '198.18.0.1' }, { dst: '198.19.0.0/16', gw: '198.18.0.9' }],
  };
  const expect1 = { sandbox: '/run/netns/ucs-c1', mode: 'bridge' };

  test('everything in place (extra addresses and routes allowed): no error', () => {
    expect(() => checkAgainst(prev, seen, expect1)).not.toThrow();
    expect(() => checkAgainst(prev, { ...seen, mac: '02:00:00:00:00:01'.toUpperCase() }, expect1)).not.toThrow();
    expect(() => checkAgainst({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/n' }] }, { ...seen, mac: 'x' })).not.toThrow();
  });

  test('each difference named', () => {
    const cases: Array<[Partial<Seen>, object, RegExp]> = [
      [{ ifname: 'eth1' }, expect1, /doesn't match configured netns/],
      [{}, { ...expect1, sandbox: '/run/netns/other' }, /doesn't match configured netns: \/run\/netns\/other/],
      [{ mode: 'private' }, expect1, /^container macvlan mode private does not match expected value: bridge$/],
      [{ mac: '02:00:00:00:00:02' }, expect1, /^interface eth0 Mac 02:00:00:00:00:01 doesn't match container Mac: 02:00:00:00:00:02$/],
      [{ addrs: ['198.18.0.6/24'] }, expect1, /^Failed to match addr 198\.18\.0\.5\/24 on interface eth0$/],
      [{ addrs: ['198.18.0.5/16'] }, expect1, /^Failed to match addr/],
      [{ routes: seen.routes.slice(0, 1) }, expect1, /^Expected Route \{Dst:0\.0\.0\.0\/0 GW:198\.18\.0\.1\} not found/],
      [{ routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.2' }, { dst: '198.19.0.0/16' }] }, expect1, /^Expected Route \{Dst:0\.0\.0\.0\/0/],
      [{ routes: [{ dst: '0.0.0.0/0', gw: '198.18.0.1' }] }, expect1, /^Expected Route \{Dst:198\.19\.0\.0\/16 GW:<nil>\}/],
    ];
    for (const [over, exp, re] of cases) {
      const e = cniErr(() => checkAgainst(prev, { ...seen, ...over }, exp));
      expect(e.cniCode).toBe(7);
      expect(e.message).toMatch(re);
    }
  });

  test('an interface without a sandbox is the host\'s: refused', () => {
    const e = cniErr(() => checkAgainst({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }] }, seen));
    expect(e.message).toMatch(/should not be in host namespace/);
  });

  test('IPv6 compared as addresses, not as text', () => {
    const p6: Result = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/n' }], ips: [{ address: 'fd00:0::5/64' }] };
    expect(() => checkAgainst(p6, { ...seen, addrs: ['FD00::5/64'] })).not.toThrow();
  });
});
