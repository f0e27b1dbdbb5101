// Creation (macvlan_validate + macvlan_common_newlink): whether a new child would be accepted, and the defaults the
// kernel fills in for what the request left out.

import { DEFAULT_BC_QUEUE_LEN, Mode } from './constants.js';
import type { ChildSpec } from './contract.js';
import type { PortTable } from './port-table.js';
import { RuleError } from './rules-error.js';
import {
  checkBcQueueLen, checkFlags, checkMacValue, checkModeValue, checkMtuValue, checkSourceMacs, checkSourceOpShape,
  type SourceOp,
} from './rules-syntax.js';

export interface AddRequest extends Partial<ChildSpec> {
  /** IFLA_MACVLAN_MACADDR_MODE with its MACs, when the request carries one */
  sourceOp?: SourceOp;
  sourceMacs?: readonly number[];
}

/**
 * lifecycle.md §1.1 and §1.2 steps 3, 6, 8, 9. The MAC is checked for syntax only: creation never checks for a
 * duplicate (that happens at UP, §2). `spec` is the request before defaults (see withDefaults).
 */
export function checkAdd(t: PortTable, spec: AddRequest): RuleError | null {
  const slot = -1;
  // §1.1, macvlan_validate: syntax of every attribute first
  if (spec.mac !== undefined) { const e = checkMacValue(spec.mac, 'mac', slot); if (e) return e; }
  if (spec.flags !== undefined) { const e = checkFlags(spec.flags, slot); if (e) return e; }
  if (spec.mode !== undefined) { const e = checkModeValue(spec.mode, slot); if (e) return e; }
  if (spec.sourceMacs !== undefined) { const e = checkSourceMacs(spec.sourceMacs, slot); if (e) return e; }
  if (spec.bcQueueLen !== undefined) { const e = checkBcQueueLen(spec.bcQueueLen, slot); if (e) return e; }
  // step 3: MTU ≤ parent's (the core adds the 68 minimum)
  if (spec.mtu !== undefined) { const e = checkMtuValue(t, spec.mtu, slot); if (e) return e; }
  if (t.freeSlot() < 0) {
    return new RuleError('UMV_ERR_NO_SLOT', 'ENOSPC', 'slot', slot, `all ${t.maxChildren} child slots are in use`);
  }
  const mode = spec.mode ?? Mode.VEPA;
  // step 6: a passthru port takes no second child of any mode
  if (t.passthru !== 0) {
    return new RuleError('UMV_ERR_PASSTHRU_NOT_ALONE', 'EINVAL', 'mode', slot,
      mode === Mode.PASSTHRU ? 'the port already has a passthru child' : 'a passthru child must be the only child of its parent');
  }
  // umacvlan's own: --mac-nat hides every child's MAC, which a passthru child's (the parent's own) cannot be
  if (mode === Mode.PASSTHRU && t.natOn) {
    return new RuleError('UMV_ERR_NAT_PASSTHRU', 'EINVAL', 'mode', slot, 'a passthru child cannot be added with --mac-nat');
  }
  // step 8: passthru only on a parent without children (UP or DOWN)
  if (mode === Mode.PASSTHRU && countChildren(t) > 0) {
    return new RuleError('UMV_ERR_PASSTHRU_NOT_ALONE', 'EINVAL', 'mode', slot, 'passthru needs a parent without other children');
  }
  // step 9: an allow-list op needs SOURCE
  if (spec.sourceOp !== undefined || spec.sourceMacs !== undefined) {
    if (mode !== Mode.SOURCE) {
      return new RuleError('UMV_ERR_NOT_SOURCE', 'EINVAL', 'macaddr', slot, 'macaddr lists need mode source');
    }
    return checkSourceOpShape(spec.sourceOp ?? 'set', spec.sourceMacs ?? [], slot);
  }
  return null;
}

/**
 * The defaults the kernel fills in (§1.2 steps 3, 4, 7, 8, 10): mode VEPA, flags 0, MTU = the parent's, bcqueuelen
 * 1000; a passthru child takes the parent's MAC (a given one is ignored); no MAC → a random locally administered
 * unicast MAC. Call after checkAdd.
 */
export function withDefaults(t: PortTable, spec: Partial<ChildSpec>, random: () => number = Math.random): ChildSpec {
  const mode = spec.mode ?? Mode.VEPA;
  let mac = spec.mac;
  if (mode === Mode.PASSTHRU) mac = t.mac[0];
  else if (mac === undefined) mac = randomMac(random);
  return { mac, mode, flags: spec.flags ?? 0, mtu: spec.mtu ?? t.mtu[0], bcQueueLen: spec.bcQueueLen ?? DEFAULT_BC_QUEUE_LEN };
}

/** eth_hw_addr_random: locally administered (bit 1 of octet 0 set), unicast (bit 0 clear) */
export function randomMac(random: () => number = Math.random): number {
  let mac = 0;
  for (let k = 0; k < 6; k++) mac = mac * 256 + Math.floor(random() * 256);
  const first = Math.floor(mac / 0x100_0000_0000);
  const fixed = (first & 0xfe) | 0x02;
  mac = (mac - first * 0x100_0000_0000) + fixed * 0x100_0000_0000;
  return mac === 0x0200_0000_0000 ? mac + 1 : mac;
}

function countChildren(t: PortTable): number {
  let n = 0;
  for (let i = 1; i <= t.maxChildren; i++) n += t.used[i];
  return n;
}
