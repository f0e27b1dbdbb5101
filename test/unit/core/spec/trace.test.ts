// explain() (umacvlan trace) names the spec step that decided a frame, with the row IDs of docs/forwarding.md.

import { describe, expect, it } from 'vitest';
import { Egress } from '../../../../src/core/constants.js';
import { explain, traceFrame } from '../../../../src/core/trace.js';
import { BCAST, E, E1, E2, E22, E9, P_MAC, T0_CHILDREN, Topo, UNK, frame, m, t0, tp, ts } from '../../helpers/frames.js';
import { G_112233 } from './fixtures.js';

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
    topo.t.parentFiltersUnicast = true;  // a NIC, not promiscuous: Q2 and Q3 are reachable
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
