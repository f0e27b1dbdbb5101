// decide(): where one frame goes under the kernel's macvlan rules. Pure: reads the PortTable and the frame's
// header, writes a Verdict. The rules, step by step, are docs/forwarding.md (and its §6 for umacvlan's own checks).

/*
 * Theory of operation
 *
 * The kernel decides and delivers in the same loops (skb_clone, netif_rx, counting inside macvlan_broadcast). We
 * only decide: every copy the kernel would make becomes one (port, kind, drop) row in the verdict, and the datapath
 * delivers and counts afterwards. That split is what lets this function be tested exhaustively without a kernel.
 *
 * The branches follow the kernel functions in the kernel's order, because the order is observable: source-mode
 * copies are made before NODST consumes the frame; the origin check comes before the port filters; the passthru
 * target is chosen before the UP check. Each branch names the function and the spec step it mirrors.
 *
 * Hot path rules: no allocation, no closures, no strings, no throw. MACs are read as (hi 16 bits, lo 32 bits) pairs
 * of small integers (a 48-bit double crossing a call V8 does not inline is boxed, i.e. allocated, which
 * bench/core-gc.ts showed), the table is typed arrays, and egress rows are written in ascending slot order (source
 * copies first, then the flood or the target), so a verdict is a function of (table, frame) alone.
 */

import {
  BROADCAST_HI, BROADCAST_LO, ETH, ETH_OVERHEAD, ETHERTYPE_PAUSE, VLAN_TCI, VLAN_VID_MASK, etherType, isGroupDst,
  macHiAt, macLoAt,
} from '../wire/ethernet.js';
import { Drop, Egress, Flag, Mode, PARENT } from './constants.js';
import type { VerdictApi } from './contract.js';
import type { PortTable } from './port-table.js';
import { natClear, natDeliver, natDhcpAck, natSourceOk, toParentMac } from './nat-decide.js';

/** Modes an external origin's group frame floods to (macvlan_multicast_rx, src == NULL) */
export const MASK_EXTERNAL = Mode.PRIVATE | Mode.VEPA | Mode.BRIDGE | Mode.PASSTHRU;
/** ... when the origin is a vepa child */
export const MASK_FROM_VEPA = Mode.VEPA | Mode.BRIDGE;
/** ... when the origin is a bridge child: its bridge siblings already had it from X1 */
export const MASK_FROM_BRIDGE = Mode.VEPA;
/** Origins whose reflected group frames go back to them only (I3, "forward to original port") */
const ORIGIN_ONLY_MODES = Mode.PRIVATE | Mode.PASSTHRU | Mode.SOURCE;

const DST = ETH.DST;
const SRC = ETH.SRC;

/** A verdict with nothing decided yet: no copies, no reason, nothing for the host, nothing queued. */
function clearVerdict(v: VerdictApi): void {
  v.n = 0;
  v.reason = Drop.NONE;
  v.toHost = false;
  v.parentRxDropped = false;
  v.queued = false;
}

export function decide(t: PortTable, from: number, b: Uint8Array, at: number, len: number, gso: boolean,
  v: VerdictApi): number {
  clearVerdict(v);
  if (len < ETH.HLEN) {
    v.reason = Drop.RUNT;
    return 0;
  }
  if (from !== PARENT) return t.natOn ? natXmit(t, from, b, at, len, gso, v) : queueXmit(t, from, b, at, len, gso, v);
  // Before macvlan's rules, as vlan_do_receive runs before the rx_handler: a tag the host terminates is its own.
  if (t.vlan.count !== 0 && len >= VLAN_TCI + 2 && t.vlan.has(etherType(b, at), ((b[at + VLAN_TCI] << 8) | b[at + VLAN_TCI + 1]) & VLAN_VID_MASK)) {
    v.reason = Drop.VLAN_CLAIMED;
    return 0;
  }
  if (t.natOn) return natRx(t, b, at, len, v);
  if (isGroupDst(b, at)) return multicastRx(t, b, at, v);
  return unicastRx(t, b, at, v);
}

/** --mac-nat, from the wire: macvlan's rules, then what they left to the parent's stack for the owning child */
function natRx(t: PortTable, b: Uint8Array, at: number, len: number, v: VerdictApi): number {
  natClear(v);
  natDhcpAck(t, b, at, len, v);
  if (isGroupDst(b, at)) return multicastRx(t, b, at, v);
  const n = unicastRx(t, b, at, v);
  if (v.reason !== Drop.NO_DESTINATION || !toParentMac(t, b, at)) return n;
  return natDeliver(t, b, at, len, v, Egress.UNICAST, Drop.NO_DESTINATION);
}

/** --mac-nat, from a child: refused when it sends from another child's address; macvlan's rules otherwise */
function natXmit(t: PortTable, from: number, b: Uint8Array, at: number, len: number, gso: boolean,
  v: VerdictApi): number {
  natClear(v);
  if (!natSourceOk(t, from, b, at, len, v)) {
    v.reason = Drop.NAT_CONFLICT;
    return 0;
  }
  return queueXmit(t, from, b, at, len, gso, v);
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

/** The flood mask for a group frame by its origin (Table 1.3). Origin < 0 is external. */
export function floodMask(t: PortTable, origin: number): number {
  if (origin < 0) return MASK_EXTERNAL;
  return t.mode[origin] === Mode.VEPA ? MASK_FROM_VEPA : MASK_FROM_BRIDGE;
}

/** bc_filter: which group frames take the broadcast queue (§3.1, §3.3). A negative cutoff empties it, even for a
 *  promiscuous parent; otherwise broadcast and groups held by more than bc_cutoff UP children, or every group when
 *  the parent is PROMISC or ALLMULTI (by itself or through a child). */
export function inBcFilter(t: PortTable, bc: boolean, g: number): boolean {
  if (t.bcCutoff < 0) return false;
  return t.allGroups || bc || (g >= 0 && t.groups.held[g] > t.bcCutoff);
}

/** mc_filter: which group frames are flooded at once when not queued (§3.1) */
export function inMcFilter(t: PortTable, bc: boolean, g: number): boolean {
  return t.allGroups || bc || (g >= 0 && t.groups.held[g] >= 1);
}

function emit(v: VerdictApi, port: number, kind: number, drop: number): void {
  const n = v.n;
  v.port[n] = port;
  v.kind[n] = kind;
  v.drop[n] = drop;
  v.n = n + 1;
}

/**
 * macvlan_forward_source: one copy per UP source child listing the source MAC (hi, lo), then whether any listing
 * child (UP or not) has NODST, in which case the caller consumes the frame (SR3, SR4).
 */
function forwardSource(t: PortTable, hi: number, lo: number, v: VerdictApi): boolean {
  let nodst = false;
  const sources = t.sources;
  for (let e = sources.headHL(hi, lo); e >= 0; e = sources.next[e]) {
    const c = sources.child[e];
    if (t.used[c] === 1 && t.up[c] === 1 && t.mode[c] === Mode.SOURCE) emit(v, c, Egress.SOURCE_COPY, Drop.NONE);
    if ((t.flags[c] & Flag.NODST) !== 0) nodst = true;
  }
  return nodst;
}

/**
 * macvlan_broadcast: every UP child other than `skip` whose mode is in `mask` and whose filter accepts D: D is
 * broadcast, or the child is PROMISC or ALLMULTI, or it lists D (exact sets, no hash). The filter is written out in
 * the loop over arrays read once per call, because this loop runs once per copy and is the hottest code of the
 * core. With `mtuLen` > 0 each copy is also held to the receiver's MTU (__dev_forward_skb on the bridge-local path).
 * The caller has already refused PAUSE frames.
 */
function broadcast(t: PortTable, v: VerdictApi, bc: boolean, g: number, mask: number, skip: number, kind: number,
  mtuLen: number): void {
  const list = t.upList;
  const count = t.upCount;
  const mode = t.mode;
  const promisc = t.promisc;
  const allmulti = t.allmulti;
  const mtu = t.mtu;
  const bits = t.groups.bits;
  const base = g >= 0 ? g * t.groups.words : -1;
  const port = v.port;
  const kinds = v.kind;
  const drops = v.drop;
  let n = v.n;
  for (let k = 0; k < count; k++) {
    const j = list[k];
    if (j === skip || (mode[j] & mask) === 0) continue;
    if (!bc && promisc[j] === 0 && allmulti[j] === 0 && (base < 0 || ((bits[base + (j >>> 5)] >>> (j & 31)) & 1) === 0)) {
      continue;
    }
    port[n] = j;
    kinds[n] = kind;
    drops[n] = mtuLen > mtu[j] + ETH_OVERHEAD ? Drop.MTU_EXCEEDED : Drop.NONE;
    n++;
  }
  v.n = n;
}

/** macvlan_handle_frame, group destination (I2–I6) */
function multicastRx(t: PortTable, b: Uint8Array, at: number, v: VerdictApi): number {
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

/**
 * macvlan_process_broadcast: one queued frame flooded now, to the children the table names now (§3.4), skipping its
 * origin. `made` is how many copies (source copies) its verdict had when it was queued: a frame that got none then
 * and none now counts `mode_forbids`, as one decided at once would. The origin's mask was taken when it was queued
 * (the kernel reads it from the held device at drain time; a mode change in between is not followed).
 */
export function floodQueued(t: PortTable, b: Uint8Array, at: number, origin: number, mask: number, made: number,
  v: VerdictApi): number {
  clearVerdict(v);
  if (etherType(b, at) !== ETHERTYPE_PAUSE) {
    const dHi = macHiAt(b, at + DST);
    const dLo = macLoAt(b, at + DST);
    const bc = dHi === BROADCAST_HI && dLo === BROADCAST_LO;
    broadcast(t, v, bc, bc ? -1 : t.groups.ofHL(dHi, dLo), mask, origin, Egress.FLOOD, 0);
  }
  if (v.n === 0 && made === 0) v.reason = Drop.MODE_FORBIDS;
  return v.n;
}

/** macvlan_handle_frame, unicast destination (I7–I11) */
function unicastRx(t: PortTable, b: Uint8Array, at: number, v: VerdictApi): number {
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

/** macvlan_start_xmit → macvlan_queue_xmit (X0–X4) */
function queueXmit(t: PortTable, from: number, b: Uint8Array, at: number, len: number, gso: boolean,
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
