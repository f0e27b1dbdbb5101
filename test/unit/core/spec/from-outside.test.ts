// Frames from outside (docs/forwarding.md): unicast by destination (U1–U8) and group frames by their origin
// (G1–G4), i.e. whose MAC the source is.

import { describe, expect, it } from 'vitest';
import { BCAST, E, E9, P2_MAC, P_MAC, T0_CHILDREN, UNK, frame, run, t0, tp, ts } from '../../helpers/frames.js';
import { G_112233, t0WithS1 } from './fixtures.js';

describe('docs/forwarding.md — unicast from outside (U1–U8)', () => {
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


describe('docs/forwarding.md — group frames from outside by origin (G1–G4)', () => {
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
    const topo = t0WithS1();
    for (const c of ['R1', 'S1']) {
      // a group nobody joined: the origin still gets it (no filter check)
      const o = run(topo, 'E', frame({ dst: G_112233, src: topo.mac(c) }));
      expect([o.rows, o.toHost]).toEqual([[`${c}:origin_only`], false]);
    }
    const p = run(tp(), 'E', frame({ dst: G_112233, src: P2_MAC }));
    expect([p.rows, p.toHost]).toEqual([['T:origin_only'], false]);
  });
});
