// The transmit list of one batch: views of received frames (no copy) and where each goes.
// Sized once; the loop flushes it early when a flood would overflow it.

import type { TxList } from '../io/contract.js';

export class Tx implements TxList {
  count = 0;
  readonly port: Int16Array;
  readonly region: Uint8Array;
  readonly at: Uint32Array;
  readonly len: Uint32Array;
  readonly result: Int32Array;
  /** Egress kind of each entry, so a failed send is counted the way the copy would have been */
  readonly kind: Uint8Array;
  /** Ingress port of the frame: a failed WIRE copy is charged to the child that sent it */
  readonly sender: Int16Array;

  constructor(readonly capacity: number) {
    this.sender = new Int16Array(capacity);
    this.port = new Int16Array(capacity);
    this.region = new Uint8Array(capacity);
    this.at = new Uint32Array(capacity);
    this.len = new Uint32Array(capacity);
    this.result = new Int32Array(capacity);
    this.kind = new Uint8Array(capacity);
  }
}

export class Rx {
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
