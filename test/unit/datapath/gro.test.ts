// Building the merged frame (src/datapath/gro.ts): the gather pieces put together are the frame the kernel's GRO
// would have made, with a checksum the child can verify (or NEEDS_CSUM when the segments were verified already);
// each segment gets its run's result; through forwardBatch, counters and capture still see the segments.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GATHER_SKIP, type EngineApi, type TxList } from '../../../src/io/contract.js';
import { GRO_SCRATCH_BYTES, GroStage } from '../../../src/datapath/gro.js';
import { forwardBatch, type BatchState, type CaptureTap } from '../../../src/datapath/forward.js';
import { Rx, type Tx } from '../../../src/datapath/tx-list.js';
import { Verdict } from '../../../src/core/verdict.js';
import { PortTable } from '../../../src/core/port-table.js';
import { makeCounters, readRow } from '../../../src/core/counters.js';
import { Mode, PARENT } from '../../../src/core/constants.js';
import { SinkEngine } from '../../../bench/gc-check.js';
import {
  flow, fold, ipv4HeaderOk, list, segment, tcpChecksumOk, TCP_ACK, TCP_FIN, TCP_PSH,
} from '../helpers/tcp-segments.js';

const stage = (regions: Uint8Array[]): GroStage => new GroStage(8, 4096, regions[2], 2, 0);

/** The frames send() would write: each entry plain, or its pieces concatenated (vnet header split off) */
function written(tx: Tx, regions: readonly Uint8Array[]): { vnet: Uint8Array; frame: Uint8Array; j: number }[] {
  const g = tx.gather!;
  const out: { vnet: Uint8Array; frame: Uint8Array; j: number }[] = [];
  for (let j = 0; j < tx.count; j++) {
    const n = g.count[j];
    if (n === GATHER_SKIP) continue;
    if (n === 0) {
      const b = regions[tx.region[j]];
      out.push({ vnet: b.slice(tx.at[j] - 10, tx.at[j]), frame: b.slice(tx.at[j], tx.at[j] + tx.len[j]), j });
      continue;
    }
    const parts: number[] = [];
    for (let k = g.first[j]; k < g.first[j] + n; k++) parts.push(...regions[g.region[k]].subarray(g.at[k], g.at[k] + g.len[k]));
    const all = Uint8Array.from(parts);
    out.push({ vnet: all.slice(0, 10), frame: all.slice(10), j });
  }
  return out;
}

const u16 = (b: Uint8Array, i: number): number => (b[i] << 8) | b[i + 1];
const le16 = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8);

describe('GRO: the merged frame', () => {
  it('IPv4, nothing verified yet: one GSO frame, lengths, IP checksum, a full TCP checksum over it, the payloads in order', () => {
    const segs = flow(5, 1, { seq: 4294967000 }, 1000);  // the sequence wraps inside the run
    const { tx, regions } = list(segs);
    const g = stage(regions);
    expect(g.plan(tx, regions)).toBe(1);
    const w = written(tx, regions);
    expect(w.length).toBe(1);
    const { vnet, frame } = w[0];
    expect(frame.length).toBe(54 + 5000);
    expect(u16(frame, 16)).toBe(40 + 5000);
    expect(u16(frame, 18)).toBe(0x1000);  // the first one's id
    expect(ipv4HeaderOk(frame)).toBe(true);
    expect(tcpChecksumOk(frame)).toBe(true);
    expect([vnet[0], vnet[1], le16(vnet, 2), le16(vnet, 4)]).toEqual([0, 1, 54, 1000]);
    for (let k = 0; k < 5000; k++) if (frame[54 + k] !== ((4294967000 + k) & 0xff)) throw new Error(`payload byte ${k}`);
    expect(frame.subarray(0, 14)).toEqual(segs[0].frame.subarray(0, 14));
  });

  it('odd segment lengths: the byte-swapped sums still give a right checksum; IPv6 too', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 2, max: 9 }), fc.boolean(), fc.integer({ min: 1, max: 1500 }),
      (mss, n, v6, lastLen) => {
        const last = Math.min(lastLen, mss);
        const segs = [...flow(n - 1, 1, { v6 }, mss), ...flow(1, 1, { v6, seq: 1000 + (n - 1) * mss, id: 0x1000 + n - 1 }, last)];
        const { tx, regions } = list(segs);
        stage(regions).plan(tx, regions);
        const w = written(tx, regions);
        const l4 = v6 ? 54 : 34;
        if (l4 - 14 + 20 + (n - 1) * mss + last > 65535) return;
        expect(w.length).toBe(1);
        expect(tcpChecksumOk(w[0].frame)).toBe(true);
        expect(w[0].frame.length).toBe(l4 + 20 + (n - 1) * mss + last);
        if (v6) expect(u16(w[0].frame, 18)).toBe(20 + (n - 1) * mss + last);
        expect(w[0].vnet[1]).toBe(v6 ? 4 : 1);
      }), { numRuns: 200 });
  });

  it('a damaged segment (payload changed after its checksum): the merged frame fails its checksum, so the child drops it', () => {
    const segs = flow(4, 1);
    segs[2].frame[100] ^= 0x40;
    const { tx, regions } = list(segs);
    stage(regions).plan(tx, regions);
    const w = written(tx, regions);
    expect(w.length).toBe(1);
    expect(tcpChecksumOk(w[0].frame)).toBe(false);
  });

  it('DATA_VALID or NEEDS_CSUM segments: NEEDS_CSUM at the TCP checksum, whose field is the pseudo-header sum', () => {
    for (const v of [1, 2]) {
      const { tx, regions } = list(flow(3, 1, { vnet: v }));
      stage(regions).plan(tx, regions);
      const { vnet, frame } = written(tx, regions)[0];
      expect([vnet[0], le16(vnet, 6), le16(vnet, 8)]).toEqual([1, 34, 16]);
      let s = 6 + (frame.length - 34);
      for (let i = 26; i < 34; i += 2) s += u16(frame, i);
      expect(u16(frame, 50)).toBe(fold(s));
    }
  });

  it('FIN/PSH of the last segment are the merged frame\'s', () => {
    const segs = [...flow(2, 1), { port: 1, ...segment({ seq: 1000 + 2 * 1448, id: 0x1002, flags: TCP_ACK | TCP_PSH | TCP_FIN, pay: 10 }) }];
    const { tx, regions } = list(segs);
    stage(regions).plan(tx, regions);
    expect(written(tx, regions)[0].frame[47]).toBe(TCP_ACK | TCP_PSH | TCP_FIN);
  });

  it('settle: every segment of a run gets its own length, or the run\'s error; a plain entry keeps its own', () => {
    const segs = [...flow(3, 1), { port: 2, ...segment({ sport: 9 }) }];
    const { tx, regions } = list(segs);
    const g = stage(regions);
    g.plan(tx, regions);
    expect(Array.from(tx.gather!.count.subarray(0, 4))).toEqual([4, GATHER_SKIP, GATHER_SKIP, 0]);
    tx.result[0] = 3 * 1448 + 54; tx.result[3] = 99;
    g.settle(tx);
    expect(Array.from(tx.result.subarray(0, 4))).toEqual([1502, 1502, 1502, 99]);
    tx.result[0] = -5;
    g.settle(tx);
    expect(Array.from(tx.result.subarray(0, 3))).toEqual([-5, -5, -5]);
  });

  it('a list of one entry, or GRO with no run: every entry plain (a stale mark from the last send is cleared)', () => {
    const { tx, regions } = list(flow(3, 1));
    const g = stage(regions);
    g.plan(tx, regions);
    tx.count = 1;
    g.plan(tx, regions);
    expect(tx.gather!.count[0]).toBe(0);
    expect(() => new GroStage(8, 16, new Uint8Array(GRO_SCRATCH_BYTES - 1), 2, 0)).toThrow(RangeError);
  });
});

/** An engine that writes like the native one: gather entries as their pieces, skipped ones not at all */
class GatherEngine extends SinkEngine {
  frames: Uint8Array[] = [];
  override send(tx: TxList): number {
    const t = tx as Tx;
    for (const w of written(t, this.regions)) {
      this.frames.push(w.frame);
      t.result[w.j] = w.frame.length;
    }
    return t.count;
  }
}

describe('GRO through forwardBatch', () => {
  it('counters count the segments; the child port\'s capture shows the segments; the TAP gets one frame', () => {
    const table = new PortTable(4);
    table.setParent({ mac: 0x0242c61200f0, mtu: 1500, up: true, carrier: true, promisc: true });
    table.addChild(1, { mac: 0x0242c6120002, mode: Mode.VEPA, flags: 0, mtu: 1500 });
    table.setUp(1, true);
    const segs = flow(6, 1);
    const { tx, regions } = list(segs);
    const rx = new Rx(16);
    for (let j = 0; j < tx.count; j++) { rx.port[j] = PARENT; rx.region[j] = 0; rx.at[j] = tx.at[j]; rx.len[j] = tx.len[j]; }
    rx.count = tx.count;
    tx.count = 0;
    const eng = new GatherEngine(regions);
    const seen: [number, number, number][] = [];
    const capture: CaptureTap = { offer: (port, dir, _b, _at, len) => { seen.push([port, dir, len]); return true; } };
    const counters = makeCounters(5);
    const s: BatchState = { table, verdict: new Verdict(16), tx, counters, regions, capture, gro: stage(regions) };
    forwardBatch(s, rx, eng as unknown as EngineApi, 0);
    expect(eng.frames.length).toBe(1);
    expect(eng.frames[0].length).toBe(54 + 6 * 1448);
    expect(readRow(counters, 1).rx_packets).toBe(6);
    expect(readRow(counters, 1).rx_bytes).toBe(6 * 1502);
    expect(seen.filter(([p]) => p === 1).map(([, , len]) => len)).toEqual(Array(6).fill(1502));
    expect(s.gro!.merged).toBe(1);
    expect(s.gro!.segments).toBe(6);
  });
});

