// Every case of cases.md and every row of forwarding.md that a pure decision can express, named by its spec id.
// Topologies T0/TS/TP and their MACs are cases.md's. Where umacvlan deliberately differs from the kernel the test
// name says "deviation" and the README's deviations table lists it.

import { describe, expect, it } from 'vitest';
import { Drop, Egress, Flag, Mode } from '../../../src/core/constants.js';
import type { ModeBit } from '../../../src/core/constants.js';
import { COUNTER_COLUMNS, Col, countVerdict, makeCounters } from '../../../src/core/counters.js';
import { decide } from '../../../src/core/decide.js';
import {
  checkAdd, checkChange, checkSetMac, checkSetMode, checkSetMtu, checkSourceOp, checkUp, withDefaults,
} from '../../../src/core/rules.js';
import { explain, traceFrame } from '../../../src/core/trace.js';
import { Verdict } from '../../../src/core/verdict.js';
import {
  BCAST, E, E03, E1, E2, E22, E9, P2_MAC, P_MAC, T0_CHILDREN, Topo, UNK, frame, hairpin, m, run, t0, tp, ts,
} from '../helpers/frames.js';

const G_112233 = m('01:00:5e:11:22:33');
const M1_GROUPS = ['01:00:5e:11:22:33', '01:00:5e:44:55:66', '01:00:5e:7a:7b:7c', '33:33:de:ad:be:ef', '01:80:c2:00:00:0e'].map(m);

/** counters of one port after running frames through decide + countVerdict */
function counted(topo: Topo, sends: Array<[string, Uint8Array]>): Float64Array {
  const c = makeCounters(topo.t.maxChildren + 1);
  const v = new Verdict(Verdict.capacityFor(topo.t.maxChildren));
  for (const [from, f] of sends) {
    decide(topo.t, topo.s(from), f, 0, f.length, false, v);
    countVerdict(c, v, topo.s(from), f.length);
  }
  return c;
}
const ctr = (c: Float64Array, port: number, col: number): number => c[port * COUNTER_COLUMNS + col];

// ---------------------------------------------------------------------------------------------------------------
describe('L — lifecycle (via rules and the table)', () => {
  const A = m('02:aa:00:00:00:01');
  function withA(): Topo {
    return new Topo(P_MAC, [{ name: 'A', mac: A, mode: Mode.VEPA }]);
  }

  it('L1: create with an UP sibling\'s MAC succeeds, up fails EADDRINUSE', () => {
    const topo = withA();
    expect(checkAdd(topo.t, { mac: A })).toBeNull();
    const b = topo.add({ name: 'B', mac: A, mode: Mode.VEPA, up: false });
    const e = checkUp(topo.t, b);
    expect(e?.errno).toBe('EADDRINUSE');
    expect(e?.code).toBe('UMV_ERR_DUP_MAC');
    expect(e?.slot).toBe(b);
  });

  it('L2: add … up with an UP sibling\'s MAC: the up step fails, the new device is removed again', () => {
    const topo = withA();
    expect(checkAdd(topo.t, { mac: A })).toBeNull();
    const b = topo.add({ name: 'B', mac: A, mode: Mode.VEPA, up: false });
    expect(checkUp(topo.t, b)?.errno).toBe('EADDRINUSE');
    topo.t.removeChild(b);
    expect(topo.t.used[b]).toBe(0);
    expect(topo.t.lookup(A)).toBe(topo.s('A'));
  });

  it('L3: create with the parent\'s MAC succeeds, up fails EADDRINUSE', () => {
    const topo = new Topo(P_MAC, []);
    expect(checkAdd(topo.t, { mac: P_MAC })).toBeNull();
    const d = topo.add({ name: 'D', mac: P_MAC, mode: Mode.VEPA, up: false });
    expect(checkUp(topo.t, d)?.errno).toBe('EADDRINUSE');
  });

  it('L4: A down frees the MAC: B up succeeds; A up then fails', () => {
    const topo = withA();
    const b = topo.add({ name: 'B', mac: A, mode: Mode.VEPA, up: false });
    topo.t.setUp(topo.s('A'), false);
    expect(checkUp(topo.t, b)).toBeNull();
    topo.t.setUp(b, true);
    expect(checkUp(topo.t, topo.s('A'))?.errno).toBe('EADDRINUSE');
  });

  it('L5: MAC changes: busy (DOWN child too), parent\'s, multicast, free, current', () => {
    const mb = m('02:aa:00:00:00:0b');
    const topo = new Topo(P_MAC, [
      { name: 'B', mac: mb, mode: Mode.BRIDGE },
      { name: 'D', mac: m('02:aa:00:00:00:0d'), mode: Mode.BRIDGE, up: false },
    ]);
    const b = topo.s('B');
    const d = topo.s('D');
    expect(checkSetMac(topo.t, d, mb)?.errno).toBe('EADDRINUSE');
    expect(checkSetMac(topo.t, b, P_MAC)?.errno).toBe('EADDRINUSE');
    const mc = checkSetMac(topo.t, b, m('03:00:00:00:00:01'));
    expect([mc?.errno, mc?.code]).toEqual(['EADDRNOTAVAIL', 'UMV_ERR_BAD_MAC']);
    expect(checkSetMac(topo.t, b, m('02:aa:00:00:00:ff'))).toBeNull();
    expect(checkSetMac(topo.t, d, topo.t.mac[d])).toBeNull();
  });

  it('L6: after V1 …:c1 → …:c9, unicast to …:c1 goes to P-stack only, to …:c9 to V1', () => {
    const topo = t0();
    const v1 = topo.s('V1');
    const c9 = m('02:aa:00:00:00:c9');
    expect(checkSetMac(topo.t, v1, c9)).toBeNull();
    topo.t.setMac(v1, c9);
    const old = run(topo, 'E', frame({ dst: m('02:aa:00:00:00:c1'), src: E }));
    expect([old.to, old.toHost, old.reason]).toEqual([[], true, 'no_destination']);
    expect(run(topo, 'E', frame({ dst: c9, src: E })).to).toEqual(['V1']);
  });

  it('L7: passthru only alone: on a parent with children, and any second child on a passthru port, EINVAL', () => {
    const e1 = checkAdd(t0().t, { mode: Mode.PASSTHRU });
    expect([e1?.errno, e1?.code]).toEqual(['EINVAL', 'UMV_ERR_PASSTHRU_NOT_ALONE']);
    const e2 = checkAdd(tp().t, { mode: Mode.BRIDGE });
    expect([e2?.errno, e2?.code]).toEqual(['EINVAL', 'UMV_ERR_PASSTHRU_NOT_ALONE']);
    const e3 = checkAdd(tp().t, { mode: Mode.PASSTHRU });
    expect([e3?.errno, e3?.code, e3?.message]).toEqual(['EINVAL', 'UMV_ERR_PASSTHRU_NOT_ALONE', 'the port already has a passthru child']);
    // a DOWN child also counts (step 8: "UP or DOWN")
    const down = new Topo(P_MAC, [{ name: 'A', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, up: false }]);
    expect(checkAdd(down.t, { mode: Mode.PASSTHRU })?.errno).toBe('EINVAL');
    expect(checkAdd(new Topo(P_MAC, []).t, { mode: Mode.PASSTHRU })).toBeNull();
  });

  it('L8: an UP bridge child cannot become passthru; vepa, private, bridge take effect at once', () => {
    const topo = t0();
    const b2 = topo.s('B2');
    expect(checkSetMode(topo.t, b2, Mode.PASSTHRU)?.code).toBe('UMV_ERR_MODE_CHANGE');
    for (const mode of [Mode.VEPA, Mode.PRIVATE, Mode.BRIDGE]) {
      expect(checkSetMode(topo.t, b2, mode)).toBeNull();
      topo.t.setMode(b2, mode);
      const local = run(topo, 'B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1') })).to;
      expect(local).toEqual(mode === Mode.BRIDGE ? ['B2'] : ['wire']);
    }
  });

  it('L9: macaddr on a non-source child (changelink and create) is EINVAL', () => {
    const topo = t0();
    const e1 = checkSourceOp(topo.t, topo.s('B1'), Mode.BRIDGE, [E], 'add');
    expect([e1?.errno, e1?.code]).toEqual(['EINVAL', 'UMV_ERR_NOT_SOURCE']);
    const e2 = checkAdd(topo.t, { mode: Mode.VEPA, sourceOp: 'add', sourceMacs: [E] });
    expect([e2?.errno, e2?.code]).toEqual(['EINVAL', 'UMV_ERR_NOT_SOURCE']);
  });

  it('L10: a child created without mode is vepa', () => {
    const topo = new Topo(P_MAC, []);
    expect(checkAdd(topo.t, {})).toBeNull();
    expect(withDefaults(topo.t, { mac: m('02:aa:00:00:00:01') }).mode).toBe(Mode.VEPA);
  });

  it('L11: MTU at creation: 1600 over a 1500 parent EINVAL; default follows the parent; 9000 under 9000 OK', () => {
    const topo = new Topo(P_MAC, []);
    expect(checkAdd(topo.t, { mtu: 1600 })?.code).toBe('UMV_ERR_MTU');
    topo.t.setParent({ mtu: 9000 });
    expect(withDefaults(topo.t, { mac: m('02:aa:00:00:00:01') }).mtu).toBe(9000);
    expect(checkAdd(topo.t, { mtu: 9000 })).toBeNull();
  });

  it('L12: MTU change: 1501 EINVAL, 67 EINVAL, 1400 OK', () => {
    const topo = t0();
    const b1 = topo.s('B1');
    expect(checkSetMtu(topo.t, b1, 1501)?.errno).toBe('EINVAL');
    const low = checkSetMtu(topo.t, b1, 67);
    expect([low?.errno, low?.code]).toEqual(['EINVAL', 'UMV_ERR_MTU']);
    expect(checkSetMtu(topo.t, b1, 1400)).toBeNull();
  });

  it('L13: parent MTU lowered clamps larger children; raised, they keep theirs', () => {
    const topo = t0();
    topo.t.setMtu(topo.s('B2'), 1400);
    topo.t.setParent({ mtu: 1300 });
    for (const c of T0_CHILDREN) expect(topo.t.mtu[topo.s(c)]).toBe(1300);
    topo.t.setParent({ mtu: 9000 });
    for (const c of T0_CHILDREN) expect(topo.t.mtu[topo.s(c)]).toBe(1300);
  });

  it('L14: parent down: children stay UP but cannot send (no carrier); parent up again: they can', () => {
    const topo = t0();
    topo.t.setParent({ up: false });
    expect(topo.t.up[topo.s('B1')]).toBe(1);
    expect(run(topo, 'V1', frame({ dst: E, src: topo.mac('V1') })).reason).toBe('link_down');
    topo.t.setParent({ up: true, carrier: true });
    expect(run(topo, 'V1', frame({ dst: E, src: topo.mac('V1') })).to).toEqual(['wire']);
  });

  it('L15: parent loses carrier (X down): children cannot send; carrier back: they can', () => {
    const topo = t0();
    topo.t.setParent({ carrier: false });
    expect(run(topo, 'B1', frame({ dst: BCAST, src: topo.mac('B1') })).reason).toBe('link_down');
    topo.t.setParent({ carrier: true });
    expect(run(topo, 'B1', frame({ dst: BCAST, src: topo.mac('B1') })).to).toEqual(['B2', 'wire']);
  });

  it('L16: with the parent DOWN a child may still go UP (and a new one too), without carrier', () => {
    const topo = new Topo(P_MAC, [{ name: 'A', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, up: false }]);
    topo.t.setParent({ up: false });
    expect(checkUp(topo.t, topo.s('A'))).toBeNull();
    expect(checkAdd(topo.t, { mac: m('02:aa:00:00:00:02') })).toBeNull();
    const n = topo.add({ name: 'N', mac: m('02:aa:00:00:00:02'), mode: Mode.VEPA, up: false });
    expect(checkUp(topo.t, n)).toBeNull();
    topo.t.setUp(n, true);
    expect(run(topo, 'N', frame({ dst: E, src: topo.mac('N') })).reason).toBe('link_down');
  });

  it('L20: changelink FLAGS=4 and MODE=3 EINVAL; FLAGS=2 (nodst) accepted on a bridge child', () => {
    const topo = t0();
    const b1 = topo.s('B1');
    expect(checkChange(topo.t, b1, { flags: 4 })?.code).toBe('UMV_ERR_FLAGS');
    expect(checkChange(topo.t, b1, { mode: 3 as ModeBit })?.code).toBe('UMV_ERR_BAD_MODE');
    expect(checkChange(topo.t, b1, { flags: Flag.NODST })).toBeNull();
  });

  it('L21: parent admin down: B1 → E and B1 → B2 go nowhere; P up but no carrier: V1 neither (tx_dropped +1)', () => {
    const topo = t0();
    topo.t.setParent({ up: false });
    const toE = run(topo, 'B1', frame({ dst: E, src: topo.mac('B1') }));
    const toB2 = run(topo, 'B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1') }));
    expect([toE.n, toE.reason, toB2.n, toB2.reason]).toEqual([0, 'link_down', 0, 'link_down']);
    topo.t.setParent({ up: true, carrier: false });
    expect(run(topo, 'V1', frame({ dst: E, src: topo.mac('V1') })).reason).toBe('link_down');
  });

  it('L22: every child bcqueuelen 0 → port limit 0; R2 bcqueuelen 5 → 5 (B1 keeps its own 0)', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    expect(topo.t.bcQueueLimit).toBe(0);
    topo.t.setBcQueueLen(topo.s('R2'), 5);
    expect(topo.t.bcQueueLimit).toBe(5);
    expect(topo.t.bcQueueLen[topo.s('B1')]).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('F — forwarding between modes, T0', () => {
  const uni = (topo: Topo, from: string, to: string) => frame({ dst: topo.mac(to), src: topo.mac(from) });
  const bc = (topo: Topo, from: string) => frame({ dst: BCAST, src: topo.mac(from) });

  it('F1: B1 → B2 unicast is local: B2 only, not the wire, not P-stack', () => {
    const topo = t0();
    const o = run(topo, 'B1', uni(topo, 'B1', 'B2'));
    expect(o.rows).toEqual(['B2:local_unicast']);
    expect(o.toHost).toBe(false);
  });

  it('F2: B1 → V2, R2, P\'s MAC, UNK: each only on the wire', () => {
    const topo = t0();
    for (const dst of [topo.mac('V2'), topo.mac('R2'), P_MAC, UNK]) {
      const o = run(topo, 'B1', frame({ dst, src: topo.mac('B1') }));
      expect([o.rows, o.toHost]).toEqual([['wire:wire'], false]);
    }
  });

  it('F3: B1 broadcast: B2 (local) and the wire; nobody else; P-stack no', () => {
    const topo = t0();
    const o = run(topo, 'B1', bc(topo, 'B1'));
    expect(o.rows).toEqual(['B2:local_flood', 'wire:wire']);
    expect(o.toHost).toBe(false);
  });

  it('F4: hairpin, B1 broadcast: B2 exactly once, V1, V2, P-stack; not R1, R2, B1', () => {
    const h = hairpin(t0(), 'B1', bc(t0(), 'B1'));
    expect(h.receivers).toEqual(['B2', 'V1', 'V2']);
    expect(h.pStack).toBe(true);
  });

  it('F5: V1 broadcast: hairpin off nobody (wire only); on: B1, B2, V2 + P-stack', () => {
    const topo = t0();
    const off = hairpin(topo, 'V1', bc(topo, 'V1'), false);
    expect([off.receivers, off.wire, off.pStack]).toEqual([[], true, false]);
    const on = hairpin(topo, 'V1', bc(topo, 'V1'));
    expect([on.receivers, on.pStack]).toEqual([['B1', 'B2', 'V2'], true]);
  });

  it('F6: R1 broadcast: off nobody; on: R1 itself only, P-stack no', () => {
    const topo = t0();
    expect(hairpin(topo, 'R1', bc(topo, 'R1'), false).receivers).toEqual([]);
    const on = hairpin(topo, 'R1', bc(topo, 'R1'));
    expect([on.receivers, on.pStack, on.reflected?.rows]).toEqual([['R1'], false, ['R1:origin_only']]);
  });

  it('F7: R1 → R2 unicast: off wire only; on: R2 receives (private does not block reflected unicast)', () => {
    const topo = t0();
    expect(hairpin(topo, 'R1', uni(topo, 'R1', 'R2'), false).receivers).toEqual([]);
    expect(hairpin(topo, 'R1', uni(topo, 'R1', 'R2')).receivers).toEqual(['R2']);
  });

  it('F8: hairpin, each of B1, V1, R1 → each of B2, V2, R2: delivered exactly once; only B1 → B2 is local', () => {
    const topo = t0();
    for (const from of ['B1', 'V1', 'R1']) {
      for (const to of ['B2', 'V2', 'R2']) {
        const h = hairpin(topo, from, uni(topo, from, to));
        expect(h.receivers, `${from} → ${to}`).toEqual([to]);
        expect(h.wire, `${from} → ${to} wire`).toBe(!(from === 'B1' && to === 'B2'));
        expect(h.pStack).toBe(false);
      }
    }
  });

  it('F9: V1 → V2 unicast, hairpin off: V2 does not receive; wire yes', () => {
    const topo = t0();
    const h = hairpin(topo, 'V1', uni(topo, 'V1', 'V2'), false);
    expect([h.receivers, h.wire]).toEqual([[], true]);
  });

  it('F10: B1 → itself local both ways; V1/R1 → themselves: wire, back to them with hairpin', () => {
    const topo = t0();
    for (const on of [false, true]) {
      const h = hairpin(topo, 'B1', uni(topo, 'B1', 'B1'), on);
      expect([h.receivers, h.wire]).toEqual([['B1'], false]);
    }
    for (const c of ['V1', 'R1']) {
      expect(hairpin(topo, c, uni(topo, c, c), false).receivers).toEqual([]);
      expect(hairpin(topo, c, uni(topo, c, c)).receivers).toEqual([c]);
    }
  });

  it('F11: from E with source = R1\'s MAC, unicast to R2: R2 receives', () => {
    const topo = t0();
    expect(run(topo, 'E', frame({ dst: topo.mac('R2'), src: topo.mac('R1') })).rows).toEqual(['R2:unicast']);
  });

  it('F12: from E, unicast to B2; V2; R2: only the addressed child, P-stack no', () => {
    const topo = t0();
    for (const c of ['B2', 'V2', 'R2']) {
      const o = run(topo, 'E', frame({ dst: topo.mac(c), src: E }));
      expect([o.rows, o.toHost]).toEqual([[`${c}:unicast`], false]);
    }
  });

  it('F13: from E to P\'s MAC: P-stack only', () => {
    const o = run(t0(), 'E', frame({ dst: P_MAC, src: E }));
    expect([o.to, o.toHost, o.reason]).toEqual([[], true, 'no_destination']);
  });

  it('F14: from E to UNK: P-stack only', () => {
    const o = run(t0(), 'E', frame({ dst: UNK, src: E }));
    expect([o.to, o.toHost, o.reason]).toEqual([[], true, 'no_destination']);
  });

  it('F15: from E, broadcast: all six children and P-stack', () => {
    const o = run(t0(), 'E', frame({ dst: BCAST, src: E }));
    expect([o.to, o.toHost, o.reason]).toEqual([T0_CHILDREN, true, 'none']);
  });

  it('F16: broadcast with source = V1\'s (V2\'s) MAC: B1, B2, the other V, P-stack', () => {
    const topo = t0();
    expect(run(topo, 'E', bc(topo, 'V1')).to).toEqual(['B1', 'B2', 'V2']);
    const o = run(topo, 'E', bc(topo, 'V2'));
    expect([o.to, o.toHost]).toEqual([['B1', 'B2', 'V1'], true]);
  });

  it('F17: broadcast with source = B1\'s (B2\'s) MAC: V1, V2, P-stack', () => {
    const topo = t0();
    for (const c of ['B1', 'B2']) {
      const o = run(topo, 'E', bc(topo, c));
      expect([o.to, o.toHost]).toEqual([['V1', 'V2'], true]);
    }
  });

  it('F18: broadcast with source = R1\'s (R2\'s) MAC: the origin only, P-stack no', () => {
    const topo = t0();
    for (const c of ['R1', 'R2']) {
      const o = run(topo, 'E', bc(topo, c));
      expect([o.rows, o.toHost]).toEqual([[`${c}:origin_only`], false]);
    }
  });

  it('F19: hairpin, V1 → P\'s MAC, V1 → UNK, R1 → P\'s MAC: P-stack, no child', () => {
    const topo = t0();
    for (const [from, dst] of [['V1', P_MAC], ['V1', UNK], ['R1', P_MAC]] as const) {
      const h = hairpin(topo, from, frame({ dst, src: topo.mac(from) }));
      expect([h.receivers, h.pStack]).toEqual([[], true]);
    }
  });

  it('F20: B1 → P\'s MAC reaches P-stack only through a hairpin', () => {
    const topo = t0();
    const f = frame({ dst: P_MAC, src: topo.mac('B1') });
    expect(hairpin(topo, 'B1', f).pStack).toBe(true);
    expect(hairpin(topo, 'B1', f, false).pStack).toBe(false);
  });

  it('F21: R1 DOWN, broadcast with source = R1\'s MAC is external: B1, B2, V1, V2, R2 and P-stack', () => {
    const topo = t0();
    topo.t.setUp(topo.s('R1'), false);
    const o = run(topo, 'E', bc(topo, 'R1'));
    expect([o.to, o.toHost]).toEqual([['B1', 'B2', 'R2', 'V1', 'V2'], true]);
  });

  it('F22: B2 DOWN: E → B2\'s MAC goes to P-stack; B1 → B2\'s MAC goes to the wire (not local)', () => {
    const topo = t0();
    topo.t.setUp(topo.s('B2'), false);
    const o = run(topo, 'E', frame({ dst: topo.mac('B2'), src: E }));
    expect([o.to, o.toHost]).toEqual([[], true]);
    expect(run(topo, 'B1', uni(topo, 'B1', 'B2')).rows).toEqual(['wire:wire']);
  });

  it('F23: B2 → vepa at runtime: B1 → B2 and B1 broadcast wire only; B2 back to bridge: local again', () => {
    const topo = t0();
    const b2 = topo.s('B2');
    topo.t.setMode(b2, Mode.VEPA);
    expect(run(topo, 'B1', uni(topo, 'B1', 'B2')).to).toEqual(['wire']);
    expect(run(topo, 'B1', bc(topo, 'B1')).to).toEqual(['wire']);
    topo.t.setMode(b2, Mode.BRIDGE);
    expect(run(topo, 'B1', uni(topo, 'B1', 'B2')).to).toEqual(['B2']);
  });

  it('F24: V1 sends with a foreign source MAC: to the wire, bytes unchanged', () => {
    const topo = t0();
    const f = frame({ dst: E, src: m('02:ee:00:00:00:77') });
    const before = f.slice();
    expect(run(topo, 'V1', f).rows).toEqual(['wire:wire']);
    expect(f).toEqual(before);
  });

  it('F25: 802.1Q VID 5 from E: unicast to B2 → B2 only; broadcast → all six (the tag changes nothing)', () => {
    const topo = t0();
    expect(run(topo, 'E', frame({ dst: topo.mac('B2'), src: E, vid: 5 })).to).toEqual(['B2']);
    const o = run(topo, 'E', frame({ dst: BCAST, src: E, vid: 5 }));
    expect([o.to, o.toHost]).toEqual([T0_CHILDREN, true]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('M — multicast filter and broadcast queue', () => {
  it('M1: groups nobody joined: P-stack only (exact sets: no hash-collision extras — deviation M1)', () => {
    const topo = t0();
    for (const g of M1_GROUPS) {
      const o = run(topo, 'E', frame({ dst: g, src: E }));
      expect([o.to, o.toHost, o.reason]).toEqual([[], true, 'mode_forbids']);
    }
  });

  it('M2: R1 allmulticast: each of the five groups → R1 + P-stack', () => {
    const topo = t0();
    topo.t.setAllmulti(topo.s('R1'), true);
    for (const g of M1_GROUPS) {
      const o = run(topo, 'E', frame({ dst: g, src: E }));
      expect([o.to, o.toHost]).toEqual([['R1'], true]);
    }
  });

  it('M3: joins: V2 gets its group; reflected V1 send reaches B2, V2 (not V1); B1 → group local after B2 joins', () => {
    const topo = t0();
    topo.t.joinGroup(topo.s('V2'), G_112233);
    const o = run(topo, 'E', frame({ dst: G_112233, src: E }));
    expect([o.to, o.toHost]).toEqual([['V2'], true]);
    const g33 = m('01:00:5e:33:33:33');
    topo.t.joinGroup(topo.s('V2'), g33);
    topo.t.joinGroup(topo.s('B2'), g33);
    const h = hairpin(topo, 'V1', frame({ dst: g33, src: topo.mac('V1') }));
    expect([h.receivers, h.pStack]).toEqual([['B2', 'V2'], true]);
    const f = frame({ dst: G_112233, src: topo.mac('B1') });
    expect(run(topo, 'B1', f).to).toEqual(['wire']);
    topo.t.joinGroup(topo.s('B2'), G_112233);
    expect(run(topo, 'B1', f).rows).toEqual(['B2:local_flood', 'wire:wire']);
  });

  it('M4: R2 promisc: group → R2 + P-stack; UNK → P-stack only; unicast to V1 → V1 only', () => {
    const topo = t0();
    topo.t.setPromisc(topo.s('R2'), true);
    const g = run(topo, 'E', frame({ dst: m('01:00:5e:44:55:66'), src: E }));
    expect([g.to, g.toHost]).toEqual([['R2'], true]);
    const u = run(topo, 'E', frame({ dst: UNK, src: E }));
    expect([u.to, u.toHost]).toEqual([[], true]);
    expect(run(topo, 'E', frame({ dst: topo.mac('V1'), src: E })).to).toEqual(['V1']);
  });

  it('M5: every child bcqueuelen 0: broadcast from E reaches no child; P-stack yes; P rx_dropped', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: BCAST, src: E }));
    expect([o.to, o.toHost, o.reason, o.parentRxDropped]).toEqual([[], true, 'queue_full', true]);
  });

  it('M6: promiscuous parent queues everything: bclim 100 (broadcast, a group all hold) and bclim 0 drop', () => {
    const topo = t0();
    const all = m('01:00:5e:00:00:01');
    for (const c of T0_CHILDREN) { topo.t.setBcQueueLen(topo.s(c), 0); topo.t.joinGroup(topo.s(c), all); }
    topo.t.bcCutoff = 100;
    for (const dst of [BCAST, all]) {
      const o = run(topo, 'E', frame({ dst, src: E }));
      expect([o.to, o.reason, o.parentRxDropped]).toEqual([[], 'queue_full', true]);
    }
    topo.t.bcCutoff = 0;
    expect(run(topo, 'E', frame({ dst: BCAST, src: E })).reason).toBe('queue_full');
  });

  it('M7: bclim −1 (set through any child) and −5: nothing queued: all six + P-stack, no rx_dropped', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    for (const cutoff of [-1, -5]) {
      topo.t.bcCutoff = cutoff;
      const o = run(topo, 'E', frame({ dst: BCAST, src: E }));
      expect([o.to, o.toHost, o.parentRxDropped]).toEqual([T0_CHILDREN, true, false]);
    }
  });

  it('M8 deviation: a leave takes effect at once (the kernel keeps the stale filter until the next rx-mode event)', () => {
    const topo = t0();
    const v2 = topo.s('V2');
    topo.t.joinGroup(v2, G_112233);
    topo.t.leaveGroup(v2, G_112233);
    expect(run(topo, 'E', frame({ dst: G_112233, src: E })).to).toEqual([]);
    topo.t.setUp(v2, false);
    topo.t.setUp(v2, true);
    expect(run(topo, 'E', frame({ dst: G_112233, src: E })).to).toEqual([]);
  });

  it('M9: R1 allmulti: PAUSE (0x8808) to 01:80:c2:00:00:01 → P-stack only; 0x88b5 → R1 + P-stack', () => {
    const topo = t0();
    topo.t.setAllmulti(topo.s('R1'), true);
    const dst = m('01:80:c2:00:00:01');
    const pause = run(topo, 'E', frame({ dst, src: E, type: 0x8808 }));
    expect([pause.to, pause.toHost, pause.reason]).toEqual([[], true, 'mode_forbids']);
    const test = run(topo, 'E', frame({ dst, src: E }));
    expect([test.to, test.toHost]).toEqual([['R1'], true]);
  });

  it('M10 deviation: IPv4 fragments of a broadcast datagram are flooded one by one (no reassembly)', () => {
    const topo = t0();
    const frag = (flagsOffset: number, len: number) => {
      const f = frame({ dst: BCAST, src: E, type: 0x0800, len });
      f[14] = 0x45; f[20] = flagsOffset >>> 8; f[21] = flagsOffset & 0xff;
      return f;
    };
    const first = run(topo, 'E', frag(0x2000, 14 + 20 + 1000)); // MF set, offset 0
    const last = run(topo, 'E', frag(125, 14 + 20 + 608)); // offset 1000/8, no MF
    expect([first.to, last.to]).toEqual([T0_CHILDREN, T0_CHILDREN]);
  });

  it('M11: every child bcqueuelen 0, B1 broadcast: B2 still receives (local floods bypass the queue) + wire', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    expect(run(topo, 'B1', frame({ dst: BCAST, src: topo.mac('B1') })).to).toEqual(['B2', 'wire']);
  });

  it('M12: every child bcqueuelen 0, then R2 5: broadcast from E reaches all six + P-stack', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    topo.t.setBcQueueLen(topo.s('R2'), 5);
    const o = run(topo, 'E', frame({ dst: BCAST, src: E }));
    expect([o.to, o.toHost, o.parentRxDropped]).toEqual([T0_CHILDREN, true, false]);
  });

  it('M13: non-promiscuous parent, bclim 1, limit 0: G1 (2 holders) queued+dropped; G2 (1) flooded; broadcast dropped', () => {
    const g1 = m('01:00:5e:00:00:71');
    const g2 = m('01:00:5e:00:00:72');
    const topo = new Topo(P_MAC, [
      { name: 'C1', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, groups: [g1, g2] },
      { name: 'C2', mac: m('02:aa:00:00:00:02'), mode: Mode.VEPA, groups: [g1] },
    ]);
    topo.t.parentPromisc = false;
    for (const c of ['C1', 'C2']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o1 = run(topo, 'E', frame({ dst: g1, src: E }));
    expect([o1.to, o1.reason, o1.parentRxDropped, o1.toHost]).toEqual([[], 'queue_full', true, true]);
    const o2 = run(topo, 'E', frame({ dst: g2, src: E }));
    expect([o2.to, o2.reason, o2.parentRxDropped]).toEqual([['C1'], 'none', false]);
    expect(run(topo, 'E', frame({ dst: BCAST, src: E })).reason).toBe('queue_full');
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('S — source mode, TS', () => {
  it('S1: from E1 unicast to N1: N1, S1, S3; P-stack no', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: topo.mac('N1'), src: E1 }));
    expect(o.rows).toEqual(['S1:source_copy', 'S3:source_copy', 'N1:unicast']);
    expect(o.toHost).toBe(false);
  });

  it('S2: from E1 to UNK and to P\'s MAC: S1, S3 + P-stack', () => {
    const topo = ts();
    for (const dst of [UNK, P_MAC]) {
      const o = run(topo, 'E', frame({ dst, src: E1 }));
      expect([o.to, o.toHost, o.reason]).toEqual([['S1', 'S3'], true, 'no_destination']);
    }
  });

  it('S3: from E1 broadcast: S1, S3, N1, N2, N3 + P-stack; to an unjoined group: S1, S3 + P-stack only', () => {
    const topo = ts();
    const b = run(topo, 'E', frame({ dst: BCAST, src: E1 }));
    expect([b.to, b.toHost]).toEqual([['N1', 'N2', 'N3', 'S1', 'S3'], true]);
    expect(b.rows.slice(0, 2)).toEqual(['S1:source_copy', 'S3:source_copy']);
    const g = run(topo, 'E', frame({ dst: G_112233, src: E1 }));
    expect([g.to, g.toHost, g.reason]).toEqual([['S1', 'S3'], true, 'none']);
  });

  it('S4: from E1 to S1\'s MAC: S1, S3 copies + P-stack; from E9: P-stack only', () => {
    const topo = ts();
    const a = run(topo, 'E', frame({ dst: topo.mac('S1'), src: E1 }));
    expect([a.rows, a.toHost]).toEqual([['S1:source_copy', 'S3:source_copy'], true]);
    const b = run(topo, 'E', frame({ dst: topo.mac('S1'), src: E9 }));
    expect([b.to, b.toHost, b.reason]).toEqual([[], true, 'no_destination']);
  });

  it('S5: from E2 (nodst S2) to N1, to P\'s MAC, broadcast: S2 only; N1 no; P-stack no', () => {
    const topo = ts();
    for (const dst of [topo.mac('N1'), P_MAC, BCAST]) {
      const o = run(topo, 'E', frame({ dst, src: E2 }));
      expect([o.rows, o.toHost, o.reason]).toEqual([['S2:source_copy'], false, 'nodst']);
    }
  });

  it('S6: S2 DOWN: from E2 to N1 and broadcast: nobody at all, P-stack included', () => {
    const topo = ts();
    topo.t.setUp(topo.s('S2'), false);
    for (const dst of [topo.mac('N1'), BCAST]) {
      const o = run(topo, 'E', frame({ dst, src: E2 }));
      expect([o.n, o.toHost, o.reason]).toEqual([0, false, 'nodst']);
    }
  });

  it('S7: from E9 broadcast: every non-source child + P-stack; no source child', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: BCAST, src: E9 }));
    expect([o.to, o.toHost]).toEqual([['N1', 'N2', 'N3'], true]);
    const t0s = t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE, sources: [E1] }]);
    expect(run(t0s, 'E', frame({ dst: BCAST, src: E9 })).to).toEqual(T0_CHILDREN);
  });

  it('S8: S3 created empty; add E1, add …:03 twice, del …:99: all succeed, count 2', () => {
    const topo = ts();
    const s3 = topo.s('S3');
    topo.t.sourceFlush(s3);
    const ops: Array<['add' | 'del', number]> = [['add', E1], ['add', E03], ['add', E03], ['del', m('02:ee:00:00:00:99')]];
    for (const [op, mac] of ops) {
      expect(checkSourceOp(topo.t, s3, Mode.SOURCE, [mac], op)).toBeNull();
      if (op === 'add') topo.t.sourceAdd(s3, mac); else topo.t.sourceDel(s3, mac);
    }
    expect(topo.t.sourceCount(s3)).toBe(2);
    expect(topo.t.sourceList(s3)).toEqual([E1, E03]);
  });

  it('S9: S1 → vepa → source flushes its list: from E1 to N1, S1 gets nothing (N1 does; S3 still lists E1)', () => {
    const topo = ts();
    const s1 = topo.s('S1');
    expect(checkSetMode(topo.t, s1, Mode.VEPA)).toBeNull();
    topo.t.setMode(s1, Mode.VEPA);
    topo.t.setMode(s1, Mode.SOURCE);
    expect(topo.t.sourceCount(s1)).toBe(0);
    expect(run(topo, 'E', frame({ dst: topo.mac('N1'), src: E1 })).to).toEqual(['N1', 'S3']);
  });

  it('S10: S1 → N1 unicast and S1 broadcast: wire only', () => {
    const topo = ts();
    expect(run(topo, 'S1', frame({ dst: topo.mac('N1'), src: topo.mac('S1') })).rows).toEqual(['wire:wire']);
    expect(run(topo, 'S1', frame({ dst: BCAST, src: topo.mac('S1') })).rows).toEqual(['wire:wire']);
  });

  it('S11: S3 lists N2: N2 → N3 unicast: N3 and S3, not on the wire', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S3'), topo.mac('N2'));
    const o = run(topo, 'N2', frame({ dst: topo.mac('N3'), src: topo.mac('N2') }));
    expect(o.rows).toEqual(['S3:source_copy', 'N3:local_unicast']);
  });

  it('S12: as S11, N2 broadcast: N3 + wire; S3 does not get it', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S3'), topo.mac('N2'));
    expect(run(topo, 'N2', frame({ dst: BCAST, src: topo.mac('N2') })).rows).toEqual(['N3:local_flood', 'wire:wire']);
  });

  it('S13: T0 + S1: broadcast with source = S1\'s MAC → S1 only, P-stack no; hairpin S1 broadcast → S1 only', () => {
    const topo = t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE, sources: [E1] }]);
    const f = frame({ dst: BCAST, src: topo.mac('S1') });
    const o = run(topo, 'E', f);
    expect([o.rows, o.toHost]).toEqual([['S1:origin_only'], false]);
    const h = hairpin(topo, 'S1', f);
    expect([h.receivers, h.pStack]).toEqual([['S1'], false]);
  });

  it('S14: S3 macaddr flush: from E1 to N1 → N1 and S1 only', () => {
    const topo = ts();
    expect(checkSourceOp(topo.t, topo.s('S3'), Mode.SOURCE, [], 'flush')).toBeNull();
    topo.t.sourceFlush(topo.s('S3'));
    expect(run(topo, 'E', frame({ dst: topo.mac('N1'), src: E1 })).to).toEqual(['N1', 'S1']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('P — passthru, TP', () => {
  it('P1: a passthru child takes P2\'s MAC; a given address is ignored', () => {
    const topo = new Topo(P2_MAC, []);
    expect(checkAdd(topo.t, { mode: Mode.PASSTHRU, mac: m('02:aa:00:00:00:77') })).toBeNull();
    expect(withDefaults(topo.t, { mode: Mode.PASSTHRU, mac: m('02:aa:00:00:00:77') }).mac).toBe(P2_MAC);
  });

  it('P3: from E to P2\'s (= T\'s) MAC: T; P-stack no', () => {
    const o = run(tp(), 'E', frame({ dst: P2_MAC, src: E }));
    expect([o.rows, o.toHost]).toEqual([['T:unicast'], false]);
  });

  it('P4: from E to UNK: T receives it; P-stack no', () => {
    const o = run(tp(), 'E', frame({ dst: UNK, src: E }));
    expect([o.rows, o.toHost]).toEqual([['T:unicast'], false]);
  });

  it('P5: from E broadcast: T + P-stack; an unjoined group: P-stack only', () => {
    const topo = tp();
    const b = run(topo, 'E', frame({ dst: BCAST, src: E }));
    expect([b.rows, b.toHost]).toEqual([['T:flood'], true]);
    const g = run(topo, 'E', frame({ dst: G_112233, src: E }));
    expect([g.to, g.toHost]).toEqual([[], true]);
  });

  it('P6: broadcast with source = T\'s MAC: T only; P-stack no', () => {
    const o = run(tp(), 'E', frame({ dst: BCAST, src: P2_MAC }));
    expect([o.rows, o.toHost]).toEqual([['T:origin_only'], false]);
  });

  it('P7: T → E unicast and T broadcast: wire only', () => {
    const topo = tp();
    expect(run(topo, 'T', frame({ dst: E, src: P2_MAC })).rows).toEqual(['wire:wire']);
    expect(run(topo, 'T', frame({ dst: BCAST, src: P2_MAC })).rows).toEqual(['wire:wire']);
  });

  it('P8: T DOWN: to P2\'s MAC and UNK dropped (P-stack too); broadcast P-stack only', () => {
    const topo = tp();
    topo.t.setUp(topo.s('T'), false);
    for (const dst of [P2_MAC, UNK]) {
      const o = run(topo, 'E', frame({ dst, src: E }));
      expect([o.n, o.toHost, o.reason]).toEqual([0, false, 'passthru_down']);
    }
    const b = run(topo, 'E', frame({ dst: BCAST, src: E }));
    expect([b.to, b.toHost]).toEqual([[], true]);
  });

  it('P9: T MAC change is allowed UP and DOWN (A3); the child follows P2 when P2 takes it', () => {
    const topo = tp();
    const t = topo.s('T');
    const m78 = m('02:cc:00:00:01:78');
    expect(checkSetMac(topo.t, t, m78)).toBeNull();
    topo.t.setParent({ mac: m78 });
    expect(topo.t.mac[t]).toBe(m78);
    topo.t.setUp(t, false);
    expect(checkSetMac(topo.t, t, m('02:cc:00:00:01:79'))).toBeNull();
  });

  it('P10: P2 MAC change: T follows', () => {
    const topo = tp();
    const m55 = m('02:cc:00:00:01:55');
    topo.t.setParent({ mac: m55 });
    expect(topo.t.mac[topo.s('T')]).toBe(m55);
    expect(topo.t.lookup(m55)).toBe(topo.s('T'));
    expect(run(topo, 'E', frame({ dst: BCAST, src: m55 })).rows).toEqual(['T:origin_only']);
  });

  it('P11: non-passthru C on P2; P2 takes C\'s MAC (no check): C is unchanged and unicast to it goes to C', () => {
    const topo = new Topo(P2_MAC, [{ name: 'C', mac: m('02:aa:00:00:00:0c'), mode: Mode.VEPA }]);
    topo.t.setParent({ mac: m('02:cc:00:00:01:02') });
    expect(topo.t.mac[topo.s('C')]).toBe(m('02:aa:00:00:00:0c'));
    topo.t.setParent({ mac: topo.mac('C') });
    const o = run(topo, 'E', frame({ dst: topo.mac('C'), src: E }));
    expect([o.to, o.toHost]).toEqual([['C'], false]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('C — counters (T0 + S1 listing E), 100-byte frames', () => {
  const t0s = () => t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE, sources: [E] }]);

  it('C1: unicast from …:09 to B1: B1 rx +1 / +100, multicast +0', () => {
    const topo = t0s();
    const c = counted(topo, [['E', frame({ dst: topo.mac('B1'), src: E9 })]]);
    const b1 = topo.s('B1');
    expect([ctr(c, b1, Col.RX_PACKETS), ctr(c, b1, Col.RX_BYTES), ctr(c, b1, Col.RX_MULTICAST)]).toEqual([1, 100, 0]);
  });

  it('C2: broadcast from E: non-source children rx +1/+100/mc +1; S1 (source copy) +1/+100/mc +0', () => {
    const topo = t0s();
    const c = counted(topo, [['E', frame({ dst: BCAST, src: E })]]);
    for (const n of T0_CHILDREN) {
      const i = topo.s(n);
      expect([ctr(c, i, Col.RX_PACKETS), ctr(c, i, Col.RX_BYTES), ctr(c, i, Col.RX_MULTICAST)], n).toEqual([1, 100, 1]);
    }
    const s1 = topo.s('S1');
    expect([ctr(c, s1, Col.RX_PACKETS), ctr(c, s1, Col.RX_BYTES), ctr(c, s1, Col.RX_MULTICAST)]).toEqual([1, 100, 0]);
  });

  it('C3 deviation: B1 broadcast: B1 tx +1/+100; B2 rx +1, rx_bytes +100 (kernel: +114), multicast +1', () => {
    const topo = t0s();
    const c = counted(topo, [['B1', frame({ dst: BCAST, src: topo.mac('B1') })]]);
    const b1 = topo.s('B1');
    const b2 = topo.s('B2');
    expect([ctr(c, b1, Col.TX_PACKETS), ctr(c, b1, Col.TX_BYTES)]).toEqual([1, 100]);
    expect([ctr(c, b2, Col.RX_PACKETS), ctr(c, b2, Col.RX_BYTES), ctr(c, b2, Col.RX_MULTICAST)]).toEqual([1, 100, 1]);
  });

  it('C4: B1 → B2 unicast: B1 tx +1/+100; B2 rx +1/+100; parent row unchanged', () => {
    const topo = t0s();
    const c = counted(topo, [['B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1') })]]);
    const b1 = topo.s('B1');
    const b2 = topo.s('B2');
    expect([ctr(c, b1, Col.TX_PACKETS), ctr(c, b1, Col.TX_BYTES)]).toEqual([1, 100]);
    expect([ctr(c, b2, Col.RX_PACKETS), ctr(c, b2, Col.RX_BYTES), ctr(c, b2, Col.RX_MULTICAST)]).toEqual([1, 100, 0]);
    expect(Array.from(c.subarray(0, COUNTER_COLUMNS)).every((x) => x === 0)).toBe(true);
  });

  it('C5 deviation: hairpin, R1 broadcast: R1 tx +1/+100, rx +1, rx_bytes +100 (kernel: +0), multicast +0', () => {
    const topo = t0s();
    const f = frame({ dst: BCAST, src: topo.mac('R1') });
    const c = counted(topo, [['R1', f], ['E', f]]);
    const r1 = topo.s('R1');
    expect([ctr(c, r1, Col.TX_PACKETS), ctr(c, r1, Col.TX_BYTES)]).toEqual([1, 100]);
    expect([ctr(c, r1, Col.RX_PACKETS), ctr(c, r1, Col.RX_BYTES), ctr(c, r1, Col.RX_MULTICAST)]).toEqual([1, 100, 0]);
  });

  it('C6: B2 MTU 1000: B1 broadcast 1200 → B2 rx_errors +1, rx_dropped +2; B1 → B2 and E → B2 1200 delivered', () => {
    const topo = t0s();
    const b2 = topo.s('B2');
    topo.t.setMtu(b2, 1000);
    const c1 = counted(topo, [['B1', frame({ dst: BCAST, src: topo.mac('B1'), len: 1200 })]]);
    expect([ctr(c1, b2, Col.RX_PACKETS), ctr(c1, b2, Col.RX_ERRORS), ctr(c1, b2, Col.RX_DROPPED)]).toEqual([0, 1, 2]);
    const c2 = counted(topo, [
      ['B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1'), len: 1200 })],
      ['E', frame({ dst: topo.mac('B2'), src: E, len: 1200 })],
    ]);
    expect([ctr(c2, b2, Col.RX_PACKETS), ctr(c2, b2, Col.RX_BYTES), ctr(c2, b2, Col.RX_ERRORS)]).toEqual([2, 2400, 0]);
  });

  it('C7: every child bcqueuelen 0, broadcast from E: P rx_dropped +1; no child counter changes', () => {
    const topo = t0s();
    for (const n of [...T0_CHILDREN, 'S1']) topo.t.setBcQueueLen(topo.s(n), 0);
    // S1 lists E: use another source so the frame is a pure queue case
    const c = counted(topo, [['E', frame({ dst: BCAST, src: E9 })]]);
    expect(ctr(c, 0, Col.RX_DROPPED)).toBe(1);
    for (const n of [...T0_CHILDREN, 'S1']) {
      const i = topo.s(n);
      expect(Array.from(c.subarray(i * COUNTER_COLUMNS, i * COUNTER_COLUMNS + Col.DROP_BASE)).every((x) => x === 0), n).toBe(true);
    }
  });

  it('C8: (L21) a child without carrier sends: tx_dropped +1, tx_packets/tx_bytes +0', () => {
    const topo = t0s();
    topo.t.setParent({ up: false });
    const b1 = topo.s('B1');
    const c = counted(topo, [['B1', frame({ dst: E, src: topo.mac('B1') })]]);
    expect([ctr(c, b1, Col.TX_DROPPED), ctr(c, b1, Col.TX_PACKETS), ctr(c, b1, Col.TX_BYTES)]).toEqual([1, 0, 0]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('forwarding.md §1.2 — unicast from outside (U1–U8)', () => {
  it('U1: MAC of an UP private/vepa/bridge child → that child only', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) {
      const o = run(topo, 'E', frame({ dst: topo.mac(c), src: E }));
      expect([o.rows, o.toHost]).toEqual([[`${c}:unicast`], false]);
    }
  });

  it('U2: MAC of an UP source child → none; P-stack', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: topo.mac('S3'), src: E9 }));
    expect([o.to, o.toHost, o.reason]).toEqual([[], true, 'no_destination']);
  });

  it('U3: MAC of a DOWN child → none; P-stack', () => {
    const topo = t0();
    topo.t.setUp(topo.s('V1'), false);
    const o = run(topo, 'E', frame({ dst: topo.mac('V1'), src: E }));
    expect([o.to, o.toHost]).toEqual([[], true]);
  });

  it('U4: P\'s MAC → none; P-stack', () => {
    const o = run(t0(), 'E', frame({ dst: P_MAC, src: E }));
    expect([o.to, o.toHost]).toEqual([[], true]);
  });

  it('U5: any other MAC → none, also not a PROMISC child; P-stack', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setPromisc(topo.s(c), true);
    const o = run(topo, 'E', frame({ dst: UNK, src: E }));
    expect([o.to, o.toHost]).toEqual([[], true]);
  });

  it('U6: passthru, child UP: anything (P\'s MAC included) → the child; P-stack no', () => {
    const topo = tp();
    for (const dst of [P2_MAC, UNK, E]) {
      const o = run(topo, 'E', frame({ dst, src: E9 }));
      expect([o.rows, o.toHost]).toEqual([['T:unicast'], false]);
    }
  });

  it('U7: passthru, child DOWN: dropped, P-stack no', () => {
    const topo = tp();
    topo.t.setUp(topo.s('T'), false);
    const o = run(topo, 'E', frame({ dst: UNK, src: E }));
    expect([o.n, o.toHost, o.reason]).toEqual([0, false, 'passthru_down']);
  });

  it('U8: a child\'s MAC as source changes nothing for unicast (as U1–U5)', () => {
    const topo = t0();
    for (const src of ['B1', 'V1', 'R1']) {
      expect(run(topo, 'E', frame({ dst: topo.mac('V2'), src: topo.mac(src) })).to).toEqual(['V2']);
      expect(run(topo, 'E', frame({ dst: UNK, src: topo.mac(src) })).toHost).toBe(true);
    }
  });
});

describe('forwarding.md §1.3 — group frames from outside by origin (G1–G4)', () => {
  it('G1: external origin (DOWN child\'s MAC counts as external): private, vepa, bridge, passthru', () => {
    const topo = t0();
    expect(run(topo, 'E', frame({ dst: BCAST, src: E })).to).toEqual(T0_CHILDREN);
    topo.t.setUp(topo.s('B1'), false);
    expect(run(topo, 'E', frame({ dst: BCAST, src: topo.mac('B1') })).to).toEqual(['B2', 'R1', 'R2', 'V1', 'V2']);
    expect(run(tp(), 'E', frame({ dst: BCAST, src: E })).to).toEqual(['T']);
    expect(run(ts(), 'E', frame({ dst: BCAST, src: E9 })).to).toEqual(['N1', 'N2', 'N3']);
  });

  it('G2: an UP vepa origin: vepa and bridge children other than it', () => {
    const topo = t0();
    expect(run(topo, 'E', frame({ dst: BCAST, src: topo.mac('V2') })).to).toEqual(['B1', 'B2', 'V1']);
  });

  it('G3: an UP bridge origin: vepa children only', () => {
    const topo = t0();
    expect(run(topo, 'E', frame({ dst: BCAST, src: topo.mac('B2') })).to).toEqual(['V1', 'V2']);
  });

  it('G4: an UP private, passthru or source origin: itself only, no filter check, P-stack no', () => {
    const topo = t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE }]);
    for (const c of ['R1', 'S1']) {
      // a group nobody joined: the origin still gets it (no filter check)
      const o = run(topo, 'E', frame({ dst: G_112233, src: topo.mac(c) }));
      expect([o.rows, o.toHost]).toEqual([[`${c}:origin_only`], false]);
    }
    const p = run(tp(), 'E', frame({ dst: G_112233, src: P2_MAC }));
    expect([p.rows, p.toHost]).toEqual([['T:origin_only'], false]);
  });
});

describe('forwarding.md §3.2 — delivery of a group frame by the port filters (Q1–Q3)', () => {
  // A non-promiscuous parent so bc_filter, mc_filter and neither are all reachable
  function port(): Topo {
    const topo = new Topo(P_MAC, [
      { name: 'C1', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, groups: [m('01:00:5e:00:00:01'), m('01:00:5e:00:00:02')] },
      { name: 'C2', mac: m('02:aa:00:00:00:02'), mode: Mode.VEPA, groups: [m('01:00:5e:00:00:01')] },
      { name: 'S', mac: m('02:aa:00:00:00:05'), mode: Mode.SOURCE, sources: [E] },
    ]);
    topo.t.parentPromisc = false;
    return topo;
  }

  it('Q1: D in bc_filter (broadcast, or held by more than bc_cutoff): queued → flooded, or dropped at limit 0', () => {
    const topo = port();
    expect(run(topo, 'E', frame({ dst: m('01:00:5e:00:00:01'), src: E9 })).to).toEqual(['C1', 'C2']);
    for (const c of ['C1', 'C2', 'S']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:01'), src: E9 }));
    expect([o.to, o.reason, o.parentRxDropped, o.toHost]).toEqual([[], 'queue_full', true, true]);
  });

  it('Q2: D only in mc_filter (held by 1 ≤ bc_cutoff): flooded at once, even at queue limit 0', () => {
    const topo = port();
    for (const c of ['C1', 'C2', 'S']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:02'), src: E9 }));
    expect([o.to, o.reason, o.parentRxDropped, o.toHost]).toEqual([['C1'], 'none', false, true]);
  });

  it('Q3: D in neither: no child copy, even for an ALLMULTI child; source copies unaffected; P-stack', () => {
    const topo = port();
    topo.t.setAllmulti(topo.s('C2'), true);
    const o = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:09'), src: E }));
    expect([o.rows, o.toHost]).toEqual([['S:source_copy'], true]);
    const none = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:09'), src: E9 }));
    expect([none.to, none.reason]).toEqual([[], 'mode_forbids']);
  });
});

describe('forwarding.md §2.2 — unicast between siblings, sender mode × receiver mode', () => {
  // T0 + a source child S1 (own MAC …:51). Expected: 'local' | 'hairpin' | 'never' | 'pstack' (P-stack if hairpin)
  const cols = ['bridge', 'vepa', 'private', 'source', 'P', 'unknown', 'itself'] as const;
  const matrix: Record<string, string[]> = {
    B1: ['local', 'hairpin', 'hairpin', 'never', 'pstack', 'pstack', 'local'],
    V1: ['hairpin', 'hairpin', 'hairpin', 'never', 'pstack', 'pstack', 'hairpin'],
    R1: ['hairpin', 'hairpin', 'hairpin', 'never', 'pstack', 'pstack', 'hairpin'],
    S1: ['hairpin', 'hairpin', 'hairpin', 'never', 'pstack', 'pstack', 'never'],
  };
  const target: Record<(typeof cols)[number], string> = {
    bridge: 'B2', vepa: 'V2', private: 'R2', source: 'S1', P: 'P', unknown: 'UNK', itself: '',
  };
  for (const [sender, row] of Object.entries(matrix)) {
    cols.forEach((col, k) => {
      const want = row[k];
      it(`2.2 ${sender} → ${col}: ${want}`, () => {
        const topo = t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE }]);
        const name = col === 'itself' ? sender : target[col];
        const dst = name === 'UNK' ? UNK : topo.mac(name);
        const f = frame({ dst, src: topo.mac(sender) });
        const off = hairpin(topo, sender, f, false);
        const on = hairpin(topo, sender, f, true);
        if (want === 'local') {
          expect([off.receivers, off.wire, on.receivers]).toEqual([[name], false, [name]]);
        } else if (want === 'hairpin') {
          expect([off.receivers, off.wire, on.receivers, on.pStack]).toEqual([[], true, [name], false]);
        } else {
          // never a child; 'pstack' and the source rows reach P-stack through the reflection only
          expect([off.receivers, off.wire, on.receivers, off.pStack]).toEqual([[], true, [], false]);
          expect(on.pStack).toBe(true);
        }
      });
    });
  }
});

describe('forwarding.md §2.3 — group frames sent by a child', () => {
  it('2.3 bridge: wire; bridge siblings locally; hairpin adds vepa children (bridge ones once); P-stack', () => {
    const topo = t0();
    const h = hairpin(topo, 'B1', frame({ dst: BCAST, src: topo.mac('B1') }));
    expect([h.first.to, h.receivers, h.pStack]).toEqual([['B2', 'wire'], ['B2', 'V1', 'V2'], true]);
  });

  it('2.3 vepa: wire; no sibling; hairpin: other vepa + all bridge; P-stack', () => {
    const topo = t0();
    const h = hairpin(topo, 'V2', frame({ dst: BCAST, src: topo.mac('V2') }));
    expect([h.first.to, h.receivers, h.pStack]).toEqual([['wire'], ['B1', 'B2', 'V1'], true]);
  });

  it('2.3 private and source: wire; hairpin: the sender itself only; P-stack no', () => {
    const topo = t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE }]);
    for (const c of ['R2', 'S1']) {
      const h = hairpin(topo, c, frame({ dst: BCAST, src: topo.mac(c) }));
      expect([h.first.to, h.receivers, h.pStack]).toEqual([['wire'], [c], false]);
    }
  });

  it('2.3 passthru: wire; hairpin: the sender itself; P-stack no', () => {
    const topo = tp();
    const h = hairpin(topo, 'T', frame({ dst: BCAST, src: P2_MAC }));
    expect([h.first.to, h.receivers, h.pStack]).toEqual([['wire'], ['T'], false]);
  });

  it('2.3 multicast needs the receiver\'s filter; a source child listing the sender gets the reflection only', () => {
    const g = m('01:00:5e:00:00:42');
    const topo = t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE }]);
    topo.t.sourceAdd(topo.s('S1'), topo.mac('B1'));
    topo.t.joinGroup(topo.s('B2'), g);
    topo.t.joinGroup(topo.s('V1'), g);
    const h = hairpin(topo, 'B1', frame({ dst: g, src: topo.mac('B1') }));
    expect(h.first.rows).toEqual(['B2:local_flood', 'wire:wire']);
    expect(h.reflected?.rows).toEqual(['S1:source_copy', 'V1:flood']);
  });
});

describe('forwarding.md §4.2 — source mode delivery (SR1–SR10)', () => {
  it('SR1: listed source → copy to the UP source child before anything else, no filter check', () => {
    const o = run(ts(), 'E', frame({ dst: G_112233, src: E03 }));
    expect(o.rows).toEqual(['S3:source_copy']);
  });

  it('SR2: without NODST processing continues: destination, flood, P-stack', () => {
    const topo = ts();
    expect(run(topo, 'E', frame({ dst: topo.mac('N3'), src: E03 })).rows).toEqual(['S3:source_copy', 'N3:unicast']);
    const b = run(topo, 'E', frame({ dst: BCAST, src: E03 }));
    expect([b.to, b.toHost]).toEqual([['N1', 'N2', 'N3', 'S3'], true]);
  });

  it('SR3: a NODST match drops the frame after the copies: no destination, no flood, no P-stack', () => {
    const topo = ts();
    for (const dst of [topo.mac('N1'), BCAST, UNK]) {
      const o = run(topo, 'E', frame({ dst, src: E22 }));
      expect([o.rows, o.toHost, o.reason]).toEqual([['S2:source_copy'], false, 'nodst']);
    }
  });

  it('SR4: the NODST child DOWN: no copy, still dropped for everyone', () => {
    const topo = ts();
    topo.t.setUp(topo.s('S2'), false);
    const o = run(topo, 'E', frame({ dst: topo.mac('N1'), src: E22 }));
    expect([o.n, o.toHost, o.reason]).toEqual([0, false, 'nodst']);
  });

  it('SR5: unlisted source to S\'s own MAC: S gets nothing; P-stack', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: topo.mac('S1'), src: E9 }));
    expect([o.to, o.toHost]).toEqual([[], true]);
  });

  it('SR6: bridge child to bridge sibling (X2) with the sender listed: S gets a copy', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S1'), topo.mac('N3'));
    expect(run(topo, 'N3', frame({ dst: topo.mac('N2'), src: topo.mac('N3') })).rows)
      .toEqual(['S1:source_copy', 'N2:local_unicast']);
  });

  it('SR6 with NODST: the bridge-local unicast is consumed after the copy', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S2'), topo.mac('N3'));
    const o = run(topo, 'N3', frame({ dst: topo.mac('N2'), src: topo.mac('N3') }));
    expect([o.rows, o.reason]).toEqual([['S2:source_copy'], 'nodst']);
  });

  it('SR7: a bridge child\'s local flood (X1): S gets nothing', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S1'), topo.mac('N3'));
    expect(run(topo, 'N3', frame({ dst: BCAST, src: topo.mac('N3') })).rows).toEqual(['N2:local_flood', 'wire:wire']);
  });

  it('SR8: S transmits: always to the wire', () => {
    const topo = ts();
    for (const dst of [topo.mac('N2'), topo.mac('S3'), BCAST, UNK]) {
      expect(run(topo, 'S3', frame({ dst, src: topo.mac('S3') })).rows).toEqual(['wire:wire']);
    }
  });

  it('SR9: unlisted source, group frame or unicast to S\'s MAC: S gets nothing', () => {
    const topo = ts();
    for (const c of ['S1', 'S2', 'S3']) topo.t.setAllmulti(topo.s(c), true);
    expect(run(topo, 'E', frame({ dst: G_112233, src: E9 })).to).toEqual([]);
    expect(run(topo, 'E', frame({ dst: BCAST, src: E9 })).to).toEqual(['N1', 'N2', 'N3']);
    expect(run(topo, 'E', frame({ dst: topo.mac('S2'), src: E9 })).to).toEqual([]);
  });

  it('SR10: reflected group frame with S\'s own MAC as source: to S only', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: BCAST, src: topo.mac('S1') }));
    expect([o.rows, o.toHost]).toEqual([['S1:origin_only'], false]);
  });
});

describe('forwarding.md §5 — passthru (PT rows a pure decision or rule can express)', () => {
  it('PT1: only on a port without children; afterwards no other child (EINVAL)', () => {
    expect(checkAdd(new Topo(P2_MAC, []).t, { mode: Mode.PASSTHRU })).toBeNull();
    expect(checkAdd(t0().t, { mode: Mode.PASSTHRU })?.errno).toBe('EINVAL');
    for (const mode of [Mode.PRIVATE, Mode.VEPA, Mode.BRIDGE, Mode.SOURCE, Mode.PASSTHRU]) {
      expect(checkAdd(tp().t, { mode })?.errno).toBe('EINVAL');
    }
  });

  it('PT2: inherits P\'s MAC at creation', () => {
    const topo = new Topo(P2_MAC, []);
    expect(withDefaults(topo.t, { mode: Mode.PASSTHRU, mac: m('02:aa:00:00:00:77') }).mac).toBe(P2_MAC);
  });

  it('PT5: every unicast to the child; child DOWN → dropped', () => {
    const topo = tp();
    expect(run(topo, 'E', frame({ dst: m('02:12:34:56:78:9a'), src: E })).rows).toEqual(['T:unicast']);
    topo.t.setUp(topo.s('T'), false);
    expect(run(topo, 'E', frame({ dst: P2_MAC, src: E })).reason).toBe('passthru_down');
  });

  it('PT6: group frames: child (if its filter accepts) and P-stack; source = child\'s MAC → child only', () => {
    const topo = tp();
    const g = m('01:00:5e:00:00:42');
    expect(run(topo, 'E', frame({ dst: g, src: E })).to).toEqual([]);
    topo.t.joinGroup(topo.s('T'), g);
    const o = run(topo, 'E', frame({ dst: g, src: E }));
    expect([o.to, o.toHost]).toEqual([['T'], true]);
    expect(run(topo, 'E', frame({ dst: g, src: P2_MAC })).rows).toEqual(['T:origin_only']);
  });

  it('PT7: egress all to the wire (also to its own MAC)', () => {
    const topo = tp();
    for (const dst of [P2_MAC, E, BCAST]) expect(run(topo, 'T', frame({ dst, src: P2_MAC })).rows).toEqual(['wire:wire']);
  });

  it('PT8/PT9: a passthru MAC change is allowed (the parent takes it) and the child follows the parent', () => {
    const topo = tp();
    const nm = m('02:cc:00:00:01:80');
    expect(checkSetMac(topo.t, topo.s('T'), nm)).toBeNull();
    topo.t.setParent({ mac: nm });
    expect([topo.t.mac[0], topo.t.mac[topo.s('T')]]).toEqual([nm, nm]);
  });

  it('PT12: cannot enter or leave passthru', () => {
    const topo = tp();
    expect(checkSetMode(topo.t, topo.s('T'), Mode.VEPA)?.code).toBe('UMV_ERR_MODE_CHANGE');
    expect(checkSetMode(topo.t, topo.s('T'), Mode.PASSTHRU)).toBeNull();
    expect(checkSetMode(t0().t, 1, Mode.PASSTHRU)?.code).toBe('UMV_ERR_MODE_CHANGE');
  });

  it('PT13: NODST on passthru is accepted and changes nothing', () => {
    const topo = tp();
    const t = topo.s('T');
    expect(checkChange(topo.t, t, { flags: Flag.NODST | Flag.NOPROMISC })).toBeNull();
    topo.t.setFlags(t, Flag.NODST | Flag.NOPROMISC);
    expect(run(topo, 'E', frame({ dst: UNK, src: E })).rows).toEqual(['T:unicast']);
    expect(run(topo, 'E', frame({ dst: BCAST, src: E })).rows).toEqual(['T:flood']);
  });
});

describe('decide details the spec states outside the tables', () => {
  it('runt: shorter than 14 bytes goes nowhere, from either side', () => {
    const topo = t0();
    for (const from of ['E', 'B1']) {
      const o = run(topo, from, frame({ dst: BCAST, src: E, len: 13 }));
      expect([o.n, o.reason, o.toHost]).toEqual([0, 'runt', false]);
    }
  });

  it('X0 oversize: a non-GSO frame longer than the sender\'s MTU + 18 is dropped; GSO is exempt', () => {
    const topo = t0();
    topo.t.setMtu(topo.s('V1'), 1000);
    expect(run(topo, 'V1', frame({ dst: E, src: topo.mac('V1'), len: 1018 })).to).toEqual(['wire']);
    expect(run(topo, 'V1', frame({ dst: E, src: topo.mac('V1'), len: 1019 })).reason).toBe('oversize');
    expect(run(topo, 'V1', frame({ dst: E, src: topo.mac('V1'), len: 4000 }), true).to).toEqual(['wire']);
  });

  it('X1: a copy over the receiver\'s MTU + 18 is dropped for that receiver only; GSO exempt', () => {
    const topo = t0([{ name: 'B3', mac: m('02:aa:00:00:00:b3'), mode: Mode.BRIDGE }]);
    topo.t.setMtu(topo.s('B2'), 1000);
    const f = frame({ dst: BCAST, src: topo.mac('B1'), len: 1100 });
    expect(run(topo, 'B1', f).rows).toEqual(['B2:local_flood!mtu_exceeded', 'B3:local_flood', 'wire:wire']);
    expect(run(topo, 'B1', f, true).rows).toEqual(['B2:local_flood', 'B3:local_flood', 'wire:wire']);
  });

  it('X1: PAUSE frames are not flooded locally but still go to the wire', () => {
    const topo = t0();
    topo.t.setAllmulti(topo.s('B2'), true);
    expect(run(topo, 'B1', frame({ dst: m('01:80:c2:00:00:01'), src: topo.mac('B1'), type: 0x8808 })).rows)
      .toEqual(['wire:wire']);
  });

  it('deviation: an 802.1Q-tagged PAUSE frame is flooded (ET at offset 12 is the TPID; the kernel sees 0x8808)', () => {
    const topo = t0();
    topo.t.setAllmulti(topo.s('R1'), true);
    const f = frame({ dst: m('01:80:c2:00:00:01'), src: E, type: 0x8808, vid: 0 });
    expect(run(topo, 'E', f).to).toEqual(['R1']);
  });

  it('X2: parent down → parent_down, P rx_dropped; over the parent\'s MTU + 18 → mtu_exceeded (GSO exempt)', () => {
    const topo = t0();
    // Only reachable when the sender's MTU exceeds the parent's (rules forbid it; the table does not)
    topo.t.setMtu(topo.s('B1'), 9000);
    const f = frame({ dst: topo.mac('B2'), src: topo.mac('B1'), len: 1600 });
    const big = run(topo, 'B1', f);
    expect([big.n, big.reason, big.parentRxDropped]).toEqual([0, 'mtu_exceeded', true]);
    expect(run(topo, 'B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1'), len: 1518 })).rows).toEqual(['B2:local_unicast']);
    expect(run(topo, 'B1', f, true).rows).toEqual(['B2:local_unicast']);
    topo.t.parentUp = false; // carrier kept: the only way X2 can see a down parent
    const down = run(topo, 'B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1') }));
    expect([down.n, down.reason, down.parentRxDropped]).toEqual([0, 'parent_down', true]);
  });

  it('I3 before the queue: an origin-only copy is delivered even at queue limit 0', () => {
    const topo = t0();
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: BCAST, src: topo.mac('R1') }));
    expect([o.rows, o.parentRxDropped]).toEqual([['R1:origin_only'], false]);
  });

  it('I4 queue full keeps source copies already made', () => {
    const topo = ts();
    for (const c of ['S1', 'S2', 'S3', 'N1', 'N2', 'N3']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: BCAST, src: E1 }));
    expect([o.rows, o.reason, o.parentRxDropped, o.toHost]).toEqual([['S1:source_copy', 'S3:source_copy'], 'queue_full', true, true]);
  });

  it('a frame at an offset inside a larger buffer decides the same', () => {
    const topo = t0();
    const f = frame({ dst: topo.mac('V2'), src: E }, 10);
    const v = new Verdict(Verdict.capacityFor(topo.t.maxChildren));
    expect(decide(topo.t, 0, f, 10, 100, false, v)).toBe(1);
    expect([v.port[0], v.kind[0]]).toEqual([topo.s('V2'), Egress.UNICAST]);
  });

  it('the verdict is reset on every call', () => {
    const topo = t0();
    const v = new Verdict(Verdict.capacityFor(topo.t.maxChildren));
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    decide(topo.t, 0, frame({ dst: BCAST, src: E }), 0, 100, false, v);
    expect([v.reason, v.toHost, v.parentRxDropped]).toEqual([Drop.QUEUE_FULL, true, true]);
    decide(topo.t, topo.s('V1'), frame({ dst: E, src: topo.mac('V1') }), 0, 100, false, v);
    expect([v.n, v.reason, v.toHost, v.parentRxDropped]).toEqual([1, 0, false, false]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('explain() names the spec step that decided (umacvlan trace)', () => {
  const rule = (topo: Topo, from: string, f: Uint8Array) => explain(topo.t, topo.s(from), f).rule;

  it('egress steps: X0, X1, X2, X3/X4', () => {
    const topo = t0();
    const b1 = topo.mac('B1');
    expect(rule(topo, 'B1', frame({ dst: BCAST, src: b1 }))).toBe('X1 bridge-local flood (1 sibling) + X4 wire');
    expect(rule(topo, 'B1', frame({ dst: topo.mac('B2'), src: b1 }))).toBe('X2 bridge-local unicast');
    expect(rule(topo, 'B1', frame({ dst: topo.mac('V1'), src: b1 }))).toMatch(/^X3 bridge unicast/);
    expect(rule(topo, 'V1', frame({ dst: E, src: topo.mac('V1') }))).toBe('X3/X4 wire');
    topo.t.setMtu(topo.s('V1'), 1000);
    expect(rule(topo, 'V1', frame({ dst: E, src: topo.mac('V1'), len: 1100 }))).toMatch(/^X0 oversize/);
    topo.t.setParent({ up: false });
    expect(rule(topo, 'V1', frame({ dst: E, src: topo.mac('V1') }))).toMatch(/^X0 no carrier/);
  });

  it('group ingress: I2, I3, G1–G3 with Q1/Q2/Q3, queue full', () => {
    const topo = t0();
    expect(rule(topo, 'E', frame({ dst: BCAST, src: topo.mac('R1') }))).toMatch(/^I3 origin-only/);
    expect(rule(topo, 'E', frame({ dst: BCAST, src: E }))).toBe('I6 G1 external origin, Q1 queued flood (6 copies) + I5 P-stack');
    expect(rule(topo, 'E', frame({ dst: BCAST, src: topo.mac('V1') }))).toMatch(/^I6 G2 vepa origin/);
    expect(rule(topo, 'E', frame({ dst: BCAST, src: topo.mac('B1') }))).toMatch(/^I6 G3 bridge origin/);
    topo.t.parentPromisc = false;
    topo.t.joinGroup(topo.s('V2'), G_112233);
    expect(rule(topo, 'E', frame({ dst: G_112233, src: E }))).toMatch(/Q2 flood now \(1 copy\)/);
    expect(rule(topo, 'E', frame({ dst: m('01:00:5e:00:00:99'), src: E }))).toMatch(/Q3 no port filter match/);
    for (const c of T0_CHILDREN) topo.t.setBcQueueLen(topo.s(c), 0);
    expect(rule(topo, 'E', frame({ dst: BCAST, src: E }))).toMatch(/^I4 Q1 broadcast queue, limit 0/);
    const s = ts();
    expect(rule(s, 'E', frame({ dst: BCAST, src: E2 }))).toBe('I2 source copies (1) + I2 nodst: consumed');
    expect(rule(s, 'E', frame({ dst: BCAST, src: E1 }))).toMatch(/^I2 source copies \(2\) \+ I6 G1/);
  });

  it('unicast ingress: U1–U7 and I7', () => {
    const topo = ts();
    expect(rule(topo, 'E', frame({ dst: topo.mac('N1'), src: E9 }))).toBe('U1 unicast to its child (I11)');
    expect(rule(topo, 'E', frame({ dst: topo.mac('S1'), src: E9 }))).toMatch(/^U2 /);
    expect(rule(topo, 'E', frame({ dst: P_MAC, src: E9 }))).toMatch(/^U4 /);
    expect(rule(topo, 'E', frame({ dst: UNK, src: E9 }))).toBe('U5 unknown unicast: P-stack (I9)');
    expect(rule(topo, 'E', frame({ dst: topo.mac('N1'), src: E22 }))).toBe('I2 source copies (1) + I7 nodst: consumed');
    topo.t.setUp(topo.s('N1'), false);
    expect(rule(topo, 'E', frame({ dst: topo.mac('N1'), src: E9 }))).toMatch(/^U3 /);
    const p = tp();
    expect(rule(p, 'E', frame({ dst: UNK, src: E }))).toMatch(/^U6 passthru/);
    p.t.setUp(p.s('T'), false);
    expect(rule(p, 'E', frame({ dst: UNK, src: E }))).toMatch(/^U7 /);
  });

  it('the trace carries the verdict: egress rows, reason name, toHost, parentRxDropped', () => {
    const topo = t0();
    const tr = explain(topo.t, topo.s('B1'), frame({ dst: BCAST, src: topo.mac('B1') }));
    expect(tr.egress).toEqual([{ port: topo.s('B2'), kind: Egress.LOCAL_FLOOD, drop: 0 }, { port: 0, kind: Egress.WIRE, drop: 0 }]);
    expect([tr.reason, tr.reasonName, tr.toHost, tr.parentRxDropped]).toEqual([0, 'none', false, false]);
    const runt = explain(topo.t, 0, new Uint8Array(10));
    expect([runt.reasonName, runt.rule, runt.egress]).toEqual(['runt', 'runt (shorter than an Ethernet header)', []]);
    const f = traceFrame(topo.mac('V2'), E);
    expect([f.length, explain(topo.t, 0, f).egress]).toEqual([60, [{ port: topo.s('V2'), kind: Egress.UNICAST, drop: 0 }]]);
  });
});
