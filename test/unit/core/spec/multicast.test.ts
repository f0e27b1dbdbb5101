// Multicast filters and the broadcast queue: cases M1–M15 and the port-filter rows Q1–Q3 (docs/forwarding.md),
// i.e. bc_cutoff, bcqueuelen, ALLMULTI/PROMISC children, held groups, and what makes the parent promiscuous.

import { describe, expect, it } from 'vitest';
import { Flag, Mode, PARENT } from '../../../../src/core/constants.js';
import { Verdict } from '../../../../src/core/verdict.js';
import { decide, floodQueued } from '../../../../src/core/decide.js';
import { BCAST, E, E9, P_MAC, T0_CHILDREN, Topo, UNK, frame, hairpin, m, run, t0 } from '../../helpers/frames.js';
import { G_112233 } from './fixtures.js';

const M1_GROUPS = ['01:00:5e:11:22:33', '01:00:5e:44:55:66', '01:00:5e:7a:7b:7c', '33:33:de:ad:be:ef', '01:80:c2:00:00:0e'].map(m);

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
    expect([o.to, o.toHost, o.reason, o.parentRxDropped, o.queued]).toEqual([[], true, 'queue_full', true, false]);
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
    // queued (the limit is 5): these are the copies its flood makes when drained; a sixth frame waiting would be
    // dropped by the datapath's queue (flood-queue.test.ts), not here
    expect([o.to, o.toHost, o.parentRxDropped, o.queued]).toEqual([T0_CHILDREN, true, false, true]);
  });

  it('M13: non-promiscuous parent, bclim 1, limit 0: G1 (2 holders) queued+dropped; G2 (1) flooded; broadcast dropped', () => {
    const g1 = m('01:00:5e:00:00:71');
    const g2 = m('01:00:5e:00:00:72');
    const topo = new Topo(P_MAC, [
      { name: 'C1', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, groups: [g1, g2] },
      { name: 'C2', mac: m('02:aa:00:00:00:02'), mode: Mode.VEPA, groups: [g1] },
    ]);
    topo.t.parentFiltersUnicast = true;  // a NIC: the children's MACs leave it non-promiscuous
    for (const c of ['C1', 'C2']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o1 = run(topo, 'E', frame({ dst: g1, src: E }));
    expect([o1.to, o1.reason, o1.parentRxDropped, o1.toHost]).toEqual([[], 'queue_full', true, true]);
    const o2 = run(topo, 'E', frame({ dst: g2, src: E }));
    expect([o2.to, o2.reason, o2.parentRxDropped]).toEqual([['C1'], 'none', false]);
    expect(run(topo, 'E', frame({ dst: BCAST, src: E })).reason).toBe('queue_full');
  });

  it('M13: an UP child\'s ALLMULTI or PROMISC makes a filtering parent ALLMULTI or PROMISC: every group queued', () => {
    const g2 = m('01:00:5e:00:00:72');
    const topo = new Topo(P_MAC, [
      { name: 'C1', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, groups: [g2] },
      { name: 'C2', mac: m('02:aa:00:00:00:02'), mode: Mode.BRIDGE },
    ]);
    topo.t.parentFiltersUnicast = true;
    for (const c of ['C1', 'C2']) topo.t.setBcQueueLen(topo.s(c), 0);
    expect([run(topo, 'E', frame({ dst: g2, src: E })).to, topo.t.allGroups]).toEqual([['C1'], false]);
    for (const set of [(on: boolean) => topo.t.setAllmulti(topo.s('C2'), on), (on: boolean) => topo.t.setPromisc(topo.s('C2'), on)]) {
      set(true);
      const o = run(topo, 'E', frame({ dst: g2, src: E }));
      expect([o.to, o.reason, topo.t.allGroups]).toEqual([[], 'queue_full', true]);
      // a DOWN child passes nothing to the parent (macvlan_stop takes its references back)
      topo.t.setUp(topo.s('C2'), false);
      expect(run(topo, 'E', frame({ dst: g2, src: E })).to).toEqual(['C1']);
      topo.t.setUp(topo.s('C2'), true);
      set(false);
      expect(run(topo, 'E', frame({ dst: g2, src: E })).to).toEqual(['C1']);
    }
    // the parent's own flag does the same; a parent without unicast filtering is opened by any UP child's MAC
    topo.t.parentPromisc = true;
    expect(run(topo, 'E', frame({ dst: g2, src: E })).reason).toBe('queue_full');
    topo.t.parentPromisc = false;
    topo.t.parentFiltersUnicast = false;
    expect(run(topo, 'E', frame({ dst: g2, src: E })).reason).toBe('queue_full');
  });

  it('M14: passthru nopromisc on a veth leaves the parent non-promiscuous: held counts decide, bclim 1, 0, −1', () => {
    const g = m('01:00:5e:42:01:01');
    const other = m('01:00:5e:43:00:05');
    const topo = new Topo(P_MAC, [{ name: 'T', mac: P_MAC, mode: Mode.PASSTHRU, flags: Flag.NOPROMISC, groups: [g] }]);
    topo.t.setBcQueueLen(topo.s('T'), 0);
    const to = (): string[][] => [g, BCAST, other].map((dst) => run(topo, 'E', frame({ dst, src: E })).to);
    expect([topo.t.allGroups, ...to()]).toEqual([false, ['T'], [], []]);
    topo.t.setBcCutoff(0);
    expect(to()).toEqual([[], [], []]);
    topo.t.setBcCutoff(-1);
    expect(to()).toEqual([['T'], ['T'], []]);
    // without NOPROMISC the child makes the parent promiscuous: everything queued again at bclim 1
    topo.t.setBcCutoff(1);
    topo.t.setFlags(topo.s('T'), 0);
    expect([topo.t.allGroups, ...to()]).toEqual([true, [], [], []]);
  });

  it('M15: passthru nopromisc: its ALLMULTI opens the port filters, its PROMISC does not (the kernel keeps it)', () => {
    const g = m('01:00:5e:42:01:01');
    const other = m('01:00:5e:43:00:05');
    const topo = new Topo(P_MAC, [{ name: 'T', mac: P_MAC, mode: Mode.PASSTHRU, flags: Flag.NOPROMISC, groups: [g] }]);
    const t = topo.s('T');
    topo.t.setBcQueueLen(t, 0);
    topo.t.setAllmulti(t, true);
    expect([run(topo, 'E', frame({ dst: g, src: E })).reason, topo.t.allGroups]).toEqual(['queue_full', true]);
    topo.t.setBcCutoff(-1);
    expect([g, other].map((dst) => run(topo, 'E', frame({ dst, src: E })).to)).toEqual([['T'], ['T']]);
    topo.t.setAllmulti(t, false);
    topo.t.setPromisc(t, true);
    // its own filter takes every group, but the parent's does not pass one nobody holds (Q3)
    expect([g, other].map((dst) => run(topo, 'E', frame({ dst, src: E })).to)).toEqual([['T'], []]);
    expect(topo.t.allGroups).toBe(false);
  });

  it('M15 deviation: a passthru child\'s ALLMULTI set while DOWN opens the port filters once it is UP (the kernel never passes it on)', () => {
    const g = m('01:00:5e:42:01:01');
    const topo = new Topo(P_MAC, [{ name: 'T', mac: P_MAC, mode: Mode.PASSTHRU, flags: Flag.NOPROMISC, groups: [g], up: false }]);
    const t = topo.s('T');
    topo.t.setBcQueueLen(t, 0);
    topo.t.setAllmulti(t, true);
    topo.t.setUp(t, true);
    // the kernel: the parent's allmulti stays 0 and G (one holder) is flooded at once; umacvlan: queued, dropped
    expect([run(topo, 'E', frame({ dst: g, src: E })).reason, topo.t.allGroups]).toEqual(['queue_full', true]);
  });
});


describe('docs/forwarding.md — delivery of a group frame by the port filters (Q1–Q3)', () => {
  // A non-promiscuous parent so bc_filter, mc_filter and neither are all reachable
  function port(): Topo {
    const topo = new Topo(P_MAC, [
      { name: 'C1', mac: m('02:aa:00:00:00:01'), mode: Mode.VEPA, groups: [m('01:00:5e:00:00:01'), m('01:00:5e:00:00:02')] },
      { name: 'C2', mac: m('02:aa:00:00:00:02'), mode: Mode.VEPA, groups: [m('01:00:5e:00:00:01')] },
      { name: 'S', mac: m('02:aa:00:00:00:05'), mode: Mode.SOURCE, sources: [E] },
    ]);
    topo.t.parentFiltersUnicast = true;  // a NIC: the children's MACs leave it non-promiscuous
    return topo;
  }

  it('Q1: D in bc_filter (broadcast, or held by more than bc_cutoff): queued → flooded, or dropped at limit 0', () => {
    const topo = port();
    const q = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:01'), src: E9 }));
    expect([q.to, q.queued]).toEqual([['C1', 'C2'], true]);
    // A deferring verdict (the datapath's) has no flood rows for it: floodQueued() makes them when it is drained,
    // from the table of that moment
    const v = new Verdict();
    v.defer = true;
    const f = frame({ dst: m('01:00:5e:00:00:01'), src: E9 });
    expect([decide(topo.t, PARENT, f, 0, f.length, false, v), v.queued, v.queueOrigin, v.reason]).toEqual([0, true, -1, 0]);
    topo.t.leaveGroup(topo.s('C2'), m('01:00:5e:00:00:01'));
    expect(floodQueued(topo.t, f, 0, v.queueOrigin, v.queueMask, 0, v)).toBe(1);
    expect(topo.portName(v.port[0])).toBe('C1');
    topo.t.joinGroup(topo.s('C2'), m('01:00:5e:00:00:01'));
    for (const c of ['C1', 'C2', 'S']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:01'), src: E9 }));
    expect([o.to, o.reason, o.parentRxDropped, o.toHost]).toEqual([[], 'queue_full', true, true]);
  });

  it('Q2: D only in mc_filter (held by 1 ≤ bc_cutoff): flooded at once, even at queue limit 0', () => {
    const topo = port();
    for (const c of ['C1', 'C2', 'S']) topo.t.setBcQueueLen(topo.s(c), 0);
    const o = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:02'), src: E9 }));
    expect([o.to, o.reason, o.parentRxDropped, o.toHost, o.queued]).toEqual([['C1'], 'none', false, true, false]);
  });

  it('Q3: D in neither: no child copy; source copies unaffected; P-stack', () => {
    const topo = port();
    const o = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:09'), src: E }));
    expect([o.rows, o.toHost]).toEqual([['S:source_copy'], true]);
    const none = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:09'), src: E9 }));
    expect([none.to, none.reason]).toEqual([[], 'mode_forbids']);
    // An ALLMULTI child would make the parent ALLMULTI, which puts D in both filters (M13): queued, then flooded
    topo.t.setAllmulti(topo.s('C2'), true);
    const q = run(topo, 'E', frame({ dst: m('01:00:5e:00:00:09'), src: E9 }));
    expect([q.to, q.queued]).toEqual([['C2'], true]);
  });
});
