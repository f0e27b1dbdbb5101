// The pure merge rule and cap of one child's multicast set (core/child-groups.ts), without the daemon.

import { describe, expect, test } from 'vitest';
import { ChildGroups } from '../../../src/core/child-groups.js';

const G1 = 0x0100_5e01_0203;
const G2 = 0x3333_ff00_0001;

describe('ChildGroups', () => {
  test('answers differences only: a repeat report joins nothing, a missing entry leaves', () => {
    const g = new ChildGroups(8);
    expect(g.devMcast([G1, G2], 2)).toEqual({ join: [G1, G2], leave: [], cap: null });
    expect(g.devMcast([G2, G1], 2)).toEqual({ join: [], leave: [], cap: null });
    expect(g.devMcast([G2], 1)).toEqual({ join: [], leave: [G1], cap: null });
  });

  test('a MAC leaves only when no IP group maps to it and no dev_mcast entry holds it', () => {
    const g = new ChildGroups(8);
    expect(g.ipJoin('4:a', G1).join).toEqual([G1]);
    expect(g.ipJoin('4:b', G1).join).toEqual([]);  // a second IP group on the same MAC
    g.devMcast([G1], 1);
    expect(g.ipLeave('4:a').leave).toEqual([]);
    expect(g.ipLeave('4:b').leave).toEqual([]);  // dev_mcast still holds it
    expect(g.devMcast([], 0).leave).toEqual([G1]);
    expect(g.ipLeave('4:unknown')).toEqual({ join: [], leave: [], cap: null });
    expect(g.entries()).toEqual([]);
  });

  test('the source is the one that reported the MAC first', () => {
    const g = new ChildGroups(8);
    g.devMcast([G2], 1);
    g.ipJoin('4:a', G1);
    g.devMcast([G1, G2], 2);
    expect(g.entries()).toEqual([{ mac: G1, source: 'netlink' }, { mac: G2, source: 'dev_mcast' }]);
  });

  test('the cap: over max everything is left and nothing kept; IP events ignored; a read under max restores', () => {
    const g = new ChildGroups(1);
    g.devMcast([G1], 1);
    expect(g.devMcast([G1], 40_000)).toEqual({ join: [], leave: [G1], cap: true });
    expect(g.capped).toBe(true);
    expect(g.size).toBe(0);
    expect(g.ipJoin('4:a', G2)).toEqual({ join: [], leave: [], cap: null });
    expect(g.devMcast([], 2)).toEqual({ join: [], leave: [], cap: null });
    expect(g.devMcast([G2], 1)).toEqual({ join: [G2], leave: [], cap: false });
    expect(g.ipJoin('4:b', G1)).toEqual({ join: [], leave: [G2], cap: true });  // two exact groups > 1
  });

  test('forgetIp drops what only IP-level events held', () => {
    const g = new ChildGroups(8);
    g.ipJoin('4:a', G1);
    g.ipJoin('6:b', G2);
    g.devMcast([G2], 1);
    expect(g.forgetIp()).toEqual({ join: [], leave: [G1], cap: null });
    expect(g.entries()).toEqual([{ mac: G2, source: 'netlink' }]);
  });
});
