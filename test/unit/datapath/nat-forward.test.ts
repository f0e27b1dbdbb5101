// The MAC-NAT in the datapath loop (forward.ts, nat-forward.ts) over the in-memory engine: siblings get a bridge
// child's frame as sent while the wire gets it rewritten, one frame and no copy; the counters; a capture of the
// parent's port shows the wire after the rewrite; the learn events and their bounds.

import { describe, expect, test } from 'vitest';
import { MemoryEngine } from '../../support/memory-engine.js';
import { forwardBatch, type BatchState, type CaptureTap } from '../../../src/datapath/forward.js';
import { NatLearner, POSTS_PER_BATCH, POSTS_PER_SECOND, type LearnEvent } from '../../../src/datapath/nat-forward.js';
import { Rx, Tx } from '../../../src/datapath/tx-list.js';
import { PortTable } from '../../../src/core/port-table.js';
import { Verdict } from '../../../src/core/verdict.js';
import { makeCounters, readRow } from '../../../src/core/counters.js';
import { Learn, Mode, PARENT } from '../../../src/core/constants.js';
import { Dir } from '../../../src/core/direction.js';
import { addrWords } from '../../../src/core/nat-address.js';
import { C1, C2, OUT, PMAC, arpRequest, dhcpAck, macNum, udp4 } from '../core/nat-frames.js';

const C3 = [0x02, 0xaa, 0, 0, 0, 0xb3];

function rig(o: { capture?: CaptureTap; clock?: () => number } = {}) {
  const t = new PortTable(4);
  t.setParent({ mac: macNum(PMAC), mtu: 1500, up: true, carrier: true, promisc: true });
  const kids: Array<[number[], number]> = [[C1, Mode.BRIDGE], [C3, Mode.BRIDGE], [C2, Mode.VEPA]];
  kids.forEach(([mac, mode], k) => { t.addChild(k + 1, { mac: macNum(mac), mode: mode as 1, flags: 0, mtu: 1500 }); t.setUp(k + 1, true); });
  t.setMacNat(true);
  const w = addrWords('198.18.0.5')!;
  t.natSet(w[0], w[1], w[2], w[3], 1);
  const eng = new MemoryEngine({ regionBytes: 1 << 20 });
  for (let p = 1; p <= 3; p++) eng.attachTap(p, 100 + p);
  const posted: LearnEvent[] = [];
  let now = 1000;
  const s: BatchState = {
    table: t, verdict: new Verdict(Verdict.capacityFor(4)), tx: new Tx(256), counters: makeCounters(5),
    regions: eng.regions, capture: o.capture ?? null, learner: new NatLearner((e) => posted.push(e), o.clock ?? (() => now)),
  };
  const rx = new Rx(64);
  return {
    t, eng, s, posted,
    setNow: (n: number) => { now = n; },
    pump() { while (eng.poll(rx, 0) > 0) forwardBatch(s, rx, eng, 0); },
    row: (p: number) => readRow(s.counters, p),
  };
}
const mac6 = (f: Uint8Array, at: number): number[] => [...f.slice(at, at + 6)];

describe('the datapath under --mac-nat', () => {
  test('a bridge child\'s ARP request: its bridge sibling gets it as sent, the wire rewritten (source and sender)', () => {
    const r = rig();
    const f = arpRequest(C1, '198.18.0.5', '198.18.0.1');
    r.eng.inject(1, f);
    r.pump();
    const sib = r.eng.sentTo(2);
    const wire = r.eng.sentTo(PARENT);
    expect(sib.map((x) => x.frame)).toEqual([f]);
    expect(wire.length).toBe(1);
    expect(mac6(wire[0].frame, 6)).toEqual(PMAC);
    expect(mac6(wire[0].frame, 22)).toEqual(PMAC);
    expect(r.row(1)).toMatchObject({ nat_rewritten: 1, tx_packets: 1 });
  });

  test('unicast to the parent\'s MAC for a child\'s address: the child gets it with its own MAC as destination', () => {
    const r = rig();
    r.eng.inject(PARENT, udp4(OUT, PMAC, '198.18.0.1', '198.18.0.5', 7, 7, [1, 2]));
    r.eng.inject(PARENT, udp4(OUT, PMAC, '198.18.0.1', '198.18.0.99', 7, 7, [1, 2]));
    r.pump();
    expect(r.eng.sent.map((x) => [x.port, mac6(x.frame, 0)])).toEqual([[1, C1]]);
    expect(r.row(1)).toMatchObject({ nat_rewritten: 1, rx_packets: 1 });
    expect(r.row(PARENT)).toMatchObject({ nat_unowned: 1, drop_no_destination: 1 });
  });

  test('a capture shows each port its own view: the child\'s frame as sent, the parent\'s copy as the wire has it', () => {
    const seen: Array<[number, number, number[]]> = [];
    const capture: CaptureTap = { offer: (port, dir, buf, at) => { seen.push([port, dir, mac6(buf, at + 6)]); return true; } };
    const r = rig({ capture });
    r.eng.inject(3, udp4(C2, OUT, '198.18.0.6', '198.18.0.1', 7, 7, []));
    r.pump();
    expect(seen).toEqual([[3, Dir.IN, C2], [PARENT, Dir.OUT, PMAC]]);
  });

  test('learning: a claim is posted once however many frames carry it; an owner\'s use once a minute', () => {
    const r = rig();
    for (let i = 0; i < 5; i++) r.eng.inject(3, udp4(C2, OUT, '198.18.0.6', '198.18.0.1', 7, 7, []));
    for (let i = 0; i < 5; i++) r.eng.inject(1, udp4(C1, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []));
    r.pump();
    expect(r.posted.map((e) => [e.kind, e.slot])).toEqual([[Learn.CLAIM, 3], [Learn.SEEN, 1]]);
    r.setNow(1030);
    r.eng.inject(1, udp4(C1, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []));
    r.pump();
    expect(r.posted.length).toBe(2);
    r.setNow(1061);
    r.eng.inject(1, udp4(C1, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []));
    r.eng.inject(3, udp4(C2, OUT, '198.18.0.6', '198.18.0.1', 7, 7, []));
    r.pump();
    expect(r.posted.map((e) => e.kind)).toEqual([Learn.CLAIM, Learn.SEEN, Learn.SEEN, Learn.CLAIM]);
  });

  test('learning is bounded per batch; a conflict is refused and posted; a DHCP ACK is posted with its lease', () => {
    const r = rig();
    for (let i = 0; i < 40; i++) r.eng.inject(3, udp4(C2, OUT, `198.18.1.${i}`, '198.18.0.1', 7, 7, []));
    r.pump();
    expect(r.posted.length).toBe(POSTS_PER_BATCH);
    r.posted.length = 0;
    r.setNow(2000);
    const wire = r.eng.sentTo(PARENT).length;
    r.eng.inject(3, udp4(C2, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []));
    r.eng.inject(PARENT, dhcpAck(C1, '198.18.0.50', 600));
    r.pump();
    expect(r.posted.map((e) => [e.kind, e.slot, e.lease])).toEqual([[Learn.CONFLICT, 3, 0], [Learn.LEASE, 1, 600]]);
    expect(r.row(3).drop_nat_conflict).toBe(1);
    expect(r.eng.sentTo(PARENT).length).toBe(wire);
  });

  test('a frame refused for its virtio-net header (bad_gso) after a NAT frame: nothing stale is learned or rewritten', () => {
    const r = rig();
    r.eng.inject(PARENT, udp4(OUT, PMAC, '198.18.0.1', '198.18.0.5', 7, 7, []));
    r.eng.inject(1, udp4(C1, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []), { vnet: Uint8Array.from([0, 9, 0, 0, 0, 0, 0, 0, 0, 0]) });
    r.pump();
    expect(r.row(1)).toMatchObject({ drop_bad_gso: 1, nat_rewritten: 1 });
    expect(r.posted.length).toBe(0);
  });

  test('learning is bounded per second across batches', () => {
    const r = rig();
    for (let k = 0; k < 30; k++) {
      for (let i = 0; i < 20; i++) r.eng.inject(3, udp4(C2, OUT, `198.18.${10 + k}.${i}`, '198.18.0.1', 7, 7, []));
      r.pump();
    }
    expect(r.posted.length).toBe(POSTS_PER_SECOND);
    r.setNow(1001);
    r.eng.inject(3, udp4(C2, OUT, '198.18.99.1', '198.18.0.1', 7, 7, []));
    r.pump();
    expect(r.posted.length).toBe(POSTS_PER_SECOND + 1);
  });

  test('with --mac-nat off nothing is rewritten and nothing posted', () => {
    const r = rig();
    r.t.setMacNat(false);
    const f = arpRequest(C1, '198.18.0.5', '198.18.0.1');
    r.eng.inject(1, f);
    r.pump();
    expect(r.eng.sentTo(PARENT).map((x) => x.frame)).toEqual([f]);
    expect(r.posted).toEqual([]);
  });
});
