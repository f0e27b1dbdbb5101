// The datapath loop (forward.ts) against the in-memory engine: what the kernel never lets through AF_PACKET or a
// TAP (runts, truncated frames), a port whose sends fail, the transmit list filling up, and the counters — with
// decide() itself as the oracle for where every frame should have gone.

import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import { MemoryEngine, VNET_LEN } from '../../support/memory-engine.js';
import { countLate, forwardBatch, type BatchState, type CaptureTap } from '../../../src/datapath/forward.js';
import { Dir } from '../../../src/core/direction.js';
import { Rx, Tx } from '../../../src/datapath/tx-list.js';
import { PortTable } from '../../../src/core/port-table.js';
import { Verdict } from '../../../src/core/verdict.js';
import { decide } from '../../../src/core/decide.js';
import { makeCounters, readRow } from '../../../src/core/counters.js';
import { Mode, PARENT, type ModeBit } from '../../../src/core/constants.js';
import { frame, m, BCAST } from '../helpers/frames.js';

const EIO = 5, ENOBUFS = 105;
const P = m('02:cc:00:00:00:01');
const B1 = m('02:aa:00:00:00:b1'), B2 = m('02:aa:00:00:00:b2'), V1 = m('02:aa:00:00:00:c1'), R1 = m('02:aa:00:00:00:d1');
const E = m('02:ee:00:00:00:01');
const MAX = 8;

interface Rig {
  eng: MemoryEngine;
  s: BatchState;
  rx: Rx;
  /** forwards until the engine has nothing left */
  pump(): void;
  row(port: number): Record<string, number>;
}

/** Parent P (up, carrier, promiscuous); children 1 = B1 bridge, 2 = B2 bridge, 3 = V1 vepa, 4 = R1 private; all up. */
function rig(opts: { txCapacity?: number; batch?: number; capture?: CaptureTap } = {}): Rig {
  const t = new PortTable(MAX);
  t.setParent({ mac: P, mtu: 1500, up: true, carrier: true, promisc: true });
  const kids: Array<[number, ModeBit]> = [[B1, Mode.BRIDGE], [B2, Mode.BRIDGE], [V1, Mode.VEPA], [R1, Mode.PRIVATE]];
  for (const [mac, mode] of kids) {
    const i = t.freeSlot();
    t.addChild(i, { mac, mode, flags: 0, mtu: 1500 });
    t.setUp(i, true);
  }
  const eng = new MemoryEngine({ regionBytes: 1 << 20 });
  for (let p = 1; p <= kids.length; p++) eng.attachTap(p, 100 + p);
  const s: BatchState = {
    table: t, verdict: new Verdict(Verdict.capacityFor(MAX)), tx: new Tx(opts.txCapacity ?? 1024),
    counters: makeCounters(MAX + 1), regions: eng.regions, capture: opts.capture ?? null,
  };
  const rx = new Rx(opts.batch ?? 64);
  return {
    eng, s, rx,
    pump() { while (eng.poll(rx, 0) > 0) forwardBatch(s, rx, eng, 0); },
    row: (port) => readRow(s.counters, port),
  };
}

const gsoVnet = (): Uint8Array => Uint8Array.from([1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0]);  // TCPv4 GSO, needs csum

describe('forwardBatch over the in-memory engine', () => {
  test('a unicast from the wire reaches its child byte for byte; the copy is a view of the received frame', () => {
    const r = rig();
    const f = frame({ dst: B2, src: E, len: 300 });
    r.eng.inject(PARENT, f);
    r.pump();
    expect(r.eng.sent.map((x) => x.port)).toEqual([2]);
    expect(r.eng.sent[0].frame).toEqual(f);
    expect(r.eng.sent[0].vnet).toEqual(new Uint8Array(VNET_LEN));
    expect(r.row(2)).toMatchObject({ rx_packets: 1, rx_bytes: 300, rx_multicast: 0, rx_errors: 0 });
    expect(r.s.tx.count).toBe(0);  // flushed
  });

  test('runts from the wire and from a child go nowhere and are counted; the good frames beside them go', () => {
    const r = rig();
    const good1 = frame({ dst: B1, src: E, len: 60 });
    const good2 = frame({ dst: E, src: B1, len: 60 });
    const hdrOnly = frame({ dst: B2, src: E, len: 14 });  // exactly a header: not a runt
    for (const len of [0, 1, 6, 12, 13]) r.eng.inject(PARENT, frame({ dst: B1, src: E, len }));
    r.eng.inject(PARENT, good1);
    for (const len of [0, 13]) r.eng.inject(1, frame({ dst: E, src: B1, len }));
    r.eng.inject(1, good2);
    r.eng.inject(PARENT, hdrOnly);
    r.pump();
    expect(r.eng.sent.map((x) => [x.port, x.frame.length])).toEqual([[1, 60], [0, 60], [2, 14]]);
    expect(r.row(PARENT).drop_runt).toBe(5);
    expect(r.row(1)).toMatchObject({ drop_runt: 2, tx_dropped: 2, tx_packets: 1, tx_bytes: 60, rx_packets: 1 });
  });

  test('truncated frames are counted by the engine and never reach the datapath or a port', () => {
    const r = rig();
    r.eng.inject(PARENT, frame({ dst: B1, src: E, len: 1514 }), { truncated: true });
    r.eng.inject(3, frame({ dst: E, src: V1, len: 1514 }), { truncated: true });
    r.eng.inject(PARENT, frame({ dst: B1, src: E, len: 100 }));
    r.pump();
    expect(r.eng.stats().rxErrors).toBe(2);
    expect(r.eng.sent.map((x) => x.port)).toEqual([1]);
    expect(r.row(1).rx_packets).toBe(1);
    expect(r.row(3).tx_packets + r.row(3).tx_dropped).toBe(0);
  });

  test('a non-GSO frame from a child over its MTU + 18 is dropped as oversize; the same length with GSO passes', () => {
    const r = rig();
    r.eng.inject(1, frame({ dst: B2, src: B1, len: 1518 }));
    r.eng.inject(1, frame({ dst: B2, src: B1, len: 1519 }));
    r.eng.inject(1, frame({ dst: E, src: B1, len: 9000 }));
    r.eng.inject(1, frame({ dst: E, src: B1, len: 9000 }), { vnet: gsoVnet() });
    r.pump();
    expect(r.eng.sent.map((x) => [x.port, x.frame.length])).toEqual([[2, 1518], [0, 9000]]);
    expect(r.eng.sent[1].vnet).toEqual(gsoVnet());  // the offload header travels with the frame
    expect(r.row(1)).toMatchObject({ drop_oversize: 2, tx_dropped: 2, tx_packets: 2 });
  });

  test('a port whose sends fail: its copies are counted as errors, every other copy still goes, and it recovers', () => {
    const r = rig();
    r.eng.failPort(2, EIO);  // B2's TAP is down
    const bc = frame({ dst: BCAST, src: E, len: 100 });
    r.eng.inject(PARENT, bc);                                  // flood: B1, B2, V1, R1
    r.eng.inject(PARENT, frame({ dst: B2, src: E, len: 80 }));  // unicast to the failing port
    r.eng.inject(1, frame({ dst: B2, src: B1, len: 70 }));      // bridge-local to the failing port
    r.pump();
    expect(r.eng.sent.map((x) => x.port)).toEqual([1, 3, 4]);
    expect(r.row(2)).toMatchObject({ rx_packets: 0, rx_bytes: 0, rx_multicast: 0, rx_errors: 3, rx_dropped: 3 });
    expect(r.row(1)).toMatchObject({ rx_packets: 1, rx_multicast: 1, tx_packets: 1 });  // the sender is not charged
    // the wire fails: the sending child is charged (tx_dropped), as macvlan_start_xmit does
    r.eng.failPort(PARENT, ENOBUFS);
    r.eng.inject(3, frame({ dst: E, src: V1, len: 90 }));
    r.pump();
    expect(r.row(3)).toMatchObject({ tx_packets: 0, tx_bytes: 0, tx_dropped: 1 });
    // both recover
    r.eng.failPort(2, 0); r.eng.failPort(PARENT, 0);
    r.eng.inject(PARENT, frame({ dst: B2, src: E, len: 80 }));
    r.eng.inject(3, frame({ dst: E, src: V1, len: 90 }));
    r.pump();
    expect(r.eng.sent.slice(-2).map((x) => x.port)).toEqual([2, 0]);
    expect(r.row(2).rx_packets).toBe(1);
    expect(r.row(3)).toMatchObject({ tx_packets: 1, tx_dropped: 1 });
  });

  test('a send to the wire that fails after send() returned (the sender thread) is charged to its child at the next poll', () => {
    const r = rig();
    r.eng.inject(3, frame({ dst: E, src: V1, len: 90 }));
    r.eng.inject(1, frame({ dst: E, src: B1, len: 70 }));
    r.pump();
    expect(r.row(3)).toMatchObject({ tx_packets: 1, tx_bytes: 90, tx_dropped: 0 });
    // what the engine's poll() writes when the thread's sends of V1's frame failed (ENOBUFS)
    const late = r.s.tx.late;
    late.sender[0] = 3; late.len[0] = 90; late.err[0] = -ENOBUFS; late.count[0] = 1;
    countLate(r.s);
    expect(r.row(3)).toMatchObject({ tx_packets: 0, tx_bytes: 0, tx_dropped: 1 });
    expect(r.row(1)).toMatchObject({ tx_packets: 1, tx_bytes: 70, tx_dropped: 0 });
    expect(late.count[0]).toBe(0);  // taken: a second call counts nothing again
    countLate(r.s);
    expect(r.row(3)).toMatchObject({ tx_packets: 0, tx_dropped: 1 });
  });

  test('a transmit list smaller than a batch\'s copies is flushed early: nothing lost, order kept', () => {
    const r = rig({ txCapacity: 5 });
    for (let k = 0; k < 4; k++) r.eng.inject(PARENT, frame({ dst: BCAST, src: E, len: 60 + k }));  // 4 copies each
    r.pump();
    expect(r.eng.sent.map((x) => [x.port, x.frame.length])).toEqual(
      [60, 61, 62, 63].flatMap((len) => [1, 2, 3, 4].map((p) => [p, len])));
  });

  test('capture sees every frame inbound (runts too) and only the copies that were sent outbound', () => {
    const seen: Array<[number, number, number]> = [];
    const capture: CaptureTap = { offer: (port, dir, _b, _at, len) => { seen.push([port, dir, len]); return true; } };
    const r = rig({ capture });
    r.eng.failPort(3, EIO);
    r.eng.inject(PARENT, frame({ dst: B1, src: E, len: 10 }));
    r.eng.inject(1, frame({ dst: BCAST, src: B1, len: 64 }));  // X1: B2 locally, then the wire; V1 and R1 not
    r.eng.inject(PARENT, frame({ dst: V1, src: E, len: 66 }));  // fails
    r.pump();
    expect(seen).toEqual([
      [PARENT, Dir.IN, 10], [1, Dir.IN, 64], [PARENT, Dir.IN, 66],
      [2, Dir.OUT, 64], [PARENT, Dir.OUT, 64],
    ]);
  });

  test('property: every copy decide() keeps is sent once, in order, and the counters add up', () => {
    const ports = [PARENT, 1, 2, 3, 4];
    const macs = [P, B1, B2, V1, R1, E, BCAST, m('01:00:5e:00:00:01'), 0];
    const arbFrame = fc.record({
      from: fc.constantFrom(...ports),
      dst: fc.constantFrom(...macs),
      src: fc.constantFrom(...macs),
      len: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 60, max: 1530 }), fc.constant(4000)),
      gso: fc.boolean(),
    });
    fc.assert(fc.property(
      fc.array(arbFrame, { maxLength: 120 }),
      fc.subarray(ports),
      fc.integer({ min: 4, max: 64 }),
      (frames, failing, batch) => {
        const r = rig({ batch, txCapacity: 16 });
        for (const p of failing) r.eng.failPort(p, EIO);
        const v = new Verdict(Verdict.capacityFor(MAX));
        const want: Array<[number, number]> = [];  // (port, index of the frame) for each copy that should be sent
        const bytes: Uint8Array[] = [];
        frames.forEach((f, idx) => {
          const b = frame({ dst: f.dst, src: f.src, len: f.len });
          if (b.length > 14) b[b.length - 1] = idx & 0xff;  // tells the frames apart
          bytes.push(b);
          r.eng.inject(f.from, b, f.gso ? { vnet: gsoVnet() } : {});
          // a GSO header that claims more headers than a short frame has is refused before the decision
          const bad = f.gso && f.from !== PARENT && b.length >= 14 && b.length < gsoVnet()[2];
          const n = bad ? 0 : decide(r.s.table, f.from, b, 0, b.length, f.gso && b.length >= 14, v);
          for (let k = 0; k < n; k++) if (v.drop[k] === 0 && !failing.includes(v.port[k])) want.push([v.port[k], idx]);
        });
        r.pump();
        // copies come out per batch in frame order; within a frame in verdict order
        expect(r.eng.sent.map((x) => x.port)).toEqual(want.map(([p]) => p));
        r.eng.sent.forEach((x, j) => expect(x.frame).toEqual(bytes[want[j][1]]));
        for (const p of [1, 2, 3, 4]) {
          const c = r.row(p);
          const to = r.eng.sentTo(p);
          expect(c.rx_packets).toBe(to.length);
          expect(c.rx_bytes).toBe(to.reduce((a, x) => a + x.frame.length, 0));
          // each frame a child sent is counted once, as sent or as dropped before the wire
          expect(c.tx_packets + c.tx_dropped).toBe(frames.filter((f) => f.from === p).length);
        }
      },
    ), { numRuns: 200 });
  });
});
