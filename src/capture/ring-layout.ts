// src/capture/ring-layout.ts — the capture ring's shared memory: where each part lies, and the buffer control makes
// once for a new ring, its size checked and its control words stamped. How the two sides use it: ring.ts.
//
//   [control words][filter program][port mask][counters: seen | accepted | dropped][data: capacity bytes]
//
// A record is 8-aligned: [size u32][port u16 | dir u16][origLen u32][capLen u32][tsNs f64][capLen bytes, padded].

import { BPF_MAXINSNS } from './bpf.js';

/** Indices of the control words (Int32) at the start of the buffer */
export const CTL = { HEAD: 0, TAIL: 1, FILTER_SEQ: 2, FILTER_INSNS: 3, ALL_PORTS: 4, SNAPLEN: 5, CAPACITY: 6, MAX_PORTS: 7, MAGIC: 8 } as const;
export const CTL_BYTES = 64;
export const FILTER_BYTES = BPF_MAXINSNS * 16;
export const RING_MAGIC = 0x756d6331; // "umc1": the layout version
/** bytes of a record's header */
export const REC_HDR = 24;
/** A size word that sends the reader back to position 0: the record behind it did not fit before the end. */
export const WRAP = 0xffffffff;

export const DEFAULT_SNAPLEN = 262144;
/** MAX_CHILDREN + 1 (core/constants.ts): capture may not import core, so the caller should pass its own. */
export const DEFAULT_MAX_PORTS = 4097;
export const DEFAULT_RING_BYTES = 32 << 20;

export interface CaptureRingOptions {
  /** bytes for records, rounded up to a power of two; at least twice the largest record */
  bytes?: number;
  /** bytes kept of each frame (the rest is counted in origLen only), 1 .. 262144 */
  snaplen?: number;
  /** port indices are 0 .. maxPorts - 1 */
  maxPorts?: number;
}

const align8 = (n: number): number => (n + 7) & ~7;
const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(n));

/** Byte offsets of the port mask, the counters (seen, accepted, dropped: maxPorts u32 each) and the records. */
export function ringLayout(maxPorts: number): { mask: number; counters: number; data: number } {
  const mask = CTL_BYTES + FILTER_BYTES;
  const counters = mask + align8(maxPorts);
  return { mask, counters, data: counters + align8(3 * 4 * maxPorts) };
}

/** A new ring's buffer: snaplen, ports and capacity checked, the control words written, the magic last. */
export function newRingBuffer(o: CaptureRingOptions): SharedArrayBuffer {
  const snaplen = o.snaplen ?? DEFAULT_SNAPLEN;
  const maxPorts = o.maxPorts ?? DEFAULT_MAX_PORTS;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > DEFAULT_SNAPLEN) throw new RangeError(`snaplen ${snaplen} is not in 1..${DEFAULT_SNAPLEN}`);
  if (!Number.isInteger(maxPorts) || maxPorts < 1 || maxPorts > 0x10000) throw new RangeError(`maxPorts ${maxPorts} is not in 1..65536`);
  const capacity = pow2AtLeast(Math.max(o.bytes ?? DEFAULT_RING_BYTES, 2 * align8(REC_HDR + snaplen), 4096));
  if (capacity > 1 << 30) throw new RangeError(`capture ring of ${capacity} bytes is larger than 1 GiB`);
  const sab = new SharedArrayBuffer(ringLayout(maxPorts).data + capacity);
  const ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
  ctl[CTL.SNAPLEN] = snaplen;
  ctl[CTL.CAPACITY] = capacity;
  ctl[CTL.MAX_PORTS] = maxPorts;
  Atomics.store(ctl, CTL.MAGIC, RING_MAGIC);
  return sab;
}
