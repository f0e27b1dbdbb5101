// src/capture/ring.ts — the capture ring: the one copy on the hot path, from the datapath worker to the writer.
//
// DOC: Theory of operation
// One SharedArrayBuffer, made once by control (create) and viewed by the worker (attach); after that nothing is
// allocated. The worker is the only producer, the writer in the main thread the only consumer. The buffer's parts
// and a record's header are laid out in ring-layout.ts.
//
// head and tail are free-running byte counts (mod 2^32); the capacity is a power of two, so a count's position is
// count & (capacity - 1) on both sides of the 2^32 wrap, and head - tail (mod 2^32) is the bytes in use. The
// producer alone moves head, the consumer alone moves tail; each publishes with Atomics.store after its bytes are
// written (or read), and reads the other's index with Atomics.load, so a record is never seen half-written.
//
//   data: |....tail>[rec][rec][rec]<head..............|     a record never straddles the end: when it does not
//                                                          fit before it, a WRAP word fills the rest and the
//         |[rec][rec]<head.........tail>[rec][WRAP.....|    record goes to position 0
//
// offer() on the hot path: port not captured → return; count seen; run the filter (a filtered-out frame costs
// only that); count accepted; no room → count dropped and return false; else copy min(len, snaplen, filter's
// answer) bytes. Counters are Uint32 per port, written by the producer only; a consumer turns them into totals by
// adding the (mod 2^32) difference since its last refresh(), which it must call at least once per 2^32 frames.
//
// The filter and the port mask live in the buffer too, so control can change them while the worker runs. The
// filter is published under a sequence word (odd while being written); the producer copies it into a private
// spare and switches only when the sequence was even and unchanged across the copy, else it keeps the old
// program and tries again on the next frame.

import { runBpf, toProgram } from './bpf.js';
import { FrameCopier } from './bytes.js';
import type { Direction } from '../core/direction.js';
import {
  CTL as CTL_WORDS, CTL_BYTES, FILTER_BYTES, newRingBuffer, REC_HDR as REC_HDR_BYTES, RING_MAGIC, ringLayout,
  WRAP as WRAP_WORD, type CaptureRingOptions,
} from './ring-layout.js';
import { RingTotals, type RingCounts } from './ring-totals.js';

export {
  DEFAULT_MAX_PORTS, DEFAULT_RING_BYTES, DEFAULT_SNAPLEN, ringLayout, type CaptureRingOptions,
} from './ring-layout.js';

// Module-own copies of what offer() and drain() read per record: V8 folds a module's own const into the code that
// reads it, but loads (and checks) an imported binding from its cell at every use.
const CTL = CTL_WORDS;
const REC_HDR = REC_HDR_BYTES;
const WRAP = WRAP_WORD;

/**
 * The consumer's side of a record. The bytes are valid only during the call. The timestamp comes as whole seconds
 * and nanoseconds since the Unix epoch (sec * 1e9 + nsec is the offered tsNs, exactly): both are small integers,
 * where tsNs itself (~1.7e18) is a double that a call boxes — an allocation per record.
 */
export interface CaptureSink {
  /** Returns false to stop the drain before this record (it stays in the ring, e.g. the output buffer is full). */
  record(port: number, dir: number, bytes: Uint8Array, at: number, capLen: number, origLen: number, sec: number, nsec: number): boolean;
}

const NS_PER_S = 1e9;

export class CaptureRing {
  readonly sab: SharedArrayBuffer;
  readonly snaplen: number;
  readonly capacity: number;
  readonly maxPorts: number;
  private readonly ctl: Int32Array;
  private readonly filterWords: Int32Array;
  private readonly portMask: Uint8Array;
  private readonly seen: Uint32Array;
  private readonly accepted: Uint32Array;
  private readonly dropped: Uint32Array;
  private readonly data: Uint8Array;
  private readonly d32: Uint32Array;
  private readonly d64: Float64Array;
  private readonly wrapMask: number;
  // producer's copy into data: word views of the worker's frame regions, made once per region
  private readonly copier: FrameCopier;
  // producer's private copy of the filter (two, so a torn copy never replaces a good one)
  private prog: Int32Array;
  private spare: Int32Array;
  private progOn = false;
  private progSeq = 0;
  // consumer's totals
  private readonly totals: RingTotals;
  // consumer's last timestamp and its split
  private tsNs = NaN;
  private tsSec = 0;
  private tsNsec = 0;

  static create(o: CaptureRingOptions = {}): CaptureRing {
    return new CaptureRing(newRingBuffer(o));
  }

  static attach(sab: SharedArrayBuffer): CaptureRing {
    return new CaptureRing(sab);
  }

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
    if (Atomics.load(this.ctl, CTL.MAGIC) !== RING_MAGIC) throw new TypeError('not a capture ring (or another layout version)');
    this.snaplen = this.ctl[CTL.SNAPLEN];
    this.capacity = this.ctl[CTL.CAPACITY];
    this.maxPorts = this.ctl[CTL.MAX_PORTS];
    this.wrapMask = this.capacity - 1;
    const l = ringLayout(this.maxPorts);
    this.filterWords = new Int32Array(sab, CTL_BYTES, FILTER_BYTES / 4);
    this.portMask = new Uint8Array(sab, l.mask, this.maxPorts);
    this.seen = new Uint32Array(sab, l.counters, this.maxPorts);
    this.accepted = new Uint32Array(sab, l.counters + 4 * this.maxPorts, this.maxPorts);
    this.dropped = new Uint32Array(sab, l.counters + 8 * this.maxPorts, this.maxPorts);
    this.data = new Uint8Array(sab, l.data, this.capacity);
    this.d32 = new Uint32Array(sab, l.data, this.capacity / 4);
    this.d64 = new Float64Array(sab, l.data, this.capacity / 8);
    this.copier = new FrameCopier(this.data);
    this.prog = new Int32Array(FILTER_BYTES / 4);
    this.spare = new Int32Array(FILTER_BYTES / 4);
    this.totals = new RingTotals(this.maxPorts);
    this.syncFilter(Atomics.load(this.ctl, CTL.FILTER_SEQ));
  }

  // ---- configuration: any thread ------------------------------------------------------------------------------

  /** Which ports are captured: null = all (ports added later too), else exactly these indices. */
  setPorts(ports: readonly number[] | null): void {
    if (ports === null) { Atomics.store(this.ctl, CTL.ALL_PORTS, 1); return; }
    for (const p of ports) if (!Number.isInteger(p) || p < 0 || p >= this.maxPorts) throw new RangeError(`port ${p} is not in 0..${this.maxPorts - 1}`);
    Atomics.store(this.ctl, CTL.ALL_PORTS, 0);
    this.portMask.fill(0);
    for (const p of ports) this.portMask[p] = 1;
  }

  capturesPort(port: number): boolean {
    return this.ctl[CTL.ALL_PORTS] !== 0 || this.portMask[port] !== 0;
  }

  /**
   * Installs a compiled classic BPF program ((code, jt, jf, k) per instruction, as filter.ts returns), or removes
   * the filter with null. Checked here (RangeError if the interpreter could not trust it), not per frame.
   */
  setFilter(words: ArrayLike<number> | null): void {
    const prog = words === null ? null : toProgram(words);
    const seq = Atomics.load(this.ctl, CTL.FILTER_SEQ);
    const writing = seq | 1;                  // odd: a copy taken now is not trusted
    Atomics.store(this.ctl, CTL.FILTER_SEQ, writing);
    if (prog !== null) this.filterWords.set(prog.p);
    Atomics.store(this.ctl, CTL.FILTER_INSNS, prog === null ? 0 : prog.n);
    Atomics.store(this.ctl, CTL.FILTER_SEQ, writing + 1);
    this.syncFilter(writing + 1);
  }

  private syncFilter(seq: number): void {
    if ((seq & 1) !== 0) return;
    const n = Atomics.load(this.ctl, CTL.FILTER_INSNS);
    if (n > 0) this.spare.set(this.filterWords.subarray(0, 4 * n));
    if (Atomics.load(this.ctl, CTL.FILTER_SEQ) !== seq) return;
    const t = this.prog; this.prog = this.spare; this.spare = t;
    this.progOn = n > 0;
    this.progSeq = seq;
  }

  // ---- producer: the datapath worker --------------------------------------------------------------------------

  /**
   * Offers the frame buf[at .. at+len) that crossed `port` in direction `dir` (Dir.IN / Dir.OUT) at tsNs
   * (nanoseconds since the Unix epoch, one reading per batch). Returns false when the ring was full (the frame is
   * counted as dropped for that port), true otherwise (copied, filtered out, or the port is not captured).
   * No allocation once buf has been seen (see bytes.ts FrameCopier: one word view per source array, made once).
   */
  offer(port: number, dir: Direction, buf: Uint8Array, at: number, len: number, tsNs: number): boolean {
    const c = this.ctl;
    if (c[CTL.ALL_PORTS] === 0 && this.portMask[port] === 0) return true;
    this.seen[port]++;
    let cap = len < this.snaplen ? len : this.snaplen;
    if (c[CTL.FILTER_SEQ] !== this.progSeq) this.syncFilter(c[CTL.FILTER_SEQ]);
    if (this.progOn) {
      const keep = runBpf(this.prog, buf, at, len);
      if (keep === 0) return true;
      if (keep < cap) cap = keep;
    }
    this.accepted[port]++;
    const need = (REC_HDR + cap + 7) & ~7;
    const head = c[CTL.HEAD] >>> 0;
    const free = this.capacity - ((head - (Atomics.load(c, CTL.TAIL) >>> 0)) >>> 0);
    let pos = head & this.wrapMask;
    const toEnd = this.capacity - pos;
    let next: number;
    if (need <= toEnd) {
      if (need > free) { this.dropped[port]++; return false; }
      next = head + need;
    } else {
      if (toEnd + need > free) { this.dropped[port]++; return false; }
      this.d32[pos >>> 2] = WRAP;
      pos = 0;
      next = head + toEnd + need;
    }
    const w = pos >>> 2;
    this.d32[w] = need;
    this.d32[w + 1] = port | (dir << 16);
    this.d32[w + 2] = len;
    this.d32[w + 3] = cap;
    this.d64[(pos >>> 3) + 2] = tsNs;
    this.copier.copy(pos + REC_HDR, buf, at, cap);
    Atomics.store(c, CTL.HEAD, next | 0);
    return true;
  }

  // ---- consumer: the writer -----------------------------------------------------------------------------------

  /** Hands up to max records to the sink, oldest first, and frees their space. Returns how many it handed. */
  drain(sink: CaptureSink, max = Infinity): number {
    const c = this.ctl;
    const head = Atomics.load(c, CTL.HEAD) >>> 0;
    let tail = c[CTL.TAIL] >>> 0;
    let n = 0;
    while (tail !== head && n < max) {
      const pos = tail & this.wrapMask;
      const w = pos >>> 2;
      const size = this.d32[w];
      if (size === WRAP) { tail = (tail + this.capacity - pos) >>> 0; continue; }
      // cannot happen while one producer and one consumer keep to the protocol; never loop on it if it does
      if (size < REC_HDR || size > this.capacity - pos || (size & 7) !== 0) throw new Error(`capture ring: bad record size ${size} at ${pos}`);
      const pd = this.d32[w + 1];
      const ts = this.d64[(pos >>> 3) + 2];
      if (ts !== this.tsNs) this.splitTs(ts);  // a worker batch shares one timestamp: split once per batch
      if (!sink.record(pd & 0xffff, pd >>> 16, this.data, pos + REC_HDR, this.d32[w + 3], this.d32[w + 2], this.tsSec, this.tsNsec)) break;
      tail = (tail + size) >>> 0;
      n++;
    }
    Atomics.store(c, CTL.TAIL, tail | 0);
    return n;
  }

  private splitTs(tsNs: number): void {
    // tsNs is an integral double: sec * 1e9 is a multiple of 512 below 2^61, exact, and so is the difference
    let sec = Math.floor(tsNs / NS_PER_S);
    let nsec = tsNs - sec * NS_PER_S;
    if (nsec < 0) { sec--; nsec += NS_PER_S; } else if (nsec >= NS_PER_S) { sec++; nsec -= NS_PER_S; }
    this.tsNs = tsNs;
    this.tsSec = sec;
    this.tsNsec = nsec;
  }

  /** Bytes in use (records not drained yet, wrap fill included). */
  pendingBytes(): number {
    return ((Atomics.load(this.ctl, CTL.HEAD) >>> 0) - (Atomics.load(this.ctl, CTL.TAIL) >>> 0)) >>> 0;
  }

  /** Folds the producer's 32-bit counters into this instance's totals. Call at least once per 2^32 frames a port. */
  refresh(): void {
    this.totals.fold(this.seen, this.accepted, this.dropped);
  }

  /** Totals as of the last refresh(): frames offered on a captured port, accepted by the filter, lost to a full ring. */
  counters(port: number): RingCounts {
    return this.totals.of(port);
  }
}
