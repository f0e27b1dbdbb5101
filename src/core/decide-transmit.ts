// A frame from a child (macvlan_start_xmit → macvlan_queue_xmit, X0–X4): to the wire, or to bridge siblings.

import {
  BROADCAST_HI, BROADCAST_LO, ETH, ETH_OVERHEAD, ETHERTYPE_PAUSE, etherType, isGroupDst, macHiAt, macLoAt,
} from '../wire/ethernet.js';
import { Drop, Egress, Mode, PARENT } from './constants.js';
import type { VerdictApi } from './contract.js';
import type { PortTable } from './port-table.js';
import * as flood from './decide-flood.js';
import * as receive from './decide-receive.js';
import * as rows from './verdict-rows.js';

// Module-own names for what is called per frame (decide.ts says why)
const { broadcast } = flood;
const { forwardSource } = receive;
const { emit } = rows;

const DST = ETH.DST;
const SRC = ETH.SRC;

/** macvlan_start_xmit → macvlan_queue_xmit (X0–X4) */
export function queueXmit(t: PortTable, from: number, b: Uint8Array, at: number, len: number, gso: boolean,
  v: VerdictApi): number {
  // X0: without carrier the child's qdisc drops it before macvlan
  if (!t.parentCarrier) {
    v.reason = Drop.LINK_DOWN;
    return 0;
  }
  if (!gso && len > t.mtu[from] + ETH_OVERHEAD) {
    v.reason = Drop.OVERSIZE;
    return 0;
  }
  if (t.mode[from] === Mode.BRIDGE) {
    const dHi = macHiAt(b, at + DST);
    const dLo = macLoAt(b, at + DST);
    if (isGroupDst(b, at)) {
      // X1: bridge siblings first, synchronously, each through __dev_forward_skb (receiver MTU); then the wire
      if (etherType(b, at) !== ETHERTYPE_PAUSE) {
        const bc = dHi === BROADCAST_HI && dLo === BROADCAST_LO;
        broadcast(t, v, bc, bc ? -1 : t.groups.ofHL(dHi, dLo), Mode.BRIDGE, from, Egress.LOCAL_FLOOD, gso ? 0 : len);
      }
      emit(v, PARENT, Egress.WIRE, Drop.NONE);
      return v.n;
    }
    const j = t.lookupHL(dHi, dLo);
    if (j >= 0 && t.mode[j] === Mode.BRIDGE) {
      // X2: dev_forward_skb(P) re-injects it into P's receive path; P refuses it when down or over its MTU
      if (!t.parentUp) {
        v.reason = Drop.PARENT_DOWN;
        v.parentRxDropped = true;
        return 0;
      }
      if (!gso && len > t.mtu[PARENT] + ETH_OVERHEAD) {
        v.reason = Drop.MTU_EXCEEDED;
        v.parentRxDropped = true;
        return 0;
      }
      // ... then macvlan_handle_frame's unicast steps run on it: source copies by the sender's MAC (SR6), I11
      if (forwardSource(t, macHiAt(b, at + SRC), macLoAt(b, at + SRC), v)) {
        v.reason = Drop.NODST;
        return v.n;
      }
      emit(v, j, Egress.LOCAL_UNICAST, Drop.NONE);
      return v.n;
    }
  }
  // X3/X4: everything else goes to the wire, source MAC unchanged
  emit(v, PARENT, Egress.WIRE, Drop.NONE);
  return v.n;
}
