// The host port's route set (host-port-routes.ts): the routes each change of a child's addresses adds and removes,
// one route per destination however many children claim it, and what is never routed.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RouteSet, routable } from '../../../src/control/host-port-routes.js';

describe('host port routes', () => {
  test('a child\'s addresses become routes; a change answers only the difference', () => {
    const r = new RouteSet('hp0', ['198.18.0.1']);
    expect(r.set('c1', ['198.18.0.2', 'fd00::2'])).toEqual({ add: ['198.18.0.2', 'fd00::2'], del: [] });
    expect(r.set('c1', ['198.18.0.3', 'fd00::2'])).toEqual({ add: ['198.18.0.3'], del: ['198.18.0.2'] });
    expect(r.set('c1', ['198.18.0.3', 'fd00::2'])).toEqual({ add: [], del: [] });
    expect(r.set('c1', [])).toEqual({ add: [], del: ['198.18.0.3', 'fd00::2'] });
    expect(r.routes()).toEqual([]);
    expect(r.has('c1')).toBe(false);
  });

  test('two children claiming one address share one route, which stays while either claims it', () => {
    const r = new RouteSet('hp0', []);
    expect(r.set('c1', ['198.18.0.5'])).toEqual({ add: ['198.18.0.5'], del: [] });
    expect(r.set('c2', ['198.18.0.5'])).toEqual({ add: [], del: [] });
    expect(r.set('c1', [])).toEqual({ add: [], del: [] });
    expect(r.routes()).toEqual(['198.18.0.5']);
    expect(r.byChild()).toEqual({ c2: ['198.18.0.5'] });
    expect(r.set('c2', [])).toEqual({ add: [], del: ['198.18.0.5'] });
  });

  test('not routed: the host port\'s own addresses and entry, IPv6 link-local, loopback, what is no host\'s address', () => {
    const r = new RouteSet('hp0', ['198.18.0.1', 'fd00::1']);
    expect(r.set('c1', ['198.18.0.1', 'fd00::1', 'fe80::1', 'febf::1', '127.0.0.1', '::1', '198.18.0.9'])).toEqual({ add: ['198.18.0.9'], del: [] });
    expect(r.set('hp0', ['198.18.0.7'])).toEqual({ add: [], del: [] });
    expect(routable('fec0::1')).toBe(true);
    expect(routable('fd00::1')).toBe(true);
    expect(routable('198.18.0.1')).toBe(true);
    expect(routable('fe80::')).toBe(false);
    for (const a of ['0.0.0.0', '255.255.255.255', '224.0.0.251', '239.1.1.1', '::', 'ff02::1', '127.5.5.5']) expect(routable(a), a).toBe(false);
    expect(routable('240.0.0.1')).toBe(true); // reserved, but unicast to the kernel
  });

  test('whatever the order of changes, the routes are the union of what the children hold now', () => {
    const addr = fc.constantFrom('198.18.0.2', '198.18.0.3', '198.18.0.4', 'fd00::2', 'fd00::3');
    const step = fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.array(addr, { maxLength: 4 }));
    fc.assert(fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
      const r = new RouteSet('hp0', []);
      const kernel = new Set<string>();
      const holds = new Map<string, string[]>();
      for (const [child, addrs] of steps) {
        const ch = r.set(child, addrs);
        // the kernel is told each route once: an add of one it has, or a delete of one it has not, never happens
        for (const a of ch.del) { expect(kernel.has(a)).toBe(true); kernel.delete(a); }
        for (const a of ch.add) { expect(kernel.has(a)).toBe(false); kernel.add(a); }
        holds.set(child, addrs);
      }
      const union = new Set([...holds.values()].flat());
      expect([...kernel].sort()).toEqual([...union].sort());
      expect(r.routes().sort()).toEqual([...union].sort());
    }));
  });
});
