// One batch through the decision: received views in, transmit views out, counters updated.
// Runs once per poll in the worker. Nothing here allocates: the verdict, the lists and the counters are owned by the
// caller and reused; a frame is (region, at, len) from receipt to transmission, or, when the broadcast queue takes
// it, one copy in the flood queue until it is drained (flood-queue.ts).

import type { PortTable } from '../core/port-table.js';
import type { Verdict } from '../core/verdict.js';
import { decide, floodQueued, refuse } from '../core/decide.js';
import { vnetSane } from '../core/gso.js';
import { Drop, Egress, PARENT } from '../core/constants.js';
import { natRewriteOut } from '../core/nat-rewrite.js';
import { countVerdict, countTxResult } from '../core/counters.js';
import { isGso } from '../wire/virtio-net.js';
import { ETH } from '../wire/ethernet.js';
import type { EngineApi, RxBatch } from '../io/contract.js';
import type { Tx } from './tx-list.js';
import { Dir, type Direction } from '../core/direction.js';
import { FLOOD_COPY_BUDGET, FLOOD_QUEUE_MAX, type FloodQueue } from './flood-queue.js';
import { natFrame, type NatLearner } from './nat-forward.js';
import type { GroStage } from './gro.js';

/** What the worker needs to hand frames to a capture, if one is running. */
export interface CaptureTap {
  offer(port: number, direction: Direction, buf: Uint8Array, at: number, len: number, tsNs: number): boolean;
}

export interface BatchState {
  table: PortTable;
  verdict: Verdict;
  tx: Tx;
  counters: Float64Array;
  regions: readonly Uint8Array[];
  capture: CaptureTap | null;
  /** The broadcast queue; null floods a queued frame at once, in order (the verdict must then not defer) */
  flood?: FloodQueue | null;
  /** --mac-nat: where learned addresses are posted (null: learn nothing; the rewrite happens regardless) */
  learner?: NatLearner | null;
  /** Userspace GRO toward the children (gro.ts; the transmit list must have gather arrays); null/absent: off */
  gro?: GroStage | null;
}

export function forwardBatch(s: BatchState, rx: RxBatch, engine: EngineApi, tsNs: number): void {
  const { table, verdict: v, tx, counters, regions, capture } = s;
  const q = s.flood ?? null;
  const learner = s.learner ?? null;
  if (table.natOn && learner !== null) learner.begin();
  for (let i = 0; i < rx.count; i++) {
    const from = rx.port[i];
    const r = rx.region[i];
    const at = rx.at[i];
    const len = rx.len[i];
    const b = regions[r];
    // The vnet header precedes every frame, even a runt, so reading its GSO byte is always in bounds.
    const gso = len >= ETH.HLEN && isGso(b, at);
    // A child's header is the child's word: checked before anything is decided on it (core/gso.ts)
    const n = from !== PARENT && len >= ETH.HLEN && !vnetSane(table, b, at, len) ? refuse(v, Drop.BAD_GSO)
      : decide(table, from, b, at, len, gso, v);
    if (v.queued && q !== null) {
      const limit = table.bcQueueLimit < FLOOD_QUEUE_MAX ? table.bcQueueLimit : FLOOD_QUEUE_MAX;
      if (!q.offer(limit, b, at, len, v.queueOrigin, v.queueMask, n)) {
        // macvlan_broadcast_enqueue at its limit: the parent's rx_dropped (the P-stack had it anyway)
        v.reason = Drop.QUEUE_FULL;
        v.parentRxDropped = true;
      }
    }
    countVerdict(counters, v, from, len);
    if (capture !== null) capture.offer(from, Dir.IN, b, at, len, tsNs);
    // --mac-nat: learning, counting and the rewrite, after the ingress capture (each port's capture shows its view)
    if (table.natOn && natFrame(table, v, from, b, at, len, n, counters, learner)) {
      // siblings and the wire: the siblings' views are sent before the bytes change for the wire (nat-forward.ts)
      if (tx.count + n > tx.capacity) flush(s, engine, tsNs);
      for (let k = 0; k < n - 1; k++) if (v.drop[k] === 0) queue(tx, v.port[k], v.kind[k], from, r, at, len);
      flush(s, engine, tsNs);
      natRewriteOut(table, b, at, len);
      queue(tx, PARENT, Egress.WIRE, from, r, at, len);
      continue;
    }
    if (n === 0) continue;
    if (tx.count + n > tx.capacity) flush(s, engine, tsNs);
    for (let k = 0; k < n; k++) if (v.drop[k] === 0) queue(tx, v.port[k], v.kind[k], from, r, at, len);
  }
  flush(s, engine, tsNs);
  if (q !== null && q.count > 0) drain(s, q, engine, tsNs);
}

function queue(tx: Tx, port: number, kind: number, from: number, r: number, at: number, len: number): void {
  const j = tx.count++;
  tx.port[j] = port;
  tx.kind[j] = kind;
  tx.sender[j] = from;
  tx.region[j] = r;
  tx.at[j] = at;
  tx.len[j] = len;
}

/**
 * Floods the oldest queued frames to the children the table names now, up to FLOOD_COPY_BUDGET copies (at least
 * one frame), then forgets them: their bytes stay valid until their copies are sent.
 */
export function drain(s: BatchState, q: FloodQueue, engine: EngineApi, tsNs: number): void {
  const { table, verdict: v, tx, counters } = s;
  let budget = FLOOD_COPY_BUDGET;
  let taken = 0;
  while (taken < q.count && budget > 0) {
    const i = q.index(taken);
    const len = q.len[i];
    const at = q.at[i];
    const n = floodQueued(table, q.bytes, at, q.origin[i], q.mask[i], q.made[i], v);
    countVerdict(counters, v, PARENT, len);
    if (tx.count + n > tx.capacity) flush(s, engine, tsNs);
    for (let k = 0; k < n; k++) {
      const j = tx.count++;
      tx.port[j] = v.port[k];
      tx.kind[j] = v.kind[k];
      tx.sender[j] = PARENT;
      tx.region[j] = q.region;
      tx.at[j] = at;
      tx.len[j] = len;
    }
    budget -= n > 0 ? n : 1;
    taken++;
  }
  flush(s, engine, tsNs);
  q.shift(taken);
}

/** Counts the WIRE copies the engine reported failed after send() returned (tx.late, written by its last poll), as
 *  flush() counts a failed result: charged to the child that sent the frame. */
export function countLate(s: BatchState): void {
  const late = s.tx.late;
  const n = late.count[0];
  for (let i = 0; i < n; i++) countTxResult(s.counters, PARENT, Egress.WIRE, late.len[i], false, late.sender[i]);
  late.count[0] = 0;
}

/** Sends what is queued and counts the copies the I/O layer could not deliver (a TAP that is down, a full queue). */
export function flush(s: BatchState, engine: EngineApi, tsNs: number): void {
  const { tx, counters, capture, regions } = s;
  if (tx.count === 0) return;
  const gro = s.gro ?? null;
  // Segments for one child become one frame (gro.ts); each entry still gets its own result, counted and captured
  // as the segment it is.
  const merged = gro !== null ? gro.plan(tx, regions) : 0;
  engine.send(tx);
  if (merged > 0) gro!.settle(tx);
  for (let j = 0; j < tx.count; j++) {
    const ok = tx.result[j] >= 0;
    if (!ok) countTxResult(counters, tx.port[j], tx.kind[j], tx.len[j], false, tx.sender[j]);
    else if (capture !== null) capture.offer(tx.port[j], Dir.OUT, regions[tx.region[j]], tx.at[j], tx.len[j], tsNs);
  }
  tx.count = 0;
}
