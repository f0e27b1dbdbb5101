// Writing a verdict: cleared before a decision, refused outright, or one (port, kind, drop) row appended. decide()
// and its steps (decide-*.ts) add rows through emit() and the flood loop (decide-flood.ts) alone.

import { Drop } from './constants.js';
import type { VerdictApi } from './contract.js';

/** A verdict with nothing decided yet: no copies, no reason, nothing for the host, nothing queued. */
export function clearVerdict(v: VerdictApi): void {
  v.n = 0;
  v.reason = Drop.NONE;
  v.toHost = false;
  v.parentRxDropped = false;
  v.queued = false;
}

/** A verdict that sends nothing, for a frame refused before the decision (a bad virtio-net header, say) */
export function refuse(v: VerdictApi, reason: number): number {
  v.n = 0;
  v.reason = reason;
  v.toHost = false;
  v.parentRxDropped = false;
  v.queued = false;
  return 0;
}

/** One copy: `port` gets the frame as `kind` (Egress), or counts it as `drop` */
export function emit(v: VerdictApi, port: number, kind: number, drop: number): void {
  const n = v.n;
  v.port[n] = port;
  v.kind[n] = kind;
  v.drop[n] = drop;
  v.n = n + 1;
}
