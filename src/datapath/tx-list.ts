// The batch lists of the worker: received frames, and views of them (no copy) with where each goes.
// Sized once; the loop flushes the transmit list early when a flood would overflow it.

import type { LateFailures, RxBatch, TxGather, TxList } from '../io/contract.js';

export class Rx implements RxBatch {
  count = 0;
  readonly port: Int16Array;
  readonly region: Uint8Array;
  readonly at: Uint32Array;
  readonly len: Uint32Array;
  constructor(readonly capacity: number) {
    this.port = new Int16Array(capacity);
    this.region = new Uint8Array(capacity);
    this.at = new Uint32Array(capacity);
    this.len = new Uint32Array(capacity);
  }
}

export class Tx extends Rx implements TxList {
  readonly result: Int32Array;
  /** Egress kind of each entry, so a failed send is counted the way the copy would have been */
  readonly kind: Uint8Array;
  /** Ingress port of the frame: a failed WIRE copy is charged to the child that sent it */
  readonly sender: Int16Array;
  /** WIRE copies that failed after send() (the engine's sender thread), written by the engine at each poll */
  readonly late: LateFailures;

  /** Gather writes (userspace GRO, datapath/gro.ts); absent: every entry is written as it is */
  readonly gather?: TxGather;

  /** `pieces` > 0: room for that many gather pieces per send */
  constructor(capacity: number, pieces = 0) {
    super(capacity);
    if (pieces > 0) {
      this.gather = { count: new Uint16Array(capacity), first: new Uint32Array(capacity), region: new Uint8Array(pieces),
        at: new Uint32Array(pieces), len: new Uint32Array(pieces) };
    }
    this.result = new Int32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.sender = new Int16Array(capacity);
    this.late = { count: new Uint32Array(1), sender: new Int16Array(capacity), len: new Uint32Array(capacity), err: new Int32Array(capacity) };
  }
}
