// An existing child's changes: UP (macvlan_open), a new MAC (macvlan_set_mac_address), changelink's attributes
// (macvlan_changelink) and its MTU (macvlan_change_mtu). Each check first asks whether the slot holds a child.

import { Mode, type ModeBit } from './constants.js';
import type { PortTable } from './port-table.js';
import { RuleError } from './rules-error.js';
import {
  checkBcCutoff, checkBcQueueLen, checkFlags, checkMacValue, checkModeValue, checkMtuValue, checkSourceMacs,
  checkSourceOpShape, type SourceOp,
} from './rules-syntax.js';

/** ENODEV unless slot i holds a child */
function checkChild(t: PortTable, i: number): RuleError | null {
  if (!Number.isInteger(i) || i < 1 || i > t.maxChildren || t.used[i] === 0) {
    return new RuleError('UMV_ERR_NO_CHILD', 'ENODEV', 'slot', i, `no child in slot ${i}`);
  }
  return null;
}

// ---- up (macvlan_open) ----

/** §2: EADDRINUSE when the MAC equals the parent's or an UP sibling's; a passthru child is never busy. */
export function checkUp(t: PortTable, i: number): RuleError | null {
  const c = checkChild(t, i);
  if (c) return c;
  if (t.up[i] === 1 || t.mode[i] === Mode.PASSTHRU) return null;
  return addrBusy(t, i, t.mac[i], 'up');
}

/** macvlan_addr_busy: the parent's MAC (unless passthru) or the MAC of an UP child other than `i` */
function addrBusy(t: PortTable, i: number, mac: number, what: string): RuleError | null {
  if (t.passthru === 0 && mac === t.mac[0]) {
    return new RuleError('UMV_ERR_DUP_MAC', 'EADDRINUSE', 'mac', i, `${what}: the MAC is the parent's`);
  }
  const j = t.lookup(mac);
  if (j >= 0 && j !== i) {
    return new RuleError('UMV_ERR_DUP_MAC', 'EADDRINUSE', 'mac', i, `${what}: the MAC is in use by the UP child in slot ${j}`);
  }
  return null;
}

// ---- MAC change (macvlan_set_mac_address) ----

/** §3 A1–A4. A3 (passthru) is allowed: the caller sets the parent's MAC and the child follows (setParent). */
export function checkSetMac(t: PortTable, i: number, mac: number): RuleError | null {
  const c = checkChild(t, i);
  if (c) return c;
  const e = checkMacValue(mac, 'mac', i); // A1
  if (e) return e;
  if (mac === t.mac[i]) return null; // A2: a no-op
  if (t.mode[i] === Mode.PASSTHRU) return null; // A3
  return addrBusy(t, i, mac, 'set mac'); // A4, also while this child is DOWN
}

// ---- changelink (macvlan_changelink) ----

/** §4 step 1 and the transitions table: passthru can be neither entered nor left. */
export function checkSetMode(t: PortTable, i: number, mode: number): RuleError | null {
  const c = checkChild(t, i);
  if (c) return c;
  const e = checkModeValue(mode, i);
  if (e) return e;
  const wasPt = t.mode[i] === Mode.PASSTHRU;
  const isPt = mode === Mode.PASSTHRU;
  if (wasPt !== isPt) {
    return new RuleError('UMV_ERR_MODE_CHANGE', 'EINVAL', 'mode', i, wasPt ? 'a passthru child cannot change mode' : 'an existing child cannot become passthru');
  }
  return null;
}

/** §1.1: flags are NOPROMISC | NODST; NODST is accepted in any mode */
export function checkSetFlags(t: PortTable, i: number, flags: number): RuleError | null {
  return checkChild(t, i) ?? checkFlags(flags, i);
}

/** §6: 68 … the parent's current MTU */
export function checkSetMtu(t: PortTable, i: number, mtu: number): RuleError | null {
  return checkChild(t, i) ?? checkMtuValue(t, mtu, i);
}

export function checkSetBcQueueLen(t: PortTable, i: number, n: number): RuleError | null {
  return checkChild(t, i) ?? checkBcQueueLen(n, i);
}

export function checkSetBcCutoff(t: PortTable, i: number, n: number): RuleError | null {
  return checkChild(t, i) ?? checkBcCutoff(n, i);
}

/**
 * forwarding.md §4.1 / lifecycle.md §4 step 6: the MACs are validated first (macvlan_validate runs before
 * changelink), then the mode as it will be after this request's mode update must be SOURCE.
 */
export function checkSourceOp(t: PortTable, i: number, modeAfter: number, macs: readonly number[],
  op: SourceOp = 'set'): RuleError | null {
  const c = checkChild(t, i);
  if (c) return c;
  const e = checkSourceMacs(macs, i);
  if (e) return e;
  if (modeAfter !== Mode.SOURCE) {
    return new RuleError('UMV_ERR_NOT_SOURCE', 'EINVAL', 'macaddr', i, 'macaddr lists need mode source');
  }
  // macvlan_changelink_sources: ADD/DEL without a MAC → EINVAL
  return checkSourceOpShape(op, macs, i);
}

/** A changelink request, in the kernel's attribute terms */
export interface ChangeRequest {
  mode?: ModeBit;
  flags?: number;
  bcQueueLen?: number;
  bcCutoff?: number;
  sourceOp?: SourceOp;
  sourceMacs?: readonly number[];
}

/**
 * A whole changelink request: syntax of every attribute first (macvlan_validate), then §4 step 1 (mode transition)
 * and step 6 (allow-list op needs SOURCE after the mode update). See rules.ts's theory note on partial application.
 */
export function checkChange(t: PortTable, i: number, req: ChangeRequest): RuleError | null {
  const c = checkChild(t, i);
  if (c) return c;
  if (req.flags !== undefined) { const e = checkFlags(req.flags, i); if (e) return e; }
  if (req.mode !== undefined) { const e = checkModeValue(req.mode, i); if (e) return e; }
  if (req.sourceMacs !== undefined) { const e = checkSourceMacs(req.sourceMacs, i); if (e) return e; }
  if (req.bcQueueLen !== undefined) { const e = checkBcQueueLen(req.bcQueueLen, i); if (e) return e; }
  if (req.bcCutoff !== undefined) { const e = checkBcCutoff(req.bcCutoff, i); if (e) return e; }
  if (req.mode !== undefined) { const e = checkSetMode(t, i, req.mode); if (e) return e; }
  if (req.sourceOp !== undefined || req.sourceMacs !== undefined) {
    return checkSourceOp(t, i, req.mode ?? t.mode[i], req.sourceMacs ?? [], req.sourceOp ?? 'set');
  }
  return null;
}
