// Lifecycle cases L1–L22 (docs/lifecycle.md): what creating, raising, changing and removing children does, checked
// through rules.ts (what the kernel refuses, with which errno) and the table (what forwarding does afterwards).

import { describe, expect, it } from 'vitest';
import { Flag, Mode } from '../../../../src/core/constants.js';
import type { ModeBit } from '../../../../src/core/constants.js';
import { checkAdd, checkChange, checkSetMac, checkSetMode, checkSetMtu, checkSourceOp, checkUp, withDefaults } from '../../../../src/core/rules.js';
import { BCAST, E, P_MAC, T0_CHILDREN, Topo, frame, m, run, t0, tp } from '../../helpers/frames.js';

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
    expect([e3?.errno, e3?.code]).toEqual(['EINVAL', 'UMV_ERR_PASSTHRU_NOT_ALONE']);
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
