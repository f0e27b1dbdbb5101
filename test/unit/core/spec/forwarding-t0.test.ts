// Forwarding between modes on topology T0, cases F1–F25 (docs/forwarding.md): unicast, broadcast and hairpin
// reflections between bridge, vepa and private children, the wire and the parent's own stack (P-stack).

import { describe, expect, it } from 'vitest';
import { Mode } from '../../../../src/core/constants.js';
import { BCAST, E, P_MAC, T0_CHILDREN, Topo, UNK, frame, hairpin, m, run, t0 } from '../../helpers/frames.js';

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
