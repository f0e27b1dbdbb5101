// Verdict: where one frame goes, written by decide() into arrays the caller allocates once and reuses.

import { MAX_CHILDREN } from './constants.js';
import type { VerdictApi } from './contract.js';

/**
 * Capacity bound: a frame from the parent can produce one source copy per child (each child lists a source MAC at
 * most once) plus one flood copy per child; a frame from a child at most one copy per sibling plus the wire.
 * So 2 × maxChildren + 2 always suffices. decide() does not check capacity on the hot path: size the verdict for the
 * table (`new Verdict(2 * t.maxChildren + 2)` or the default for MAX_CHILDREN).
 */
export class Verdict implements VerdictApi {
  n = 0;
  reason = 0;
  toHost = false;
  parentRxDropped = false;
  defer = false;
  queued = false;
  queueOrigin = -1;
  queueMask = 0;
  natIn = false;
  natUnowned = false;
  learnKind = 0;
  learnSlot = 0;
  learnAt = 0;
  learnLen = 0;
  learnLease = 0;
  learnEntry = -1;
  readonly port: Int16Array;
  readonly kind: Uint8Array;
  readonly drop: Uint8Array;

  constructor(capacity: number = 2 * MAX_CHILDREN + 2) {
    this.port = new Int16Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.drop = new Uint8Array(capacity);
  }

  /** Capacity needed for a table of `maxChildren` children */
  static capacityFor(maxChildren: number): number {
    return 2 * maxChildren + 2;
  }
}
