// Steps of the decision the spec states outside its tables (docs/forwarding.md X0–X2, I3, I4): runts, MTU checks,
// PAUSE frames, the order of the queue and origin checks; and the calling convention (offset, verdict reset).

import { describe, expect, it } from 'vitest';
import { Drop, Egress, Mode } from '../../../../src/core/constants.js';
import { decide } from '../../../../src/core/decide.js';
import { Verdict } from '../../../../src/core/verdict.js';
import { BCAST, E, E1, T0_CHILDREN, frame, m, run, t0, ts } from '../../helpers/frames.js';

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
