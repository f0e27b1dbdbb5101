// The MAC-NAT's part of a batch (README "--mac-nat"; docs/architecture.md "MAC-NAT"): the rewrite of a decided
// frame, and what the worker tells the control side about addresses. Runs only while the table's natOn is set.
//
// One frame, two versions, no copy: a bridge child's group frame goes to its bridge siblings as it was sent and to
// the wire rewritten. The sibling copies are views of the same bytes, so they are sent first (an early flush), and
// the bytes are rewritten only then for the wire's copy. That costs one extra send call for such frames (ARP and
// NDP requests, mDNS: rare next to unicast) and nothing per frame otherwise.
//
// Learning is rate-limited where it starts: a post only for a (address, child, kind) not posted in the last
// REPOST_S seconds, at most POSTS_PER_BATCH per batch and POSTS_PER_SECOND per second, and an owner's "still using it" at most once per SEEN_EVERY_S
// per address. Frames that teach nothing new allocate nothing.

import { Drop, Egress, Learn, PARENT } from '../core/constants.js';
import { NAT_REWRITTEN, NAT_UNOWNED, COUNTER_COLUMNS } from '../core/counters.js';
import { natRewriteIn, natRewriteOut } from '../core/nat-rewrite.js';
import type { PortTable } from '../core/port-table.js';
import type { Verdict } from '../core/verdict.js';

/** What the worker posts: (kind, child, address words, DHCP lease seconds) */
export interface LearnEvent { type: 'learn'; kind: number; slot: number; addr: [number, number, number, number]; lease: number }

export const POSTS_PER_BATCH = 16;
/** ... and per second: a child sending from ever new addresses costs the control side a bounded rate */
export const POSTS_PER_SECOND = 256;
export const REPOST_S = 2;
export const SEEN_EVERY_S = 60;
const RECENT = 64;

const be32 = (b: Uint8Array, p: number): number => (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];

export class NatLearner {
  private readonly key = new Int32Array(RECENT * 6);
  private readonly when = new Float64Array(RECENT);
  private next = 0;
  private posted = 0;
  private second = -1;
  private leftThisSecond = 0;
  nowSec = 0;

  constructor(private readonly post: (e: LearnEvent) => void, private readonly clock: () => number) {}

  /** Once per batch: the clock (seconds) and the batch's post budget */
  begin(): void {
    this.nowSec = Math.floor(this.clock());
    this.posted = 0;
    if (this.nowSec !== this.second) { this.second = this.nowSec; this.leftThisSecond = POSTS_PER_SECOND; }
  }

  offer(t: PortTable, v: Verdict, b: Uint8Array): void {
    const kind = v.learnKind;
    if (kind === Learn.NONE || this.posted >= POSTS_PER_BATCH || this.leftThisSecond <= 0) return;
    let w0 = 0, w1 = 0, w2 = 0xffff, w3: number;
    const a = v.learnAt;
    if (v.learnLen === 16) { w0 = be32(b, a); w1 = be32(b, a + 4); w2 = be32(b, a + 8); w3 = be32(b, a + 12); }
    else w3 = be32(b, a);
    if (kind === Learn.SEEN) {
      const e = v.learnEntry;
      if (this.nowSec - t.nat.seen[e] < SEEN_EVERY_S) return;
      t.nat.seen[e] = this.nowSec;
    } else if (this.recent(kind, v.learnSlot, w0, w1, w2, w3)) {
      return;
    }
    this.posted++;
    this.leftThisSecond--;
    this.post({ type: 'learn', kind, slot: v.learnSlot, addr: [w0, w1, w2, w3], lease: v.learnLease });
  }

  /** True when this event was posted less than REPOST_S ago; else remembers it now */
  private recent(kind: number, slot: number, w0: number, w1: number, w2: number, w3: number): boolean {
    const k = this.key;
    for (let i = 0; i < RECENT; i++) {
      const o = i * 6;
      if (k[o] === kind && k[o + 1] === slot && k[o + 2] === w0 && k[o + 3] === w1 && k[o + 4] === w2 && k[o + 5] === w3) {
        if (this.nowSec - this.when[i] < REPOST_S) return true;
        this.when[i] = this.nowSec;
        return false;
      }
    }
    const o = this.next * 6;
    k[o] = kind; k[o + 1] = slot; k[o + 2] = w0; k[o + 3] = w1; k[o + 4] = w2; k[o + 5] = w3;
    this.when[this.next] = this.nowSec;
    this.next = (this.next + 1) % RECENT;
    return false;
  }
}

/**
 * The NAT's part of one decided frame of `n` rows: learning, counting, and the rewrite when the frame goes to one
 * place. Returns true when it goes to siblings and the wire: the caller sends the sibling rows first, then calls
 * natRewriteOut and queues the wire row (forward.ts), since the sibling copies are views of the same bytes.
 */
export function natFrame(t: PortTable, v: Verdict, from: number, b: Uint8Array, at: number, len: number, n: number,
  counters: Float64Array, learner: NatLearner | null): boolean {
  // refused before the decision (gso.ts): the verdict's NAT fields are the previous frame's
  if (v.reason === Drop.BAD_GSO) return false;
  if (learner !== null) learner.offer(t, v, b);
  if (from === PARENT) {
    if (v.natUnowned) counters[PARENT * COUNTER_COLUMNS + NAT_UNOWNED] += 1;
    if (!v.natIn) return false;
    // natDeliver's unicast row is the last one (after any source copies, which get the frame as rewritten)
    natRewriteIn(t, v.port[n - 1], b, at, len);
    counters[v.port[n - 1] * COUNTER_COLUMNS + NAT_REWRITTEN] += 1;
    return false;
  }
  // queueXmit writes the wire row last
  if (n === 0 || v.kind[n - 1] !== Egress.WIRE || v.drop[n - 1] !== 0) return false;
  counters[from * COUNTER_COLUMNS + NAT_REWRITTEN] += 1;
  if (n > 1) return true;
  natRewriteOut(t, b, at, len);
  return false;
}
