// The datapath worker: one thread that does its own I/O. poll → decide → send, in batches, until asked to stop.
// Control changes arrive as messages but are read synchronously between batches (receiveMessageOnPort), only when
// the control thread has bumped the POSTED generation: an idle check costs one Atomics.load per batch.

import { parentPort, workerData, receiveMessageOnPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { PortTable } from '../core/port-table.js';
import { Verdict } from '../core/verdict.js';
import { openEngine, Region } from '../io/engine.js';
import type { EngineApi } from '../io/contract.js';
import { countLate, forwardBatch, type BatchState } from './forward.js';
import { Rx, Tx } from './tx-list.js';
import { CTL, applyTableOp, type ToWorker, type WorkerInit, type FromWorker } from './messages.js';
import { CaptureRing } from '../capture/ring.js';
import { collectEngineStats } from './engine-stats.js';
import { FloodQueue, FLOOD_QUEUE_BYTES } from './flood-queue.js';
import { NatLearner } from './nat-forward.js';
import { GRO_MAX_RUNS, GRO_SCRATCH_BYTES, GroStage } from './gro.js';

const init = workerData as WorkerInit;
const post = (m: FromWorker): void => parentPort!.postMessage(m);

/** Broadcast to every child of a full table is ~4k copies: room for a batch of those before an early flush. */
const TX_CAPACITY = 65536;
/** How long poll() sleeps when nothing comes: the longest a change posted by the control side waits to be applied
 *  (Datapath.settled()) and a stop to be seen, while the daemon is in use. */
const IDLE_WAIT_MS = 20;
/** After this many empty waits in a row (about a second of nothing: no frame, no change), the worker sleeps longer:
 *  an idle daemon then wakes 10 times a second instead of 50, which is most of its idle CPU. The first frame or
 *  change brings the short wait back. */
const QUIET_POLLS = 50;
const QUIET_WAIT_MS = 100;

function apply(table: PortTable, engine: EngineApi, s: BatchState, m: ToWorker): void {
  switch (m.op) {
    case 'table': applyTableOp(table, m); break;
    case 'attach': engine.attachTap(m.port, m.fd); break;
    case 'detach': engine.detachTap(m.port); break;
    case 'membership': engine.membership(m.kind, m.add, 'mac' in m ? m.mac : undefined); break;
    case 'capture': s.capture = m.sab === null ? null : CaptureRing.attach(m.sab); break;
    case 'stats': collectEngineStats(engine, new Float64Array(m.sab)); break;
  }
}

/** Removes from the batch the frames of ports marked in `gone`, keeping the others in order. */
function dropDetached(rx: Rx, gone: Uint8Array): void {
  let k = 0;
  for (let i = 0; i < rx.count; i++) {
    if (gone[rx.port[i]] === 1) continue;
    rx.port[k] = rx.port[i]; rx.region[k] = rx.region[i]; rx.at[k] = rx.at[i]; rx.len[k] = rx.len[i];
    k++;
  }
  rx.count = k;
}

function run(): void {
  let engine: EngineApi;
  try {
    // scratch: the flood queue's bytes, then the merged headers of GRO
    engine = openEngine({ parent: init.parent, batch: init.batch, busyPollUs: init.busyPollUs,
      scratchBytes: FLOOD_QUEUE_BYTES + GRO_SCRATCH_BYTES });
  } catch (e) {
    const err = e as Error & { code?: string };
    post({ type: 'error', message: err.message, code: err.code });
    return;
  }
  const table = PortTable.fromSnapshot(init.table);
  const ctl = new Int32Array(init.control);
  const verdict = new Verdict(2 * table.maxChildren + 2);
  verdict.defer = true;  // queued floods go through the flood queue (forwarding.md §3.4)
  const scratch = engine.regions[Region.SCRATCH];
  const flood = new FloodQueue(scratch.subarray(0, FLOOD_QUEUE_BYTES), Region.SCRATCH);
  const gro = init.gro ? new GroStage(table.maxChildren + 1, TX_CAPACITY, scratch, Region.SCRATCH, FLOOD_QUEUE_BYTES) : null;
  const s: BatchState = {
    table,
    verdict,
    // a merged frame takes one piece per segment and one for its header
    tx: new Tx(TX_CAPACITY, gro !== null ? TX_CAPACITY + GRO_MAX_RUNS : 0),
    counters: new Float64Array(init.counters),
    regions: engine.regions,
    capture: null,
    flood,
    learner: new NatLearner(post, () => performance.now() / 1000),
    gro,
  };
  const rx = new Rx(init.batch);
  let seen = 0;
  // Ports detached by the changes applied after a poll: their frames already in the batch are not forwarded (the
  // child is gone, or its slot already names another child).
  const detached = new Uint8Array(table.maxChildren + 1);
  let anyDetached = false;
  let emptyPolls = 0;
  // Parent memberships (PACKET_ADD/DROP_MEMBERSHIP) wait until the batch they arrived with is forwarded: each is a
  // setsockopt that can take the device's address lock and change its promiscuity (hundreds of µs), and the frames
  // of that batch are already here — a child set UP gets its first frame without waiting for them. In order, and
  // APPLIED (what settled() waits for) moves only once they are done.
  const deferred: ToWorker[] = [];
  let deferredPosted = -1;
  const applyOne = (msg: ToWorker): void => {
    try { apply(table, engine, s, msg); } catch (e) {
      post({ type: 'error', message: `applying ${msg.op}: ${(e as Error).message}` });
    }
  };
  const markApplied = (posted: number): void => {
    Atomics.store(ctl, CTL.APPLIED, posted);
    Atomics.notify(ctl, CTL.APPLIED);
  };
  const applyDeferred = (): void => {
    if (deferredPosted < 0) return;
    for (const msg of deferred) applyOne(msg);
    deferred.length = 0;
    markApplied(deferredPosted);
    deferredPosted = -1;
  };
  const applyPosted = (beforeBatch: boolean): void => {
    const posted = Atomics.load(ctl, CTL.POSTED);
    if (posted === seen) return;
    emptyPolls = 0;
    for (let m = receiveMessageOnPort(init.port); m !== undefined; m = receiveMessageOnPort(init.port)) {
      const msg = m.message as ToWorker;
      if (msg.op === 'detach' && msg.port >= 0 && msg.port < detached.length) { detached[msg.port] = 1; anyDetached = true; }
      if (msg.op === 'membership' && (beforeBatch || deferred.length > 0)) deferred.push(msg);
      else applyOne(msg);
    }
    seen = posted;
    if (deferred.length > 0) deferredPosted = posted;
    else markApplied(posted);
  };
  post({ type: 'ready', ifindex: engine.parentIfindex });
  try {
    while (Atomics.load(ctl, CTL.STOP) === 0) {
      applyPosted(false);
      applyDeferred();
      // Detached before this poll: the engine no longer reads those ports, so nothing of theirs can be in it.
      if (anyDetached) { detached.fill(0); anyDetached = false; }
      // While floods wait, poll without sleeping: the batch after this one drains more of them
      const wait = flood.count > 0 ? 0 : emptyPolls < QUIET_POLLS ? IDLE_WAIT_MS : QUIET_WAIT_MS;
      const got = engine.poll(rx, wait);
      if (s.tx.late.count[0] > 0) countLate(s);
      if (got > 0 || flood.count > 0) {
        emptyPolls = 0;
        // A change posted while poll() waited (a child set up a moment before its first frame) applies to this
        // batch: the batch after the post, as the kernel's change applies to the next frame.
        applyPosted(true);
        if (anyDetached) { dropDetached(rx, detached); detached.fill(0); anyDetached = false; }
        // One timestamp per batch (as passt's pcap does): a clock read per frame would cost more than the capture.
        const tsNs = s.capture === null ? 0 : Math.round((performance.timeOrigin + performance.now()) * 1e6);
        forwardBatch(s, rx, engine, tsNs);
        applyDeferred();
      } else if (emptyPolls < QUIET_POLLS) {
        emptyPolls++;
      }
    }
  } catch (e) {
    post({ type: 'error', message: `datapath: ${(e as Error).message}` });
  } finally {
    engine.close();
    post({ type: 'stopped' });
  }
}

run();
