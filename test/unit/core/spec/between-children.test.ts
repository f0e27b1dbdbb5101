// Frames a child sends to its siblings (docs/forwarding.md): unicast, sender mode × receiver mode, with and
// without a hairpin reflection outside; group frames by the sender's mode.

import { describe, expect, it } from 'vitest';
import { BCAST, P2_MAC, UNK, frame, hairpin, m, t0, tp } from '../../helpers/frames.js';
import { t0WithS1 } from './fixtures.js';

describe('docs/forwarding.md — unicast between siblings, sender mode × receiver mode', () => {
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
        const topo = t0WithS1();
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


describe('docs/forwarding.md — group frames sent by a child', () => {
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
    const topo = t0WithS1();
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
    const topo = t0WithS1();
    topo.t.sourceAdd(topo.s('S1'), topo.mac('B1'));
    topo.t.joinGroup(topo.s('B2'), g);
    topo.t.joinGroup(topo.s('V1'), g);
    const h = hairpin(topo, 'B1', frame({ dst: g, src: topo.mac('B1') }));
    expect(h.first.rows).toEqual(['B2:local_flood', 'wire:wire']);
    expect(h.reflected?.rows).toEqual(['S1:source_copy', 'V1:flood']);
  });
});
