// PortTable: lookups after every mutator, the derived tables (address, source, groups, held counts), growth,
// removal, snapshots. The hot-path readers are checked against a plain scan of the primary arrays.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_BC_QUEUE_LEN, Flag, MAX_CHILDREN, Mode } from '../../../src/core/constants.js';
import type { ModeBit } from '../../../src/core/constants.js';
import { PortTable } from '../../../src/core/port-table.js';
import { m } from '../helpers/frames.js';

const spec = (mac: number, mode: ModeBit = Mode.VEPA) => ({ mac, mode, flags: 0, mtu: 1500 });
const A = m('02:aa:00:00:00:01');
const B = m('02:aa:00:00:00:02');
const C = m('02:aa:00:00:00:03');
const G1 = m('01:00:5e:00:00:01');
const G2 = m('01:00:5e:00:00:02');
const S1 = m('02:ee:00:00:00:01');
const S2 = m('02:ee:00:00:00:02');

/** What the derived tables must say, computed by scanning the primary state. */
function scanLookup(t: PortTable, mac: number): number {
  for (let j = 1; j <= t.maxChildren; j++) if (t.used[j] && t.up[j] && t.mac[j] === mac) return j;
  return -1;
}
function scanHeld(t: PortTable, g: number): number {
  let n = 0;
  for (let j = 1; j <= t.maxChildren; j++) if (t.used[j] && t.up[j] && t.groupsOf(j).includes(g)) n++;
  return n;
}
function upListOf(t: PortTable): number[] {
  return Array.from(t.upList.subarray(0, t.upCount));
}
/** Everything a reader can observe, as plain data */
function observe(t: PortTable, macs: number[], groups: number[]): unknown {
  const slots = [];
  for (let i = 0; i <= t.maxChildren; i++) {
    slots.push([t.used[i], t.mac[i], t.mode[i], t.flags[i], t.up[i], t.promisc[i], t.allmulti[i], t.mtu[i], t.bcQueueLen[i],
      i > 0 && t.used[i] ? t.groupsOf(i) : [], i > 0 && t.used[i] ? t.sourceList(i) : []]);
  }
  return {
    slots, parent: [t.parentUp, t.parentCarrier, t.parentPromisc, t.parentFiltersUnicast, t.allGroups, t.bcCutoff, t.passthru, t.bcQueueLimit],
    lookups: macs.map((x) => t.lookup(x)), held: groups.map((g) => t.held(g)), upList: upListOf(t),
  };
}

describe('PortTable basics', () => {
  it('starts empty: parent defaults, no children, lookups miss', () => {
    const t = new PortTable(8);
    expect([t.maxChildren, t.passthru, t.bcQueueLimit, t.freeSlot(), t.lookup(A), t.held(G1)]).toEqual([8, 0, 0, 1, -1, 0]);
    expect([t.parentUp, t.parentCarrier, t.parentPromisc, t.parentFiltersUnicast, t.allGroups, t.bcCutoff, t.mtu[0]])
      .toEqual([true, true, false, true, false, 1, 1500]);
    expect(new PortTable().maxChildren).toBe(MAX_CHILDREN);
    expect(() => new PortTable(0)).toThrow(RangeError);
    expect(() => new PortTable(40000)).toThrow(RangeError);
  });

  it('addChild: stored DOWN, not in the address table; defaults bcQueueLen; freeSlot moves on', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A, Mode.BRIDGE));
    expect([t.used[1], t.up[1], t.mode[1], t.mac[1], t.bcQueueLen[1], t.lookup(A), t.freeSlot()])
      .toEqual([1, 0, Mode.BRIDGE, A, DEFAULT_BC_QUEUE_LEN, -1, 2]);
    expect(t.bcQueueLimit).toBe(DEFAULT_BC_QUEUE_LEN);
    expect(() => t.addChild(1, spec(B))).toThrow(RangeError);
    expect(() => t.addChild(5, spec(B))).toThrow(RangeError);
    expect(() => t.setUp(2, true)).toThrow(RangeError);
  });

  it('setUp/setUp(false): the address table and upList follow; repeated calls are idempotent', () => {
    const t = new PortTable(4);
    t.addChild(2, spec(A));
    t.addChild(1, spec(B));
    t.setUp(2, true);
    t.setUp(2, true);
    expect([t.lookup(A), t.lookup(B), upListOf(t)]).toEqual([2, -1, [2]]);
    t.setUp(1, true);
    expect(upListOf(t)).toEqual([1, 2]);
    t.setUp(2, false);
    t.setUp(2, false);
    expect([t.lookup(A), t.lookup(B), upListOf(t)]).toEqual([-1, 1, [1]]);
  });

  it('setMac: moves the entry while UP, stores only while DOWN', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A));
    t.setUp(1, true);
    t.setMac(1, B);
    expect([t.lookup(A), t.lookup(B)]).toEqual([-1, 1]);
    t.setUp(1, false);
    t.setMac(1, C);
    expect([t.lookup(B), t.lookup(C), t.mac[1]]).toEqual([-1, -1, C]);
    t.setUp(1, true);
    expect(t.lookup(C)).toBe(1);
  });

  it('duplicate UP MACs (rules forbid, the table tolerates): the lowest slot answers, the next takes over', () => {
    const t = new PortTable(4);
    for (const i of [3, 1, 2]) { t.addChild(i, spec(A)); t.setUp(i, true); }
    expect(t.lookup(A)).toBe(1);
    t.setUp(1, false);
    expect(t.lookup(A)).toBe(2);
    t.setMac(2, B);
    expect([t.lookup(A), t.lookup(B)]).toEqual([3, 2]);
    t.removeChild(3);
    expect(t.lookup(A)).toBe(-1);
    t.setUp(1, true);
    expect(t.lookup(A)).toBe(1);
  });

  it('passthru and bcQueueLimit are recomputed by addChild, setMode, setBcQueueLen, removeChild', () => {
    const t = new PortTable(4);
    t.addChild(3, { ...spec(A, Mode.PASSTHRU), bcQueueLen: 7 });
    expect([t.passthru, t.bcQueueLimit]).toEqual([3, 7]);
    t.addChild(1, { ...spec(B), bcQueueLen: 0 });
    t.setBcQueueLen(1, 9);
    expect(t.bcQueueLimit).toBe(9);
    t.setMode(3, Mode.VEPA);
    expect(t.passthru).toBe(0);
    t.removeChild(1);
    expect(t.bcQueueLimit).toBe(7);
    t.removeChild(3);
    expect([t.passthru, t.bcQueueLimit]).toEqual([0, 0]);
  });

  it('setParent: MTU lowered clamps children, raised does not; MAC followed by a passthru child; down drops carrier', () => {
    const t = new PortTable(4);
    t.addChild(1, { ...spec(A), mtu: 1500 });
    t.addChild(2, { ...spec(B), mtu: 1200 });
    t.setParent({ mtu: 1300 });
    expect([t.mtu[0], t.mtu[1], t.mtu[2]]).toEqual([1300, 1300, 1200]);
    t.setParent({ mtu: 9000 });
    expect([t.mtu[1], t.mtu[2]]).toEqual([1300, 1200]);
    t.setParent({ mac: C });
    expect([t.mac[0], t.mac[1]]).toEqual([C, A]); // not passthru: children unaffected
    t.setParent({ up: false });
    expect([t.parentUp, t.parentCarrier]).toEqual([false, false]);
    t.setParent({ up: true });
    expect(t.parentCarrier).toBe(false); // carrier is the NIC's to report
    t.setParent({ carrier: true, promisc: true });
    expect([t.parentCarrier, t.parentPromisc]).toEqual([true, true]);
    t.setParent({ up: false, carrier: true });
    expect(t.parentCarrier).toBe(true);

    const p = new PortTable(2);
    p.addChild(1, spec(A, Mode.PASSTHRU));
    p.setUp(1, true);
    p.setParent({ mac: B });
    expect([p.mac[1], p.lookup(B), p.lookup(A)]).toEqual([B, 1, -1]);
  });

  it('plain field mutators write their arrays', () => {
    const t = new PortTable(2);
    t.addChild(1, spec(A));
    t.setFlags(1, Flag.NODST);
    t.setMtu(1, 1400);
    t.setPromisc(1, true);
    t.setAllmulti(1, true);
    expect([t.flags[1], t.mtu[1], t.promisc[1], t.allmulti[1]]).toEqual([Flag.NODST, 1400, 1, 1]);
    t.setPromisc(1, false);
    t.setAllmulti(1, false);
    expect([t.promisc[1], t.allmulti[1]]).toEqual([0, 0]);
  });
});

describe('PortTable groups: exact sets and held counts', () => {
  it('join/leave: membership exact, held counts only UP members, ids recycled when nobody holds a group', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A));
    t.addChild(2, spec(B));
    t.setUp(1, true);
    t.joinGroup(1, G1);
    t.joinGroup(1, G1);
    t.joinGroup(2, G1);
    expect([t.held(G1), t.groupsOf(1), t.groupsOf(2)]).toEqual([1, [G1], [G1]]);
    const g = t.groupOf(G1);
    expect([t.isMember(g, 1), t.isMember(g, 2), t.isMember(g, 3)]).toEqual([true, true, false]);
    t.setUp(2, true);
    expect(t.held(G1)).toBe(2);
    t.setUp(1, false);
    expect(t.held(G1)).toBe(1);
    t.leaveGroup(2, G1);
    t.leaveGroup(2, G1);
    t.leaveGroup(2, G2);
    expect([t.held(G1), t.groupOf(G1)]).toEqual([0, g]);
    t.leaveGroup(1, G1);
    expect(t.groupOf(G1)).toBe(-1);
    t.joinGroup(2, G2);
    expect(t.groupOf(G2)).toBe(g); // the freed id is reused, its bits cleared
    expect([t.isMember(g, 1), t.isMember(g, 2), t.held(G2)]).toEqual([false, true, 1]);
  });

  it('setGroups replaces the list as a set; removeChild leaves every group', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A));
    t.setUp(1, true);
    t.setGroups(1, [G1, G2, G2]);
    expect([t.groupsOf(1), t.held(G1), t.held(G2)]).toEqual([[G1, G2], 1, 1]);
    t.setGroups(1, [G2]);
    expect([t.groupsOf(1), t.held(G1), t.held(G2)]).toEqual([[G2], 0, 1]);
    t.removeChild(1);
    expect([t.held(G2), t.groupOf(G2)]).toEqual([0, -1]);
    t.addChild(1, spec(A));
    expect(t.groupsOf(1)).toEqual([]);
  });

  it('grows past the initial group capacity, slots beyond the first bitset word included', () => {
    const t = new PortTable(100);
    for (const i of [1, 31, 32, 33, 64, 100]) { t.addChild(i, spec(A + i)); t.setUp(i, true); }
    const groups = Array.from({ length: 200 }, (_, k) => m('01:00:5e:00:00:00') + k);
    for (const [k, g] of groups.entries()) for (const i of [1, 31, 32, 33, 64, 100]) if ((k + i) % 3 === 0) t.joinGroup(i, g);
    for (const [k, g] of groups.entries()) {
      const want = [1, 31, 32, 33, 64, 100].filter((i) => (k + i) % 3 === 0);
      expect(t.held(g)).toBe(want.length);
      expect(scanHeld(t, g)).toBe(want.length);
      const id = t.groupOf(g);
      for (const i of [1, 31, 32, 33, 64, 100]) expect(id >= 0 && t.isMember(id, i)).toBe(want.includes(i));
    }
  });
});

describe('PortTable source table', () => {
  it('add keeps one entry per (MAC, child), chains sorted by slot; del and flush; count', () => {
    const t = new PortTable(8);
    for (const i of [5, 2, 7]) t.addChild(i, spec(A + i, Mode.SOURCE));
    t.sourceAdd(7, S1);
    t.sourceAdd(2, S1);
    t.sourceAdd(5, S1);
    t.sourceAdd(5, S1);
    t.sourceAdd(5, S2);
    const chain: number[] = [];
    for (let e = t.sourceHead(S1); e >= 0; e = t.sources.next[e]) chain.push(t.sources.child[e]);
    expect(chain).toEqual([2, 5, 7]);
    expect([t.sourceCount(5), t.sourceList(5)]).toEqual([2, [S1, S2]]);
    t.sourceDel(5, S1);
    t.sourceDel(5, m('02:ee:00:00:00:99'));
    chain.length = 0;
    for (let e = t.sourceHead(S1); e >= 0; e = t.sources.next[e]) chain.push(t.sources.child[e]);
    expect(chain).toEqual([2, 7]);
    t.sourceDel(2, S1); // removing the head
    expect(t.sources.child[t.sourceHead(S1)]).toBe(7);
    t.sourceFlush(7);
    expect([t.sourceHead(S1), t.sourceCount(7), t.sourceList(5)]).toEqual([-1, 0, [S2]]);
  });

  it('entries survive DOWN; leaving SOURCE flushes; removeChild flushes', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A, Mode.SOURCE));
    t.sourceAdd(1, S1);
    t.setUp(1, true);
    t.setUp(1, false);
    expect(t.sourceList(1)).toEqual([S1]);
    t.setMode(1, Mode.SOURCE);
    expect(t.sourceList(1)).toEqual([S1]);
    t.setMode(1, Mode.VEPA);
    expect([t.sourceList(1), t.sourceHead(S1)]).toEqual([[], -1]);
    t.setMode(1, Mode.SOURCE);
    t.sourceAdd(1, S2);
    t.removeChild(1);
    expect(t.sourceHead(S2)).toBe(-1);
  });

  it('grows the entry arrays and reuses freed entries', () => {
    const t = new PortTable(64);
    for (let i = 1; i <= 64; i++) t.addChild(i, spec(A + i, Mode.SOURCE));
    for (let i = 1; i <= 64; i++) for (let k = 0; k < 10; k++) t.sourceAdd(i, S1 + k);
    for (let k = 0; k < 10; k++) {
      let n = 0;
      for (let e = t.sourceHead(S1 + k); e >= 0; e = t.sources.next[e]) n++;
      expect(n).toBe(64);
    }
    for (let i = 1; i <= 64; i += 2) t.sourceFlush(i);
    const cap = t.sources.child.length;
    for (let i = 1; i <= 64; i += 2) for (let k = 0; k < 10; k++) t.sourceAdd(i, S1 + k);
    expect(t.sources.child.length).toBe(cap);
    expect(t.sourceList(33)).toEqual(Array.from({ length: 10 }, (_, k) => S1 + k));
  });
});

describe('PortTable at full size and under churn', () => {
  it('holds MAX_CHILDREN UP children: every MAC found in O(1), removal frees the slot', () => {
    const t = new PortTable();
    for (let i = 1; i <= MAX_CHILDREN; i++) { t.addChild(i, spec(0x02aa_0000_0000 + i * 7919)); t.setUp(i, true); }
    expect(t.freeSlot()).toBe(-1);
    expect(t.upCount).toBe(MAX_CHILDREN);
    for (let i = 1; i <= MAX_CHILDREN; i++) expect(t.lookup(0x02aa_0000_0000 + i * 7919)).toBe(i);
    t.removeChild(1234);
    expect([t.freeSlot(), t.lookup(0x02aa_0000_0000 + 1234 * 7919), t.upCount]).toEqual([1234, -1, MAX_CHILDREN - 1]);
  });

  it('random mutator sequences: lookup, held, upList always equal a scan of the primary state', () => {
    const macs = [A, B, C, m('02:aa:00:00:00:04')];
    const groups = [G1, G2, m('33:33:00:00:00:01')];
    const op = fc.oneof(
      fc.record({ k: fc.constant('add'), i: fc.integer({ min: 1, max: 6 }), mac: fc.constantFrom(...macs), mode: fc.constantFrom<ModeBit>(Mode.VEPA, Mode.SOURCE, Mode.BRIDGE) }),
      fc.record({ k: fc.constant('remove'), i: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ k: fc.constant('up'), i: fc.integer({ min: 1, max: 6 }), on: fc.boolean() }),
      fc.record({ k: fc.constant('mac'), i: fc.integer({ min: 1, max: 6 }), mac: fc.constantFrom(...macs) }),
      fc.record({ k: fc.constant('join'), i: fc.integer({ min: 1, max: 6 }), g: fc.constantFrom(...groups) }),
      fc.record({ k: fc.constant('leave'), i: fc.integer({ min: 1, max: 6 }), g: fc.constantFrom(...groups) }),
      fc.record({ k: fc.constant('mode'), i: fc.integer({ min: 1, max: 6 }), mode: fc.constantFrom<ModeBit>(Mode.VEPA, Mode.SOURCE) }),
      fc.record({ k: fc.constant('src'), i: fc.integer({ min: 1, max: 6 }), mac: fc.constantFrom(S1, S2), add: fc.boolean() }),
    );
    fc.assert(fc.property(fc.array(op, { minLength: 5, maxLength: 80 }), (ops) => {
      const t = new PortTable(6);
      const srcModel = new Map<number, Set<number>>(); // slot → listed MACs
      for (const o of ops) {
        const used = t.used[o.i] === 1;
        if (o.k === 'add') { if (!used) { t.addChild(o.i, spec(o.mac, o.mode)); srcModel.set(o.i, new Set()); } continue; }
        if (!used) continue;
        switch (o.k) {
          case 'remove': t.removeChild(o.i); srcModel.delete(o.i); break;
          case 'up': t.setUp(o.i, o.on); break;
          case 'mac': t.setMac(o.i, o.mac); break;
          case 'join': t.joinGroup(o.i, o.g); break;
          case 'leave': t.leaveGroup(o.i, o.g); break;
          case 'mode':
            if (t.mode[o.i] === Mode.SOURCE && o.mode !== Mode.SOURCE) srcModel.get(o.i)!.clear();
            t.setMode(o.i, o.mode);
            break;
          case 'src':
            if (o.add) { t.sourceAdd(o.i, o.mac); srcModel.get(o.i)!.add(o.mac); } else { t.sourceDel(o.i, o.mac); srcModel.get(o.i)!.delete(o.mac); }
            break;
        }
      }
      for (const x of macs) expect(t.lookup(x)).toBe(scanLookup(t, x));
      for (const g of groups) expect(t.held(g)).toBe(scanHeld(t, g));
      const ups = [];
      for (let j = 1; j <= 6; j++) if (t.used[j] && t.up[j]) ups.push(j);
      expect(upListOf(t)).toEqual(ups);
      for (const s of [S1, S2]) {
        const chain: number[] = [];
        for (let e = t.sourceHead(s); e >= 0; e = t.sources.next[e]) chain.push(t.sources.child[e]);
        const want = [...srcModel.entries()].filter(([, set]) => set.has(s)).map(([i]) => i).sort((a, b) => a - b);
        expect(chain).toEqual(want);
      }
      for (const [i, set] of srcModel) expect(t.sourceCount(i)).toBe(set.size);
    }), { numRuns: 400 });
  });
});

describe('PortTable: the port filters\' "every group" (forwarding.md §3.1) and the end of the port', () => {
  it('allGroups: the parent\'s own flag, or an UP child that passes PROMISC or ALLMULTI down; a veth also by a MAC', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A, Mode.BRIDGE));
    t.addChild(2, { ...spec(B, Mode.VEPA) });
    const seen = (): boolean => t.allGroups;
    t.setAllmulti(1, true);
    expect(seen()).toBe(false);               // DOWN: passes nothing
    t.setUp(1, true);
    expect(seen()).toBe(true);
    t.setAllmulti(1, false);
    expect(seen()).toBe(false);
    t.setUp(2, true);
    t.setPromisc(2, true);
    expect(seen()).toBe(true);
    t.removeChild(2);
    expect(seen()).toBe(false);
    t.setParent({ unicastFilter: false });   // a veth: child 1's MAC alone opens it
    expect(seen()).toBe(true);
    t.setUp(1, false);
    expect(seen()).toBe(false);
    t.parentPromisc = true;
    expect(seen()).toBe(true);
    t.parentPromisc = false;
    // passthru: no MAC on the parent, so NOPROMISC keeps even a veth closed; its own PROMISC stays its own
    t.removeChild(1);
    t.addChild(3, { mac: C, mode: Mode.PASSTHRU, flags: Flag.NOPROMISC, mtu: 1500 });
    t.setUp(3, true);
    t.setPromisc(3, true);
    expect(seen()).toBe(false);
    t.setAllmulti(3, true);
    expect(seen()).toBe(true);
    t.setAllmulti(3, false);
    t.setFlags(3, 0);
    expect(seen()).toBe(true);
    t.setFlags(3, Flag.NOPROMISC);
    expect(seen()).toBe(false);
    expect(PortTable.fromSnapshot(t.snapshot()).parentFiltersUnicast).toBe(false);
  });

  it('bclim is kept when the child that set it goes, and forgotten with the last child (macvlan_port_destroy)', () => {
    const t = new PortTable(4);
    t.addChild(1, spec(A));
    t.addChild(2, spec(B));
    t.setBcCutoff(-5);
    t.removeChild(2);
    expect(t.bcCutoff).toBe(-5);
    t.removeChild(1);
    expect(t.bcCutoff).toBe(1);
    t.addChild(1, spec(A));
    expect(t.bcCutoff).toBe(1);
  });
});

describe('PortTable snapshot / clone', () => {
  function sample(): PortTable {
    const t = new PortTable(8);
    t.setParent({ mac: m('02:cc:00:00:00:01'), mtu: 9000, promisc: true });
    t.bcCutoff = -1;
    t.addChild(2, { ...spec(A, Mode.BRIDGE), bcQueueLen: 3 });
    t.addChild(5, { ...spec(B, Mode.SOURCE), flags: Flag.NODST, mtu: 1400 });
    t.addChild(7, spec(C, Mode.PRIVATE));
    t.setUp(2, true);
    t.setUp(7, true);
    t.setPromisc(7, true);
    t.setAllmulti(2, true);
    t.joinGroup(2, G1);
    t.joinGroup(5, G1);
    t.joinGroup(7, G2);
    t.sourceAdd(5, S1);
    t.sourceAdd(5, S2);
    return t;
  }

  it('fromSnapshot(snapshot()) reproduces every observable, also after structuredClone (postMessage)', () => {
    const t = sample();
    const want = observe(t, [A, B, C], [G1, G2]);
    expect(observe(PortTable.fromSnapshot(t.snapshot()), [A, B, C], [G1, G2])).toEqual(want);
    expect(observe(PortTable.fromSnapshot(structuredClone(t.snapshot())), [A, B, C], [G1, G2])).toEqual(want);
    expect(observe(t.clone(), [A, B, C], [G1, G2])).toEqual(want);
  });

  it('a clone is independent of its original', () => {
    const t = sample();
    const c = t.clone();
    c.setUp(2, false);
    c.leaveGroup(7, G2);
    expect([t.lookup(A), t.held(G2), c.lookup(A), c.held(G2)]).toEqual([2, 1, -1, 0]);
    const s = t.snapshot();
    s.used[2] = 0;
    expect(t.used[2]).toBe(1);
  });
});
