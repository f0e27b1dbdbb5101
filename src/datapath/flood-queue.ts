// The broadcast queue of forwarding.md §3.4: group frames the kernel would flood later, held here as the frame
// itself (one copy into memory of our own, never its N copies) until the worker drains them, a budget per batch.
//
// Why a copy: a received frame lives in the parent's ring or the TAP pool only until the next poll, and a queued
// frame must outlive that. The bytes go into a byte ring over the engine's scratch region (so send() can take
// them as they are), virtio-net header included. Both bounds refuse a frame, which the caller counts `queue_full`:
// the kernel's limit (at most FLOOD_QUEUE_MAX frames whatever a child asked; README deviations) and the bytes.
// Nothing here allocates after construction.

import { VNET } from '../wire/virtio-net.js';

/** Frames the data path holds at most, whatever bc_queue_len_used says (the kernel's is a u32) */
export const FLOOD_QUEUE_MAX = 65536;
/** Copies drained per batch at most (a frame that yields none costs one): unicast keeps going during a storm */
export const FLOOD_COPY_BUDGET = 1024;
/** Bytes of queued frames (the scratch region the worker asks for) */
export const FLOOD_QUEUE_BYTES = 32 << 20;

const ALIGN = 16;

export class FloodQueue {
  /** frames waiting; entry i of the FIFO is index (first + i) % FLOOD_QUEUE_MAX */
  count = 0;
  private first = 0;
  private byteHead = 0;  // where the oldest frame's bytes start
  private byteTail = 0;  // where the next frame's bytes go
  readonly origin = new Int16Array(FLOOD_QUEUE_MAX);
  readonly mask = new Uint8Array(FLOOD_QUEUE_MAX);
  readonly made = new Uint32Array(FLOOD_QUEUE_MAX);
  readonly at = new Uint32Array(FLOOD_QUEUE_MAX);
  readonly len = new Uint32Array(FLOOD_QUEUE_MAX);
  private readonly start = new Uint32Array(FLOOD_QUEUE_MAX);

  /** `bytes` is the memory region number `region` of the engine; the queue owns it */
  constructor(readonly bytes: Uint8Array, readonly region: number) {}

  /** Index of the i-th oldest frame */
  index(i: number): number { return (this.first + i) % FLOOD_QUEUE_MAX; }

  /**
   * Copies the frame at b[at..at+len) with the virtio-net header before it to the tail → false, nothing kept,
   * when `limit` frames are already waiting (or FLOOD_QUEUE_MAX) or its bytes have no room.
   */
  offer(limit: number, b: Uint8Array, at: number, len: number, origin: number, mask: number, made: number): boolean {
    if (this.count >= limit || this.count >= FLOOD_QUEUE_MAX) return false;
    const need = (VNET.LEN + len + ALIGN - 1) & ~(ALIGN - 1);
    const cap = this.bytes.length;
    let s = this.byteTail;
    if (this.count === 0) {
      s = 0;
      this.byteHead = 0;
      if (need > cap) return false;
    } else if (this.byteTail > this.byteHead) {
      // not wrapped: room at the end, or else at the start, up to the oldest frame (tail = head then means full)
      if (s + need > cap) {
        if (need > this.byteHead) return false;
        s = 0;
      }
    } else if (s + need > this.byteHead) {
      return false;  // wrapped (or full): only the gap up to the oldest frame
    }
    const dst = this.bytes;
    const from = at - VNET.LEN;
    const n = VNET.LEN + len;
    for (let k = 0; k < n; k++) dst[s + k] = b[from + k];
    const i = (this.first + this.count) % FLOOD_QUEUE_MAX;
    this.start[i] = s;
    this.at[i] = s + VNET.LEN;
    this.len[i] = len;
    this.origin[i] = origin;
    this.mask[i] = mask;
    this.made[i] = made;
    this.byteTail = s + need;
    this.count++;
    return true;
  }

  /** Forgets the `n` oldest frames (after their copies were sent) */
  shift(n: number): void {
    this.first = (this.first + n) % FLOOD_QUEUE_MAX;
    this.count -= n;
    if (this.count === 0) {
      this.byteHead = 0;
      this.byteTail = 0;
    } else {
      this.byteHead = this.start[this.first];
    }
  }
}
