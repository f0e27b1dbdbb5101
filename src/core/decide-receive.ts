// A frame from the wire (macvlan_handle_frame): the source-mode copies, then a group destination (I2–I6) or a unicast
// one (I7–I11). The steps follow the kernel's order, which is observable (decide.ts's theory).

import { BROADCAST_HI, BROADCAST_LO, ETH, ETHERTYPE_PAUSE, etherType, macHiAt, macLoAt } from '../wire/ethernet.js';
import { Drop, Egress, Flag, Mode } from './constants.js';
import type { VerdictApi } from './contract.js';
import type { PortTable } from './port-table.js';
import * as flood from './decide-flood.js';
import * as rows from './verdict-rows.js';

// Module-own names for what is called per frame (decide.ts says why)
const { broadcast, floodMask, inBcFilter, inMcFilter } = flood;
const { emit } = rows;

/** Origins whose reflected group frames go back to them only (I3, "forward to original port") */
const ORIGIN_ONLY_MODES = Mode.PRIVATE | Mode.PASSTHRU | Mode.SOURCE;
const DST = ETH.DST;
const SRC = ETH.SRC;

/**
 * macvlan_forward_source: one copy per UP source child listing the source MAC (hi, lo), then whether any listing
 * child (UP or not) has NODST, in which case the caller consumes the frame (SR3, SR4).
 */
export function forwardSource(t: PortTable, hi: number, lo: number, v: VerdictApi): boolean {
  let nodst = false;
  const sources = t.sources;
  for (let e = sources.headHL(hi, lo); e >= 0; e = sources.next[e]) {
    const c = sources.child[e];
    if (t.used[c] === 1 && t.up[c] === 1 && t.mode[c] === Mode.SOURCE) emit(v, c, Egress.SOURCE_COPY, Drop.NONE);
    if ((t.flags[c] & Flag.NODST) !== 0) nodst = true;
  }
  return nodst;
}

/** macvlan_handle_frame, group destination (I2–I6) */
export function multicastRx(t: PortTable, b: Uint8Array, at: number, v: VerdictApi): number {
  const sHi = macHiAt(b, at + SRC);
  const sLo = macLoAt(b, at + SRC);
  // I2: source-mode copies first; NODST consumes the frame, P-stack included
  if (forwardSource(t, sHi, sLo, v)) {
    v.reason = Drop.NODST;
    return v.n;
  }
  // I3: a reflected frame of a private/passthru/source child goes back to it only, no filter, no P-stack
  const origin = t.lookupHL(sHi, sLo);
  if (origin >= 0 && (t.mode[origin] & ORIGIN_ONLY_MODES) !== 0) {
    emit(v, origin, Egress.ORIGIN_ONLY, Drop.NONE);
    return v.n;
  }
  // I4/I5: the parent's stack gets it whatever happens below (RX_HANDLER_PASS)
  v.toHost = true;
  const dHi = macHiAt(b, at + DST);
  const dLo = macLoAt(b, at + DST);
  const bc = dHi === BROADCAST_HI && dLo === BROADCAST_LO;
  const g = bc ? -1 : t.groups.ofHL(dHi, dLo);
  let flood = false;
  if (inBcFilter(t, bc, g)) {
    // macvlan_broadcast_enqueue: a queue limit of 0 admits nothing
    if (t.bcQueueLimit === 0) {
      v.reason = Drop.QUEUE_FULL;
      v.parentRxDropped = true;
    } else {
      v.queued = true;
      v.queueOrigin = origin;
      v.queueMask = floodMask(t, origin);
      // the caller queues the frame, not its copies: floodQueued() makes them when it is drained
      if (v.defer) return v.n;
      flood = true;
    }
  } else {
    flood = inMcFilter(t, bc, g);
  }
  // I6: macvlan_multicast_rx → macvlan_broadcast; PAUSE frames are never flooded
  if (flood && etherType(b, at) !== ETHERTYPE_PAUSE) {
    broadcast(t, v, bc, g, floodMask(t, origin), origin, Egress.FLOOD, 0);
  }
  if (v.n === 0 && v.reason === Drop.NONE) v.reason = Drop.MODE_FORBIDS;
  return v.n;
}

/** macvlan_handle_frame, unicast destination (I7–I11) */
export function unicastRx(t: PortTable, b: Uint8Array, at: number, v: VerdictApi): number {
  // I7: as I2
  if (forwardSource(t, macHiAt(b, at + SRC), macLoAt(b, at + SRC), v)) {
    v.reason = Drop.NODST;
    return v.n;
  }
  // I8: a passthru port sends all unicast to its child, whatever the destination, even while the child is DOWN
  const target = t.passthru !== 0 ? t.passthru : t.lookupHL(macHiAt(b, at + DST), macLoAt(b, at + DST));
  // I9: nobody (or a source child, never a destination): RX_HANDLER_PASS
  if (target < 0 || t.mode[target] === Mode.SOURCE) {
    v.reason = Drop.NO_DESTINATION;
    v.toHost = true;
    return v.n;
  }
  // I10: only a passthru target can be DOWN here; the kernel drops it silently
  if (t.up[target] === 0) {
    v.reason = Drop.PASSTHRU_DOWN;
    return v.n;
  }
  // I11
  emit(v, target, Egress.UNICAST, Drop.NONE);
  return v.n;
}
