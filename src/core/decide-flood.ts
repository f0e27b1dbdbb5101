// Group frames: which children a flood reaches (macvlan_broadcast and the port filters bc_filter / mc_filter), and
// the flood of a frame drained from the broadcast queue. The loop in broadcast() is the hottest code of the core.

import {
  BROADCAST_HI, BROADCAST_LO, ETH, ETH_OVERHEAD, ETHERTYPE_PAUSE, etherType, macHiAt, macLoAt,
} from '../wire/ethernet.js';
import { Drop, Egress, Mode } from './constants.js';
import type { VerdictApi } from './contract.js';
import type { PortTable } from './port-table.js';
import * as rows from './verdict-rows.js';

// a module-own name for what is called per frame (decide.ts says why)
const { clearVerdict } = rows;

/** Modes an external origin's group frame floods to (macvlan_multicast_rx, src == NULL) */
export const MASK_EXTERNAL = Mode.PRIVATE | Mode.VEPA | Mode.BRIDGE | Mode.PASSTHRU;
/** ... when the origin is a vepa child */
export const MASK_FROM_VEPA = Mode.VEPA | Mode.BRIDGE;
/** ... when the origin is a bridge child: its bridge siblings already had it from X1 */
export const MASK_FROM_BRIDGE = Mode.VEPA;

const DST = ETH.DST;

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

/**
 * macvlan_broadcast: every UP child other than `skip` whose mode is in `mask` and whose filter accepts D: D is
 * broadcast, or the child is PROMISC or ALLMULTI, or it lists D (exact sets, no hash). The filter is written out in
 * the loop over arrays read once per call, because this loop runs once per copy and is the hottest code of the
 * core. With `mtuLen` > 0 each copy is also held to the receiver's MTU (__dev_forward_skb on the bridge-local path).
 * The caller has already refused PAUSE frames.
 */
export function broadcast(t: PortTable, v: VerdictApi, bc: boolean, g: number, mask: number, skip: number, kind: number,
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
