// The broadcast queue in the datapath (forwarding.md §3.4) and the check of a child's virtio-net header
// (forwarding.md §6, bad_gso), over the in-memory engine: the frame is queued once, not its copies; the bound;
// the budget per batch that lets unicast through; the table read at drain time; what a full queue counts.

import { describe, test, expect } from 'vitest';
import { MemoryEngine } from '../../support/memory-engine.js';
import { forwardBatch, type BatchState } from '../../../src/datapath/forward.js';
import { FloodQueue, FLOOD_COPY_BUDGET, FLOOD_QUEUE_MAX } from '../../../src/datapath/flood-queue.js';
import { Rx, Tx } from '../../../src/datapath/tx-list.js';
import { PortTable } from '../../../src/core/port-table.js';
import { Verdict } from '../../../src/core/verdict.js';
import { makeCounters, readRow } from '../../../src/core/counters.js';
import { Mode, PARENT } from '../../../src/core/constants.js';
import { frame, m, BCAST } from '../helpers/frames.js';

const P = m('02:cc:00:00:00:01');
const E = m('02:ee:00:00:00:01');
const kidMac = (i: number): number => m('02:aa:00:00:00:00') + i;
const SCRATCH = 2;

/** Parent (promiscuous, MTU 1500) with `kids` bridge children, all up, each asking `bcQueueLen` */
function rig(kids: number, bcQueueLen: number, batch = 64) {
  const t = new PortTable(kids);
  t.setParent({ mac: P, mtu: 1500, up: true, carrier: true, promisc: true });
  for (let i = 1; i <= kids; i++) {
    t.addChild(i, { mac: kidMac(i), mode: Mode.BRIDGE, flags: 0, mtu: 1500, bcQueueLen });
    t.setUp(i, true);
  }
  const eng = new MemoryEngine({ regionBytes: 4 << 20 });
  for (let p = 1; p <= kids; p++) eng.attachTap(p, 100 + p);
  const v = new Verdict(Verdict.capacityFor(kids));
  v.defer = true;
  const q = new FloodQueue(eng.regions[SCRATCH], SCRATCH);
  const s: BatchState = {
    table: t, verdict: v, tx: new Tx(4096), counters: makeCounters(kids + 1), regions: eng.regions, capture: null, flood: q,
  };
  const rx = new Rx(batch);
  return {
    t, eng, q, s,
    /** one poll and one batch, as the worker runs them */
    step() { eng.poll(rx, 0); forwardBatch(s, rx, eng, 0); },
    pump() { while (eng.pending > 0 || q.count > 0) { eng.poll(rx, 0); forwardBatch(s, rx, eng, 0); } },
    row: (port: number) => readRow(s.counters, port),
  };
}

const bcast = (n: number): Uint8Array => {
  const f = frame({ dst: BCAST, src: E, len: 100 });
  f[99] = n & 0xff;
  return f;
};

describe('the flood queue', () => {
  test('at most bc_queue_len_used frames wait; the rest count queue_full and the parent\'s rx_dropped; each waiting one is flooded once', () => {
    const r = rig(4, 3);
    for (let i = 0; i < 10; i++) r.eng.inject(PARENT, bcast(i));
    r.step();
    // one batch: three frames taken, seven refused; the three were drained after the batch (budget allows)
    expect(r.row(PARENT)).toMatchObject({ drop_queue_full: 7, rx_dropped: 7 });
    r.pump();
    for (let k = 1; k <= 4; k++) {
      expect(r.eng.sentTo(k).map((x) => x.frame[99])).toEqual([0, 1, 2]);
      expect(r.row(k)).toMatchObject({ rx_packets: 3, rx_multicast: 3, rx_bytes: 300 });
    }
    expect(r.eng.sent.every((x) => x.vnet.every((b) => b === 0))).toBe(true);  // the header travelled with the frame
    expect(r.q.count).toBe(0);
  });

  test('the frame is held, not its copies: 64 children and the default limit take 1000 broadcasts, whatever the copies', () => {
    const r = rig(64, 1000, 1200);
    for (let i = 0; i < 1200; i++) r.eng.inject(PARENT, bcast(i));
    r.step();
    expect(r.row(PARENT)).toMatchObject({ drop_queue_full: 200, rx_dropped: 200 });
    r.pump();
    expect(r.eng.sentTo(64).length).toBe(1000);
    expect(r.eng.sent.length).toBe(64 * 1000);
  });

  test('a batch drains at most FLOOD_COPY_BUDGET copies: unicast behind a storm goes in the next batch, before the storm ends', () => {
    const r = rig(64, 1000, 200);
    for (let i = 0; i < 200; i++) r.eng.inject(PARENT, bcast(i));
    r.step();
    const perBatch = Math.ceil(FLOOD_COPY_BUDGET / 64);
    expect(r.eng.sent.length).toBe(perBatch * 64);
    expect(r.q.count).toBe(200 - perBatch);
    r.eng.inject(PARENT, frame({ dst: kidMac(7), src: E, len: 80 }));
    r.step();
    const uni = r.eng.sent.findIndex((x) => x.frame.length === 80);
    expect(uni).toBe(perBatch * 64);  // sent before any flood copy of this batch
    expect(r.q.count).toBe(200 - 2 * perBatch);
    r.pump();
    expect(r.eng.sentTo(7).length).toBe(201);
  });

  test('receivers are those the table names when the frame is drained: a child gone down meanwhile gets nothing', () => {
    const r = rig(3, 1000, 1);
    r.eng.inject(PARENT, bcast(1));
    r.s.table.setUp(2, false);
    // decide() queued the frame with 3 children up; by the drain (same batch here) child 2 is down
    r.step();
    expect(r.eng.sent.map((x) => x.port)).toEqual([1, 3]);
  });

  test('the queue\'s own bounds: FLOOD_QUEUE_MAX frames whatever the limit, and its bytes', () => {
    const q = new FloodQueue(new Uint8Array(4096), SCRATCH);
    const f = new Uint8Array(2000);
    expect(q.offer(FLOOD_QUEUE_MAX * 2, f, 10, 1500, -1, 1, 0)).toBe(true);
    expect(q.offer(FLOOD_QUEUE_MAX * 2, f, 10, 1500, -1, 1, 0)).toBe(true);
    expect(q.offer(FLOOD_QUEUE_MAX * 2, f, 10, 1500, -1, 1, 0)).toBe(false);  // 3 × 1520 > 4096
    q.shift(1);
    expect(q.offer(FLOOD_QUEUE_MAX * 2, f, 10, 1500, -1, 1, 0)).toBe(true);  // wrapped to the start
    expect(q.at[q.index(1)]).toBe(10);
    q.shift(2);
    const small = new FloodQueue(new Uint8Array(FLOOD_QUEUE_MAX * 80), SCRATCH);
    let taken = 0;
    for (let i = 0; i < FLOOD_QUEUE_MAX + 5; i++) if (small.offer(1 << 30, f, 10, 60, -1, 1, 0)) taken++;
    expect(taken).toBe(FLOOD_QUEUE_MAX);
  });

  test('a limit of 0 admits nothing (Q1 with every child bcqueuelen 0), as decide() says', () => {
    const r = rig(2, 0);
    r.eng.inject(PARENT, bcast(1));
    r.pump();
    expect(r.eng.sent.length).toBe(0);
    expect(r.row(PARENT)).toMatchObject({ drop_queue_full: 1, rx_dropped: 1 });
  });
});

/** virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (little-endian) */
function vnet(h: { flags?: number; type?: number; hdrLen?: number; size?: number; start?: number; off?: number }): Uint8Array {
  const b = new Uint8Array(10);
  const dv = new DataView(b.buffer);
  b[0] = h.flags ?? 0; b[1] = h.type ?? 0;
  dv.setUint16(2, h.hdrLen ?? 0, true); dv.setUint16(4, h.size ?? 0, true);
  dv.setUint16(6, h.start ?? 0, true); dv.setUint16(8, h.off ?? 0, true);
  return b;
}

describe('a child\'s virtio-net header (bad_gso)', () => {
  const TCP4 = { flags: 1, type: 1, hdrLen: 66, size: 1448, start: 34, off: 16 };
  const cases: Array<[string, Parameters<typeof vnet>[0], number, boolean]> = [
    ['TCPv4 GSO, MSS for a 1500 parent', TCP4, 9000, true],
    ['UDP_L4 GSO with ECN, segments of exactly 1500', { flags: 1, type: 0x85, hdrLen: 42, size: 1472, start: 34, off: 6 }, 9000, true],
    ['no offload at all', {}, 1000, true],
    ['checksum only, within the frame', { flags: 1, start: 34, off: 16 }, 60, true],
    ['hdr_len beyond the frame', { ...TCP4, hdrLen: 9001 }, 9000, false],
    ['csum_start + csum_offset + 2 beyond the frame', { flags: 1, start: 50, off: 9 }, 60, false],
    ['csum_start inside the Ethernet header', { flags: 1, start: 4, off: 16 }, 60, false],
    ['gso_size 0', { ...TCP4, size: 0 }, 9000, false],
    ['segments over the parent\'s MTU (a child MTU raised to 9000 inside)', { ...TCP4, size: 8948 }, 9000, false],
    ['an unknown GSO type', { ...TCP4, type: 2 }, 9000, false],
    ['a GSO frame over 64 KiB + 18', TCP4, 65536 + 19, false],
  ];
  for (const [what, h, len, ok] of cases) {
    test(`${ok ? 'forwarded' : 'dropped, bad_gso, sender tx_dropped'}: ${what}`, () => {
      const r = rig(2, 1000);
      r.eng.inject(1, frame({ dst: E, src: kidMac(1), len }), { vnet: vnet(h) });
      r.pump();
      expect(r.eng.sent.length).toBe(ok ? 1 : 0);
      expect(r.row(1)).toMatchObject(ok ? { tx_packets: 1, tx_dropped: 0, drop_bad_gso: 0 }
        : { tx_packets: 0, tx_dropped: 1, drop_bad_gso: 1 });
    });
  }

  test('frames from the wire are the kernel\'s: not checked', () => {
    const r = rig(2, 1000);
    r.eng.inject(PARENT, frame({ dst: kidMac(1), src: E, len: 100 }), { vnet: vnet({ ...TCP4, hdrLen: 9001 }) });
    r.pump();
    expect(r.eng.sentTo(1).length).toBe(1);
  });
});
