// The capture ring's copy, timed and checked for allocation.
//
// 1. ns per copy of a 60, 1500 and 9000-byte frame into the ring's SharedArrayBuffer: the old primitive
//    (TypedArray.set of a fresh subarray) against FrameCopier (word loop over views made once), with the
//    source at a word-aligned offset and at offset 2 mod 4 (where a frame behind a 10-byte vnet header lands);
//    then ns per CaptureRing.offer() of the same frames, drain included; then ns per record of the writer's side:
//    drain into a pcapng chunk (EPB encoding, copy included; one timestamp per 64 records, as per worker batch).
// 2. The allocation check: millions of offer()s of mixed sizes from three long-lived regions, without and with a
//    filter, and the same offers drained into pcapng records as the writer does (no file), in plain preallocated
//    loops. Run with --trace-gc: no "Scavenge" or "Mark-Compact" line may appear between a loop's two markers; the
//    GC events inside each loop's time window are also counted here and any makes the exit status 1. `--baseline`
//    adds the same loop copying with the old primitive, to show the check catching the allocation it is there for
//    (reported only; it does not change the exit status).
//
// Run: npx tsc -p . && node --trace-gc dist/bench/capture-copy.js [--baseline]
//      UMV_CAPTURE_FRAMES (default 5,000,000 per loop), UMV_CAPTURE_ROUNDS (timing rounds, default 5)

import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Op } from '../src/capture/bpf.js';
import { FrameCopier } from '../src/capture/bytes.js';
import { writeEpb } from '../src/capture/pcapng.js';
import { CaptureRing, DEFAULT_RING_BYTES, ringLayout, type CaptureSink } from '../src/capture/ring.js';

/** The old primitive: a view of the source range per copy (one young-generation object each). */
function copyBytes(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, len: number): void {
  dst.set(src.subarray(srcAt, srcAt + len), dstAt);
}

/** The writer's side without the file: every record drained is encoded as a pcapng EPB into one 1 MiB chunk, which
 *  starts over when full (the writer would write it out). */
class EpbSink implements CaptureSink {
  readonly out = new Uint8Array(1 << 20);
  at = 0;
  record(port: number, dir: number, bytes: Uint8Array, at: number, capLen: number, origLen: number, sec: number, nsec: number): boolean {
    if (this.at + 48 + capLen > this.out.length) this.at = 0;
    this.at += writeEpb(this.out, this.at, port, sec, nsec, bytes, at, capLen, origLen, dir);
    return true;
  }
}
const epbSink = new EpbSink();

const FRAMES = Number(process.env.UMV_CAPTURE_FRAMES ?? 5_000_000);
const ROUNDS = Number(process.env.UMV_CAPTURE_ROUNDS ?? 5);
const BASELINE = process.argv.includes('--baseline');
const SIZES = [60, 1500, 9000] as const;
const REGION_BYTES = 4 << 20;
/** Frame slots in a region: far enough apart that consecutive frames do not share cache lines, as in the rings. */
const SLOT = 16384;
const SLOTS = REGION_BYTES / SLOT;

/** Three regions like the engine's (packet ring, TAP pool, scratch), each one ArrayBuffer made once. */
const regions = [0, 1, 2].map((k) => {
  const b = new Uint8Array(new ArrayBuffer(REGION_BYTES));
  for (let i = 0; i < b.length; i++) b[i] = (i * 131 + k * 17 + (i >>> 9)) & 0xff;
  return b;
});

// ---- 1. timing ----------------------------------------------------------------------------------------------

type CopyFn = (dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, len: number) => void;

/** Copies n frames of len bytes from slot after slot of the regions to record after record of the ring's data. */
function copyLoop(copy: CopyFn, dst: Uint8Array, len: number, mis: number, n: number): void {
  const step = (24 + len + 7) & ~7;
  const dstEnd = dst.length - step;
  let dstAt = 24;
  let slot = 0;
  for (let j = 0; j < n; j++) {
    copy(dst, dstAt, regions[j % 3], slot * SLOT + mis, len);
    slot = slot + 1 === SLOTS ? 0 : slot + 1;
    dstAt += step;
    if (dstAt > dstEnd) dstAt = 24;
  }
}

const nullSink: CaptureSink = { record: () => true };

/** Offers n frames of len bytes; whenever the ring is full it is drained (all of it) and the frame offered again. */
function offerLoop(r: CaptureRing, len: number, mis: number, n: number): number {
  let slot = 0;
  let drains = 0;
  for (let j = 0; j < n; j++) {
    const src = regions[j % 3];
    const at = slot * SLOT + mis;
    if (!r.offer(j % 3, 2, src, at, len, j)) { r.drain(nullSink); drains++; r.offer(j % 3, 2, src, at, len, j); }
    slot = slot + 1 === SLOTS ? 0 : slot + 1;
  }
  return drains;
}

/** Offers n frames of len bytes (one timestamp per 64, as a worker batch), draining through the EPB encoder. */
function encodeLoop(r: CaptureRing, len: number, mis: number, n: number): void {
  let slot = 0;
  for (let j = 0; j < n; j++) {
    const src = regions[j % 3];
    const at = slot * SLOT + mis;
    const ts = 1.7e18 + (j >>> 6) * 1000;
    if (!r.offer(j % 3, 2, src, at, len, ts)) { r.drain(epbSink); r.offer(j % 3, 2, src, at, len, ts); }
    slot = slot + 1 === SLOTS ? 0 : slot + 1;
  }
  r.drain(epbSink);
}

function nsPer(n: number, body: () => void): number {
  const t0 = process.hrtime.bigint();
  body();
  return Number(process.hrtime.bigint() - t0) / n;
}

const dataOf = (r: CaptureRing): Uint8Array => new Uint8Array(r.sab, ringLayout(r.maxPorts).data, r.capacity);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function timing(): void {
  const ring = CaptureRing.create({ bytes: DEFAULT_RING_BYTES, maxPorts: 3 });
  ring.setPorts(null);
  // the bare copies go where records do, the data area of a ring's SharedArrayBuffer, but of another ring: they
  // would corrupt the records of the one that offer() fills
  const data = dataOf(CaptureRing.create({ bytes: DEFAULT_RING_BYTES, maxPorts: 3 }));
  const copier = new FrameCopier(data);
  const viaCopier: CopyFn = (_dst, dstAt, src, srcAt, len) => copier.copy(dstAt, src, srcAt, len);
  console.log(`=== capture-copy: timing, median of ${ROUNDS} rounds (ns per frame) ===`);
  console.log('| frame bytes | source offset mod 4 | subarray + set (old) | FrameCopier (new) | CaptureRing.offer (drain included) | offer + drain into pcapng EPBs |');
  console.log('|--:|--:|--:|--:|--:|--:|');
  for (const len of SIZES) {
    for (const mis of [0, 2]) {
      const n = Math.max(20_000, Math.floor(4e8 / (len + 200) / ROUNDS));
      const old: number[] = [], nu: number[] = [], off: number[] = [], enc: number[] = [];
      copyLoop(copyBytes, data, len, mis, 20_000);                // warm-up: optimised code before timing
      copyLoop(viaCopier, data, len, mis, 20_000);
      offerLoop(ring, len, mis, 20_000);
      ring.drain(nullSink);
      encodeLoop(ring, len, mis, 20_000);
      for (let k = 0; k < ROUNDS; k++) {
        // alternate which runs first so drift in the machine's load falls on both alike
        if (k % 2 === 0) { old.push(nsPer(n, () => copyLoop(copyBytes, data, len, mis, n))); nu.push(nsPer(n, () => copyLoop(viaCopier, data, len, mis, n))); }
        else { nu.push(nsPer(n, () => copyLoop(viaCopier, data, len, mis, n))); old.push(nsPer(n, () => copyLoop(copyBytes, data, len, mis, n))); }
        off.push(nsPer(n, () => offerLoop(ring, len, mis, n)));
        ring.drain(nullSink);
        enc.push(nsPer(n, () => encodeLoop(ring, len, mis, n)));
      }
      console.log(`| ${len} | ${mis} | ${median(old).toFixed(0)} | ${median(nu).toFixed(0)} | ${median(off).toFixed(0)} | ${median(enc).toFixed(0)} |`);
    }
  }
  ring.drain(nullSink);
}

// ---- 2. allocation check ------------------------------------------------------------------------------------

/** Frames per batch: the worker stamps each batch with one clock reading and hands that value to every offer. */
const BATCH = 64;

/**
 * Mixed traffic: sizes 60 / 1500 / 9000 in turn, from region (j >>> 2) % 3, at offsets 0..3 mod 4 in turn, offered in
 * batches as the worker does: a real timestamp (ns since 1970, a double no small integer holds) made once per batch
 * and passed as an argument, so it is boxed once per batch, never per frame. Drained into `sink` when full.
 */
function mixedBatches(r: CaptureRing, n: number, sink: CaptureSink): number {
  let drains = 0;
  for (let j = 0; j < n; j += BATCH) drains += offerBatch(r, j, Math.min(BATCH, n - j), STAMPS[(j / BATCH) % STAMPS.length] as number, sink);
  return drains;
}

/** Timestamps made (boxed) once, as the worker's one per batch is: an array of generic elements hands out the boxed
 *  number itself, so passing it on allocates nothing (a value computed in the loop would be boxed at every call). */
const STAMPS: unknown[] = [null];
STAMPS.length = 0;
for (let k = 0; k < 1024; k++) STAMPS.push(1.7e18 + k * 64_000);

function offerBatch(r: CaptureRing, j0: number, count: number, tsNs: number, sink: CaptureSink): number {
  let drains = 0;
  for (let j = j0; j < j0 + count; j++) {
    const len = SIZES[j % 3];
    const port = (j >>> 2) % 3;
    const at = (j % SLOTS) * SLOT + (j & 3);
    if (!r.offer(port, 1, regions[port], at, len, tsNs)) { r.drain(sink); drains++; r.offer(port, 1, regions[port], at, len, tsNs); }
  }
  return drains;
}

const mixedOffers = (r: CaptureRing, n: number): number => mixedBatches(r, n, nullSink);

/** Mixed traffic as mixedOffers, drained into pcapng records (the writer's encoding, without the file). */
function mixedEncoded(r: CaptureRing, n: number): number {
  const drains = mixedBatches(r, n, epbSink);
  r.drain(epbSink);
  return drains;
}

/** The same traffic copied with the old primitive into the ring's data, for --baseline. */
function mixedCopyBytes(data: Uint8Array, n: number): void {
  let slot = 0;
  let dstAt = 24;
  for (let j = 0; j < n; j++) {
    const len = SIZES[j % 3];
    copyBytes(data, dstAt, regions[(j >>> 2) % 3], slot * SLOT + (j & 3), len);
    slot = slot + 1 === SLOTS ? 0 : slot + 1;
    dstAt += (24 + len + 7) & ~7;
    if (dstAt > data.length - 9100) dstAt = 24;
  }
}

const gcStarts: number[] = [];
const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcStarts.push(e.startTime); });

interface Window { name: string; from: number; to: number; counts: boolean }
const windows: Window[] = [];

function measured(name: string, counts: boolean, body: () => string): void {
  console.log(`=== capture-copy: ${name}: loop start (${FRAMES} frames) ===`);
  const from = performance.now();
  const t0 = process.hrtime.bigint();
  const extra = body();
  const t1 = process.hrtime.bigint();
  const to = performance.now();
  console.log(`=== capture-copy: ${name}: loop end ===`);
  console.log(`${name}: ${((Number(t1 - t0)) / FRAMES).toFixed(0)} ns/frame (sizes 60/1500/9000 in turn)${extra}`);
  windows.push({ name, from, to, counts });
}

function allocationCheck(): void {
  const ring = CaptureRing.create({ bytes: DEFAULT_RING_BYTES, maxPorts: 3 });
  ring.setPorts(null);
  const filtered = CaptureRing.create({ bytes: DEFAULT_RING_BYTES, maxPorts: 3 });
  filtered.setPorts(null);
  // reads the EtherType and accepts every frame whole: the filter's path through offer() runs on every frame
  filtered.setFilter([Op.LD_H_ABS, 0, 0, 12, Op.JGE_K, 0, 1, 0, Op.RET_K, 0, 0, 262144, Op.RET_K, 0, 0, 0]);
  const data = dataOf(CaptureRing.create({ bytes: DEFAULT_RING_BYTES, maxPorts: 3 }));

  // warm-up: compilation may allocate; it must be over before the measured loops
  mixedOffers(ring, 300_000);
  mixedOffers(filtered, 300_000);
  if (BASELINE) mixedCopyBytes(data, 300_000);
  ring.drain(nullSink);
  filtered.drain(nullSink);
  mixedEncoded(ring, 300_000);

  obs.observe({ entryTypes: ['gc'] });
  measured('offer', true, () => `, ${mixedOffers(ring, FRAMES)} full-ring drains`);
  measured('offer with a filter', true, () => `, ${mixedOffers(filtered, FRAMES)} full-ring drains`);
  measured('offer, drained into pcapng records', true, () => `, ${mixedEncoded(ring, FRAMES)} full-ring drains`);
  if (BASELINE) measured('baseline subarray + set', false, () => { mixedCopyBytes(data, FRAMES); return ''; });

  // GC entries are delivered asynchronously: look once the loops' events have been queued
  setTimeout(() => {
    obs.disconnect();
    let failed = false;
    for (const w of windows) {
      const n = gcStarts.filter((x) => x >= w.from && x <= w.to).length;
      console.log(`GC events during ${w.name}: ${n}${w.counts ? '' : ' (baseline: shows the check at work)'}`);
      if (w.counts && n > 0) failed = true;
    }
    if (failed) process.exitCode = 1;
  }, 50);
}

timing();
allocationCheck();
