// decide(): where one frame goes under the kernel's macvlan rules. Pure: reads the PortTable and the frame's
// header, writes a Verdict. The rules, step by step, are docs/forwarding.md (and its §6 for umacvlan's own checks).
// Here: the entry and the --mac-nat wrappers; the steps are in decide-receive.ts (a frame from the wire),
// decide-transmit.ts (from a child) and decide-flood.ts (group floods, the queued flood); rows in verdict-rows.ts.

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

import { ETH, VLAN_TCI, VLAN_VID_MASK, etherType, isGroupDst } from '../wire/ethernet.js';
import { Drop, Egress, PARENT } from './constants.js';
import type { VerdictApi } from './contract.js';
import type { PortTable } from './port-table.js';
import * as receive from './decide-receive.js';
import * as transmit from './decide-transmit.js';
import { natClear, natDeliver, natDhcpAck, natSourceOk, toParentMac } from './nat-decide.js';
import * as rows from './verdict-rows.js';

export {
  floodMask, floodQueued, inBcFilter, inMcFilter, MASK_EXTERNAL, MASK_FROM_BRIDGE, MASK_FROM_VEPA,
} from './decide-flood.js';
export { refuse } from './verdict-rows.js';

// Module-own names for the steps called per frame: V8 folds a module's own const into the code that calls it, but
// loads and checks an imported binding from its cell at every call.
const { multicastRx, unicastRx } = receive;
const { queueXmit } = transmit;
const { clearVerdict } = rows;

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
