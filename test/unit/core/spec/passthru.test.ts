// Passthru on topology TP: cases P1–P11 and the rows PT1–PT13 a pure decision or rule can express
// (docs/forwarding.md; the parent's MAC events: docs/lifecycle.md).

import { describe, expect, it } from 'vitest';
import { Flag, Mode } from '../../../../src/core/constants.js';
import { checkAdd, checkChange, checkSetMac, checkSetMode, withDefaults } from '../../../../src/core/rules.js';
import { BCAST, E, P2_MAC, Topo, UNK, frame, m, run, t0, tp } from '../../helpers/frames.js';
import { G_112233 } from './fixtures.js';

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


describe('docs/forwarding.md — passthru (PT rows a pure decision or rule can express)', () => {
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
