// The capture ring: records in order across the wrap, a full ring counts drops per port, snaplen truncation
// keeps the original length, the filter runs before the copy, ports can be selected, and a worker thread on the
// other side of the SharedArrayBuffer sees the same ring.
import { describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { CaptureRing, ringLayout, type CaptureSink } from '../../../src/capture/ring.js';
import { Dir } from '../../../src/core/direction.js';
import { Op } from '../../../src/capture/bpf.js';
import { transpileTree } from '../../support/transpile.js';

interface Rec { port: number; dir: number; data: number[]; capLen: number; origLen: number; tsNs: number }

/** A sink that keeps copies; `room` limits how many it accepts in one drain. */
function collect(room = Infinity): CaptureSink & { out: Rec[] } {
  const out: Rec[] = [];
  let left = room;
  return {
    out,
    record(port, dir, bytes, at, capLen, origLen, sec, nsec) {
      if (left-- <= 0) return false;
      out.push({ port, dir, data: Array.from(bytes.subarray(at, at + capLen)), capLen, origLen, tsNs: sec * 1e9 + nsec });
      return true;
    },
  };
}

const frame = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed * 7 + i) & 0xff);
const TS = 1_700_000_000_123_456_789;

describe('capture ring', () => {
  test('a record keeps port, direction, bytes, lengths and timestamp; frames are read from (buf, at, len)', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 1000, maxPorts: 4 });
    r.setPorts(null);
    const buf = frame(300, 1);
    expect(r.offer(3, Dir.OUT, buf, 100, 150, TS)).toBe(true);
    const s = collect();
    expect(r.drain(s)).toBe(1);
    expect(s.out).toEqual([{ port: 3, dir: Dir.OUT, data: Array.from(buf.subarray(100, 250)), capLen: 150, origLen: 150, tsNs: TS }]);
    expect(r.pendingBytes()).toBe(0);
    expect(r.drain(s)).toBe(0);
  });

  test('snaplen truncates the copy and keeps the original length', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 64, maxPorts: 2 });
    r.setPorts(null);
    const buf = frame(1500, 2);
    r.offer(1, Dir.IN, buf, 0, 1500, TS);
    r.offer(1, Dir.IN, buf, 0, 60, TS);
    const s = collect();
    r.drain(s);
    expect(s.out.map((x) => [x.capLen, x.origLen, x.data.length])).toEqual([[64, 1500, 64], [60, 60, 60]]);
    expect(s.out[0].data).toEqual(Array.from(buf.subarray(0, 64)));
  });

  test('full → false and a drop counted for that port only; space comes back after a drain', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 1000, maxPorts: 3 });
    r.setPorts(null);
    const buf = frame(1000, 3);
    // each record: 24 + 1000 → 1024 bytes: four fill the ring exactly
    for (let i = 0; i < 4; i++) expect(r.offer(1, Dir.IN, buf, 0, 1000, TS + i)).toBe(true);
    expect(r.offer(2, Dir.OUT, buf, 0, 1000, TS)).toBe(false);
    expect(r.offer(2, Dir.OUT, buf, 0, 1000, TS)).toBe(false);
    expect(r.offer(1, Dir.IN, buf, 0, 1, TS)).toBe(false);
    r.refresh();
    expect(r.counters(1)).toEqual({ seen: 5, accepted: 5, dropped: 1 });
    expect(r.counters(2)).toEqual({ seen: 2, accepted: 2, dropped: 2 });
    expect(r.counters(0)).toEqual({ seen: 0, accepted: 0, dropped: 0 });
    const s = collect(1);
    expect(r.drain(s)).toBe(1);
    expect(r.offer(2, Dir.OUT, buf, 0, 1000, TS)).toBe(true);
    const all = collect();
    expect(r.drain(all)).toBe(4);
    expect(all.out.map((x) => [x.port, x.tsNs])).toEqual([[1, TS + 1], [1, TS + 2], [1, TS + 3], [2, TS]]);
  });

  test('a record that does not fit before the end goes to the start; order is kept across the wrap', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 2000, maxPorts: 2 });
    r.setPorts(null);
    const s = collect();
    r.offer(0, Dir.IN, frame(1500, 0), 0, 1500, 1);   // 1528 bytes at 0
    r.offer(0, Dir.IN, frame(1500, 1), 0, 1500, 2);   // 1528 at 1528
    r.drain(s);                                       // tail = head = 3056
    expect(r.offer(0, Dir.IN, frame(1500, 2), 0, 1500, 3)).toBe(true); // 1040 left before the end: wraps to 0
    expect(r.offer(0, Dir.IN, frame(1000, 3), 0, 1000, 4)).toBe(true); // 1528 .. 2552
    expect(r.offer(0, Dir.IN, frame(2000, 4), 0, 2000, 5)).toBe(false); // 3056 - 2552 = 504 free before the tail
    r.drain(s);
    expect(s.out.map((x) => x.tsNs)).toEqual([1, 2, 3, 4]);
    expect(s.out[2].data).toEqual(Array.from(frame(1500, 2)));
    expect(s.out[3].data).toEqual(Array.from(frame(1000, 3)));
  });

  test('a record that would reach the tail after the wrap is refused, not written over unread records', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 1000, maxPorts: 1 });
    r.setPorts(null);
    const b = new Uint8Array(1000).fill(0x41);
    for (const [len, ts] of [[276, 1], [976, 2], [976, 3], [976, 4], [376, 5]]) r.offer(0, Dir.IN, b, 0, len, ts); // 300 + 3 × 1000 + 400
    r.drain(collect(1));                                  // tail at 300, head at 3700: 396 bytes before the end
    expect(r.offer(0, Dir.IN, b, 0, 500, 6)).toBe(false); // 528 bytes: not before the end, not before the tail
    expect(r.offer(0, Dir.IN, b, 0, 276, 7)).toBe(true);  // 300 bytes: fits at 0 exactly up to the tail
    const s = collect();
    r.drain(s);
    expect(s.out.map((x) => x.tsNs)).toEqual([2, 3, 4, 5, 7]);
  });

  test('property: any interleaving of offers and partial drains yields exactly the accepted frames, in order', () => {
    fc.assert(fc.property(
      // offers outnumber drains so the ring runs full and wraps with the tail anywhere
      fc.array(fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('offer' as const), len: fc.integer({ min: 0, max: 700 }), port: fc.integer({ min: 0, max: 3 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), max: fc.integer({ min: 0, max: 3 }) }) },
      ), { minLength: 50, maxLength: 400 }),
      (ops) => {
        const r = CaptureRing.create({ bytes: 4096, snaplen: 500, maxPorts: 4 });
        r.setPorts(null);
        const expected: Rec[] = [];
        const got = collect();
        const drops = [0, 0, 0, 0];
        let ts = 0;
        for (const op of ops) {
          if (op.kind === 'drain') { r.drain(got, op.max); continue; }
          const buf = frame(op.len + 5, ts);
          const cap = Math.min(op.len, 500);
          ts++;
          if (r.offer(op.port, Dir.IN, buf, 5, op.len, ts)) {
            expected.push({ port: op.port, dir: Dir.IN, data: Array.from(buf.subarray(5, 5 + cap)), capLen: cap, origLen: op.len, tsNs: ts });
          } else drops[op.port]++;
        }
        r.drain(got);
        expect(got.out).toEqual(expected);
        r.refresh();
        for (let p = 0; p < 4; p++) expect(r.counters(p).dropped).toBe(drops[p]);
        expect(r.pendingBytes()).toBe(0);
      },
    ), { numRuns: 120 });
  });

  test('property: frames from a few long-lived regions at any offset come out byte-identical, across the wrap', () => {
    // as in the worker: a few large regions made once, frames (region, at, len) anywhere in them, any alignment
    const regions = [new ArrayBuffer(40_003), new SharedArrayBuffer(20_001), new ArrayBuffer(12_288)].map((ab, k) => {
      const b = new Uint8Array(ab);
      for (let i = 0; i < b.length; i++) b[i] = (i * 31 + k * 101 + (i >>> 8)) % 253;
      return b;
    });
    const SNAP = 9000;
    interface Sent { region: number; at: number; len: number; ts: number }
    fc.assert(fc.property(
      fc.array(fc.oneof(
        { weight: 5, arbitrary: fc.record({ kind: fc.constant('offer' as const), region: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 0, max: 9200 }), at: fc.nat() }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('drain' as const), max: fc.integer({ min: 0, max: 4 }) }) },
      ), { minLength: 60, maxLength: 200 }),
      (ops) => {
        const r = CaptureRing.create({ bytes: 1 << 15, snaplen: SNAP, maxPorts: 3 });
        r.setPorts(null);
        const sent: Sent[] = [];
        const wrong: string[] = [];
        let next = 0;
        // compares each record with the frame sent at the same place in the sequence (toEqual on 9000-element
        // arrays would dominate the test's time)
        const check: CaptureSink = {
          record(port, dir, bytes, at, capLen, origLen, sec, nsec) {
            const tsNs = sec * 1e9 + nsec;
            const f = sent[next++];
            const cap = Math.min(f.len, SNAP);
            if (port !== f.region || dir !== Dir.OUT || tsNs !== f.ts || origLen !== f.len || capLen !== cap) wrong.push(`record ${next - 1}: header`);
            const src = regions[f.region];
            for (let i = 0; i < cap; i++) if (bytes[at + i] !== src[f.at + i]) { wrong.push(`record ${next - 1}: byte ${i}`); break; }
            return true;
          },
        };
        let placed = 0;
        const offer = (region: number, at: number, len: number): void => {
          const b = regions[region];
          const ts = sent.length + 1;
          // a full ring is emptied and the frame offered again, so every frame goes in and the head keeps moving
          if (!r.offer(region, Dir.OUT, b, at, len, ts)) { r.drain(check); expect(r.offer(region, Dir.OUT, b, at, len, ts)).toBe(true); }
          sent.push({ region, at, len, ts });
          placed += (24 + Math.min(len, SNAP) + 7) & ~7;
        };
        for (const op of ops) {
          if (op.kind === 'drain') { r.drain(check, op.max); continue; }
          const len = Math.min(op.len, regions[op.region].length);
          offer(op.region, op.at % (regions[op.region].length - len + 1), len);
        }
        // full-size frames at odd offsets until the records have gone round the ring at least once
        for (let k = 0; placed <= r.capacity + SNAP; k++) offer(k % 3, 1 + 2 * k, 9100);
        r.drain(check);
        expect(wrong).toEqual([]);
        expect(next).toBe(sent.length);
      },
    ), { numRuns: 100 });
  });

  test('a sink that stops leaves the record in the ring', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 100, maxPorts: 1 });
    r.setPorts(null);
    for (let i = 0; i < 3; i++) r.offer(0, Dir.IN, frame(10, i), 0, 10, i);
    const a = collect(2);
    expect(r.drain(a)).toBe(2);
    const b = collect();
    expect(r.drain(b)).toBe(1);
    expect(b.out[0].tsNs).toBe(2);
  });

  test('only the selected ports are captured; nothing selected, nothing counted', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 100, maxPorts: 4 });
    const f = frame(20, 0);
    expect(r.offer(1, Dir.IN, f, 0, 20, 0)).toBe(true);
    r.setPorts([2]);
    expect(r.capturesPort(2)).toBe(true);
    expect(r.capturesPort(1)).toBe(false);
    r.offer(1, Dir.IN, f, 0, 20, 1);
    r.offer(2, Dir.OUT, f, 0, 20, 2);
    r.setPorts(null);
    r.offer(3, Dir.IN, f, 0, 20, 3);
    const s = collect();
    r.drain(s);
    expect(s.out.map((x) => [x.port, x.tsNs])).toEqual([[2, 2], [3, 3]]);
    r.refresh();
    expect(r.counters(1).seen).toBe(0);
    expect(() => r.setPorts([4])).toThrow(RangeError);
  });

  test('the filter runs before the copy: rejected frames are counted as seen, not accepted; its length caps the copy', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 100, maxPorts: 2 });
    r.setPorts(null);
    // accept frames whose first byte is 0xaa, keeping 8 bytes of them
    r.setFilter([Op.LD_B_ABS, 0, 0, 0, Op.JEQ_K, 0, 1, 0xaa, Op.RET_K, 0, 0, 8, Op.RET_K, 0, 0, 0]);
    const yes = Uint8Array.from({ length: 50 }, (_, i) => (i === 0 ? 0xaa : i));
    const no = Uint8Array.from({ length: 50 }, (_, i) => (i === 0 ? 0xbb : i));
    r.offer(1, Dir.IN, yes, 0, 50, 1);
    r.offer(1, Dir.IN, no, 0, 50, 2);
    r.offer(1, Dir.IN, yes, 0, 50, 3);
    const s = collect();
    r.drain(s);
    expect(s.out.map((x) => [x.tsNs, x.capLen, x.origLen])).toEqual([[1, 8, 50], [3, 8, 50]]);
    r.refresh();
    expect(r.counters(1)).toEqual({ seen: 3, accepted: 2, dropped: 0 });
    r.setFilter(null);
    r.offer(1, Dir.IN, no, 0, 50, 4);
    r.drain(s);
    expect(s.out.at(-1)).toMatchObject({ tsNs: 4, capLen: 50 });
    expect(() => r.setFilter([Op.LD_IMM, 0, 0, 0])).toThrow(/not a return/);
  });

  test('a filter set on one view reaches another view of the same buffer (control → worker)', () => {
    const control = CaptureRing.create({ bytes: 4096, snaplen: 100, maxPorts: 1 });
    const worker = CaptureRing.attach(control.sab);
    control.setPorts(null);
    control.setFilter([Op.RET_K, 0, 0, 0]); // reject all
    expect(worker.offer(0, Dir.IN, frame(10, 0), 0, 10, 1)).toBe(true);
    control.setFilter(null);
    worker.offer(0, Dir.IN, frame(10, 0), 0, 10, 2);
    const s = collect();
    control.drain(s);
    expect(s.out.map((x) => x.tsNs)).toEqual([2]);
    expect(() => CaptureRing.attach(new SharedArrayBuffer(4096))).toThrow(/not a capture ring/);
  });

  test('options are checked', () => {
    expect(() => CaptureRing.create({ snaplen: 0 })).toThrow(RangeError);
    expect(() => CaptureRing.create({ snaplen: 262145 })).toThrow(RangeError);
    expect(() => CaptureRing.create({ maxPorts: 0 })).toThrow(RangeError);
    const r = CaptureRing.create({ bytes: 1, snaplen: 262144, maxPorts: 1 });
    expect(r.capacity).toBeGreaterThanOrEqual(2 * (262144 + 24));
    expect(r.capacity & (r.capacity - 1)).toBe(0);
  });

  test('counters survive the 32-bit wrap of the shared words', () => {
    const r = CaptureRing.create({ bytes: 4096, snaplen: 100, maxPorts: 3 });
    r.setPorts(null);
    r.setFilter([Op.RET_K, 0, 0, 0]);
    const seen = new Uint32Array(r.sab, ringLayout(3).counters, 3);
    r.offer(2, Dir.IN, frame(10, 0), 0, 10, 0);
    r.refresh();
    expect(seen[2]).toBe(1);
    expect(r.counters(2).seen).toBe(1);
    seen[2] = 0xffff_ffff;            // as if 2^32 - 2 more frames had passed since
    r.refresh();
    r.offer(2, Dir.IN, frame(10, 0), 0, 10, 0);
    r.offer(2, Dir.IN, frame(10, 0), 0, 10, 0);
    r.refresh();
    expect(seen[2]).toBe(1);          // wrapped
    expect(r.counters(2).seen).toBe(0xffff_ffff + 2);
  });

  test('producer in a worker thread, consumer here: every frame arrives once, in order, or is counted as dropped', async () => {
    const r = CaptureRing.create({ bytes: 1 << 16, snaplen: 256, maxPorts: 2 });
    r.setPorts(null);
    const N = 200_000;
    // vitest's transform does not reach into worker threads: the worker loads the ring transpiled to JavaScript
    const dir = mkdtempSync(join(tmpdir(), 'umc-ring-'));
    const ringJs = transpileTree(fileURLToPath(new URL('../../../src/capture/ring.ts', import.meta.url)), dir);
    const w = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.ringJs).then(({ CaptureRing }) => {
        const r = CaptureRing.attach(workerData.sab);
        const buf = new Uint8Array(300);
        for (let i = 0; i < workerData.n; i++) {
          buf[0] = i & 0xff; buf[1] = (i >>> 8) & 0xff; buf[2] = (i >>> 16) & 0xff;
          r.offer(i & 1, 1, buf, 0, 20 + (i % 280), i);
        }
        parentPort.postMessage('done');
      });`, { eval: true, workerData: { sab: r.sab, n: N, ringJs: pathToFileURL(ringJs).href } });
    let done = false;
    w.once('message', () => { done = true; });
    let expectNext = 0, bad = 0, got = 0;
    const sink: CaptureSink = {
      record(port, _dir, bytes, at, capLen, origLen, sec, nsec) {
        const tsNs = sec * 1e9 + nsec;
        const i = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
        if (i !== tsNs || tsNs < expectNext || port !== (i & 1) || origLen !== 20 + (i % 280) || capLen !== Math.min(origLen, 256)) bad++;
        expectNext = tsNs + 1;
        got++;
        return true;
      },
    };
    try {
      while (!done) { r.drain(sink); await new Promise((res) => setImmediate(res)); }
      r.drain(sink);
    } finally {
      await w.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
    r.refresh();
    const dropped = r.counters(0).dropped + r.counters(1).dropped;
    expect(bad).toBe(0);
    expect(got + dropped).toBe(N);
    expect(got).toBeGreaterThan(0);
  }, 60_000);
});
