// The GRO rule (src/core/gro.ts): which segments of a transmit list may go to their TAP as one frame. The kernel's
// conditions one by one, hostile frames, and random lists checked against an independent reading of the frames.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GRO_MAX_SEGS, GroRuns } from '../../../src/core/gro.js';
import { Egress } from '../../../src/core/constants.js';
import {
  flow, list, segment, TCP_ACK, TCP_CWR, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Entry, type SegSpec,
} from '../helpers/tcp-segments.js';

/** The runs as lists of entry indices */
function runsOf(entries: readonly Entry[], ports = 8): number[][] {
  const { tx, regions } = list(entries);
  const g = new GroRuns(ports, 64, tx.capacity);
  const n = g.find(tx, regions);
  const out: number[][] = [];
  for (let r = 0; r < n; r++) {
    const run: number[] = [];
    for (let j = g.head[r]; j >= 0; j = g.next[j]) run.push(j);
    expect(run[run.length - 1]).toBe(g.last[r]);
    expect(run.length).toBe(g.segs[r]);
    out.push(run);
  }
  return out;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);

/** Two segments of a flow, the second one changed by `o` (and its seq/id still following unless `o` says) */
function pair(o: SegSpec, first: SegSpec = {}): Entry[] {
  const a = segment({ seq: 1000, id: 7, ...first });
  const b = segment({ seq: 1000 + (first.pay ?? 1448), id: 8, ...first, ...o });
  return [{ port: 1, ...a }, { port: 1, ...b }];
}

describe('GRO rule: the kernel conditions', () => {
  it('consecutive segments of one flow to one child make one run, IPv4 and IPv6', () => {
    expect(runsOf(flow(10, 1))).toEqual([range(0, 10)]);
    expect(runsOf(flow(10, 1, { v6: true }))).toEqual([range(0, 10)]);
  });

  it('the whole IP packet stays within 65535 bytes; GRO_MAX_SEGS segments at most', () => {
    // 20 + 20 + 45 * 1448 = 65200: 45 fit, the 46th starts a new run
    expect(runsOf(flow(50, 1))).toEqual([range(0, 45), range(45, 50)]);
    expect(runsOf(flow(GRO_MAX_SEGS + 6, 1, { pay: 100 }))).toEqual([range(0, GRO_MAX_SEGS), range(GRO_MAX_SEGS, GRO_MAX_SEGS + 6)]);
  });

  it('only the last may be shorter; a longer one than the first is not taken', () => {
    const short = [...flow(3, 1), ...flow(1, 1, { seq: 1000 + 3 * 1448, id: 0x1003 }, 500), ...flow(2, 1, { seq: 1000 + 3 * 1448 + 500, id: 0x1004 })];
    expect(runsOf(short)).toEqual([[0, 1, 2, 3], [4, 5]]);
    expect(runsOf(pair({ pay: 1449 }))).toEqual([]);
  });

  it('PSH or FIN ends a run after it; a head with them, SYN, RST, URG or CWR starts none; those never join', () => {
    expect(runsOf([...pair({ flags: TCP_ACK | TCP_PSH }), ...flow(2, 1, { seq: 1000 + 2 * 1448 })])).toEqual([[0, 1], [2, 3]]);
    expect(runsOf(pair({ flags: TCP_ACK | TCP_FIN }))).toEqual([[0, 1]]);
    for (const f of [TCP_PSH, TCP_FIN, TCP_SYN, TCP_RST, TCP_URG, TCP_CWR]) {
      expect(runsOf(pair({}, { flags: TCP_ACK | f })), `head ${f}`).toEqual([]);
      if (f !== TCP_PSH && f !== TCP_FIN) expect(runsOf(pair({ flags: TCP_ACK | f })), `member ${f}`).toEqual([]);
    }
  });

  it('any header difference but IP id/length/checksum, TCP seq/checksum, PSH/FIN splits', () => {
    const differs: SegSpec[] = [
      { ttl: 63 }, { tos: 4 }, { df: false }, { ack: 78 }, { win: 513 }, { opts: [1, 1, 1, 1] }, { sport: 1 }, { dport: 1 },
      { src: 0xc6120003 }, { dst: 0xc6120004 }, { dstMac: 0x0242c6120009 }, { seq: 1000 + 1448 + 1 }, { seq: 1000 },
      { vnet: 2 }, { vnet: 1 },
    ];
    for (const d of differs) expect(runsOf(pair(d)), JSON.stringify(d)).toEqual([]);
    for (const d of [{ ttl: 1 }, { tos: 8 }, { src: 0xabcd }, { win: 1 }]) {
      expect(runsOf(pair({ ...d, v6: true }, { v6: true })), `v6 ${JSON.stringify(d)}`).toEqual([]);
    }
    expect(runsOf(pair({ v6: true }))).toEqual([]);
    expect(runsOf(pair({}, { opts: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] }))).toEqual([[0, 1]]);
  });

  it('IPv4 ids: incrementing, or fixed with DF; nothing else', () => {
    expect(runsOf(flow(4, 1, { id: 0xfffe }))).toEqual([range(0, 4)]);  // wraps
    const fixed = (df: boolean): Entry[] => [0, 1, 2].map((k) => ({ port: 1, ...segment({ seq: 1000 + k * 1448, id: 9, df }) }));
    expect(runsOf(fixed(true))).toEqual([[0, 1, 2]]);
    expect(runsOf(fixed(false))).toEqual([]);
    expect(runsOf(pair({ id: 20 }))).toEqual([]);
    // decided by the second: incrementing, then a fixed one breaks it
    const mixed = [...flow(2, 1, { id: 9 }), { port: 1, ...segment({ seq: 1000 + 2 * 1448, id: 10 }) }];
    expect(runsOf(mixed)).toEqual([[0, 1]]);
  });

  it('the virtio-net state is shared: DATA_VALID and NEEDS_CSUM runs; GSO or an odd NEEDS_CSUM never', () => {
    expect(runsOf(flow(3, 1, { vnet: 2 }))).toEqual([[0, 1, 2]]);
    expect(runsOf(flow(3, 1, { vnet: 1 }))).toEqual([[0, 1, 2]]);
    const gso = flow(3, 1);
    gso[1].vnet[1] = 1;
    expect(runsOf(gso)).toEqual([]);
    const odd = flow(2, 1, { vnet: 1 });
    odd[1].vnet[8] = 17;
    expect(runsOf(odd)).toEqual([]);
    const extra = flow(2, 1);
    extra[1].vnet[0] = 4;
    expect(runsOf(extra)).toEqual([]);
  });

  it('per child port: interleaved ports keep their runs; another frame for the port ends its run', () => {
    const a = flow(3, 1), b = flow(3, 2, { sport: 7 });
    expect(runsOf([a[0], b[0], a[1], b[1], a[2], b[2]])).toEqual([[0, 2, 4], [1, 3, 5]]);
    const other = { port: 1, ...segment({ sport: 9 }) };
    expect(runsOf([a[0], a[1], other, a[2]])).toEqual([[0, 1]]);
  });

  it('only frames from the parent to a child; pure ACKs, other kinds, out-of-range ports never', () => {
    const fromChild = flow(3, 1).map((e) => ({ ...e, sender: 2 }));
    expect(runsOf(fromChild)).toEqual([]);
    expect(runsOf(flow(3, 0))).toEqual([]);
    expect(runsOf(flow(3, 9), 8)).toEqual([]);
    expect(runsOf(flow(3, 1, {}, 0))).toEqual([]);
    const kinds = flow(2, 1);
    kinds[1].kind = Egress.FLOOD;
    expect(runsOf(kinds)).toEqual([]);
  });
});

describe('GRO rule: hostile frames are never merged and never throw', () => {
  /** A frame changed after it was built (checksums not fixed unless the change says so) */
  const broken = (f: (fr: Uint8Array) => Uint8Array): Entry[] => flow(3, 1).map((e, k) => (k === 1 ? { ...e, frame: f(e.frame.slice()) } : e));
  const cases: [string, (fr: Uint8Array) => Uint8Array][] = [
    ['IPv4 options (ihl 6)', (fr) => { fr[14] = 0x46; return fr; }],
    ['a fragment (MF)', (fr) => { fr[20] |= 0x20; return fr; }],
    ['a fragment offset', (fr) => { fr[21] = 1; return fr; }],
    ['a bad IPv4 header checksum', (fr) => { fr[24] ^= 1; return fr; }],
    ['a total length shorter than the frame (padding)', (fr) => { fr[17] -= 2; return fr; }],
    ['a total length longer than the frame', (fr) => { fr[17] += 2; return fr; }],
    ['truncated in the TCP header', (fr) => fr.subarray(0, 40)],
    ['truncated in the IP header', (fr) => fr.subarray(0, 20)],
    ['a data offset below 5', (fr) => { fr[46] = 0x40; return fr; }],
    ['a data offset past the frame', (fr) => { fr[46] = 0xf0; return fr.subarray(0, 60); }],
    ['UDP', (fr) => { fr[23] = 17; return fr; }],
    ['IP version 6 in an IPv4 EtherType', (fr) => { fr[14] = 0x65; return fr; }],
    ['an 802.1Q tag', (fr) => { fr[12] = 0x81; return fr; }],
  ];
  for (const [name, f] of cases) {
    it(name, () => {
      const runs = runsOf(broken(f));
      for (const r of runs) expect(r).not.toContain(1);
      expect(runs.flat().length).toBeLessThanOrEqual(0);
    });
  }

  it('random bytes, random lengths and offsets: no throw, and a run only of frames that parse', () => {
    fc.assert(fc.property(fc.array(fc.record({
      bytes: fc.uint8Array({ minLength: 0, maxLength: 120 }), port: fc.integer({ min: -2, max: 10 }), cut: fc.nat(200),
    }), { maxLength: 12 }), (rows) => {
      const entries = rows.map((r) => ({ port: r.port, vnet: new Uint8Array(10), frame: r.bytes }));
      const { tx, regions } = list(entries);
      for (let j = 0; j < tx.count; j++) tx.len[j] += rows[j].cut % 3 === 0 ? rows[j].cut : 0;  // some lie
      const g = new GroRuns(8, 64, tx.capacity);
      g.find(tx, regions);
      return g.runs === 0;
    }), { numRuns: 300 });
  });
});

describe('GRO rule: random valid traffic against an independent reading', () => {
  it('every run is one flow, one port, contiguous, mss-bounded, last-only short/PSH, within 65535', () => {
    const seg = fc.record({ flow: fc.nat(2), port: fc.integer({ min: 1, max: 2 }), pay: fc.oneof(fc.constant(1000), fc.integer({ min: 0, max: 1200 })),
      flags: fc.constantFrom(TCP_ACK, TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN, TCP_SYN), skip: fc.boolean() });
    fc.assert(fc.property(fc.array(seg, { maxLength: 40 }), (rows) => {
      const seqs = [5000, 9000000, 4294967000];
      const ids = [1, 100, 65535];
      const entries: Entry[] = rows.map((r) => {
        const s = segment({ sport: 100 + r.flow, seq: seqs[r.flow] + (r.skip && r.pay > 900 ? 1 : 0), pay: r.pay, flags: r.flags, id: ids[r.flow] });
        seqs[r.flow] = (seqs[r.flow] + r.pay) >>> 0; ids[r.flow] = (ids[r.flow] + 1) & 0xffff;
        return { port: r.port, ...s };
      });
      for (const run of runsOf(entries)) {
        const f = run.map((j) => entries[j].frame);
        const dv = (fr: Uint8Array): DataView => new DataView(fr.buffer, fr.byteOffset, fr.byteLength);
        const mss = f[0].length - 54;
        let total = 0;
        for (let k = 0; k < f.length; k++) {
          const d = dv(f[k]);
          const pay = f[k].length - 54;
          expect(entries[run[k]].port).toBe(entries[run[0]].port);
          expect(d.getUint16(34)).toBe(dv(f[0]).getUint16(34));
          expect(pay).toBeGreaterThan(0);
          expect(pay).toBeLessThanOrEqual(mss);
          if (k < f.length - 1) { expect(pay).toBe(mss); expect(d.getUint8(47) & (TCP_PSH | TCP_FIN)).toBe(0); }
          expect(d.getUint8(47) & (TCP_SYN | TCP_RST | TCP_URG | TCP_CWR)).toBe(0);
          if (k > 0) expect(d.getUint32(38)).toBe((dv(f[k - 1]).getUint32(38) + f[k - 1].length - 54) >>> 0);
          // nothing of the port's own in between
          if (k > 0) for (let j = run[k - 1] + 1; j < run[k]; j++) expect(entries[j].port).not.toBe(entries[run[0]].port);
          total += pay;
        }
        expect(40 + total).toBeLessThanOrEqual(65535);
      }
    }), { numRuns: 300 });
  });
});
