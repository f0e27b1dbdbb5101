// Control-path legality: would the kernel accept this change to the port? Each check returns a RuleError (with the
// errno the kernel would give) or null. Nothing here throws or mutates: the control side checks, then applies.

/*
 * Theory of operation
 *
 * The PortTable mutators never validate, so that tests and the reference model can build any state; these checks
 * are the kernel's gatekeepers, split the way the kernel splits them:
 *   macvlan_validate        → attribute syntax: flags bits, mode value, MACs unicast and non-zero (checkFlags,
 *                             checkModeValue, checkMacValue), run before anything else for newlink and changelink;
 *   macvlan_common_newlink  → checkAdd (MTU, passthru cardinality, source ops need SOURCE);
 *   macvlan_open            → checkUp (EADDRINUSE: the parent's MAC or an UP child's MAC; not on passthru);
 *   macvlan_set_mac_address → checkSetMac (A1–A4);
 *   macvlan_changelink      → checkSetMode (§4 table), checkSetFlags, checkSourceOp (mode *after* the update);
 *   macvlan_change_mtu      → checkSetMtu (68 … the parent's current MTU).
 * The kernel applies changelink steps in order without rollback: a request that changes flags and also edits the
 * allow-list of a non-source child fails at step 6 with steps 2–5 already applied. A caller that wants the kernel's
 * exact outcome applies each step after its own check, in §4's order.
 */

import { isGroupMac } from '../wire/ethernet.js';
import { DEFAULT_BC_QUEUE_LEN, Flag, Mode } from './constants.js';
import type { ModeBit } from './constants.js';
import type { ChildSpec } from './contract.js';
import type { PortTable } from './port-table.js';
import type { ErrorCode } from '../errors/catalog.js';

export type RuleErrno = 'EINVAL' | 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'ENOSPC' | 'ENODEV';

/** A refused change. `slot` is the child concerned (-1 for a child not created yet). */
export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    /** one of errors/catalog.ts (a leaf, so core may import it) */
    readonly code: ErrorCode,
    readonly errno: RuleErrno,
    readonly field: string,
    readonly slot: number,
    message: string,
  ) {
    super(message);
  }
}

/** The smallest MTU of an Ethernet device (ETH_MIN_MTU): the kernel's floor for a child. */
export const MTU_MIN = 68;
/** The largest (ETH_MAX_MTU): what a child may ask for before its parent, and so the real ceiling, is known. */
export const MTU_MAX = 65535;
const MAX_MAC = 0xffff_ffff_ffff;
const VALID_MODES = Mode.PRIVATE | Mode.VEPA | Mode.BRIDGE | Mode.PASSTHRU | Mode.SOURCE;
// Every bit core/constants.ts names: a new flag is valid once it is declared there.
const VALID_FLAGS = Object.values(Flag).reduce<number>((all, bit) => all | bit, 0);
const FLAG_LIST = Object.entries(Flag).map(([name, bit]) => `${name.toLowerCase()} (${bit})`).join(' and ');

/** Allow-list operations (IFLA_MACVLAN_MACADDR_MODE 0..3) */
export type SourceOp = 'add' | 'del' | 'flush' | 'set';

// ---- attribute syntax (macvlan_validate) ----

/** A MAC the kernel accepts for a device or an allow-list entry: 48 bits, unicast, not all-zero. */
export function checkMacValue(mac: number, field: string, slot: number): RuleError | null {
  if (!Number.isInteger(mac) || mac < 0 || mac > MAX_MAC) {
    return new RuleError('UMV_ERR_BAD_MAC', 'EINVAL', field, slot, `${field}: not a 48-bit MAC`);
  }
  if (mac === 0 || isGroupMac(mac)) {
    return new RuleError('UMV_ERR_BAD_MAC', 'EADDRNOTAVAIL', field, slot, `${field}: must be unicast and non-zero`);
  }
  return null;
}

export function checkModeValue(mode: number, slot: number): RuleError | null {
  if (!Number.isInteger(mode) || mode <= 0 || (mode & (mode - 1)) !== 0 || (mode & VALID_MODES) === 0) {
    return new RuleError('UMV_ERR_BAD_MODE', 'EINVAL', 'mode', slot, `mode ${mode} is not private, vepa, bridge, passthru or source`);
  }
  return null;
}

export function checkFlags(flags: number, slot: number): RuleError | null {
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~VALID_FLAGS) !== 0 || flags > 0xffff) {
    return new RuleError('UMV_ERR_FLAGS', 'EINVAL', 'flags', slot, `flags ${flags}: only ${FLAG_LIST} exist`);
  }
  return null;
}

/** IFLA_MACVLAN_BC_QUEUE_LEN is a u32 */
export function checkBcQueueLen(n: number, slot: number): RuleError | null {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    return new RuleError('UMV_ERR_BAD_VALUE', 'EINVAL', 'bcQueueLen', slot, `bcqueuelen ${n} is not a u32`);
  }
  return null;
}

/** IFLA_MACVLAN_BC_CUTOFF is an s32 */
export function checkBcCutoff(n: number, slot: number): RuleError | null {
  if (!Number.isInteger(n) || n < -0x8000_0000 || n > 0x7fff_ffff) {
    return new RuleError('UMV_ERR_BAD_VALUE', 'EINVAL', 'bcCutoff', slot, `bclim ${n} is not an s32`);
  }
  return null;
}

function checkMtuValue(t: PortTable, mtu: number, slot: number): RuleError | null {
  if (!Number.isInteger(mtu) || mtu < MTU_MIN) {
    return new RuleError('UMV_ERR_MTU', 'EINVAL', 'mtu', slot, `mtu ${mtu} is less than the device minimum ${MTU_MIN}`);
  }
  if (mtu > t.mtu[0]) {
    return new RuleError('UMV_ERR_MTU', 'EINVAL', 'mtu', slot, `mtu ${mtu} is larger than the parent's ${t.mtu[0]}`);
  }
  return null;
}

function checkSourceMacs(macs: readonly number[], slot: number): RuleError | null {
  for (const m of macs) {
    const e = checkMacValue(m, 'macaddr', slot);
    if (e) return e;
  }
  return null;
}

function checkChild(t: PortTable, i: number): RuleError | null {
  if (!Number.isInteger(i) || i < 1 || i > t.maxChildren || t.used[i] === 0) {
    return new RuleError('UMV_ERR_NO_CHILD', 'ENODEV', 'slot', i, `no child in slot ${i}`);
  }
  return null;
}

/**
 * iproute2's rule, not the kernel's: `ip link add … type macvlan mode bridge nopromisc` and `ip link set … type
 * macvlan nopromisc` stop in iplink_macvlan.c before anything is sent; the kernel itself would store the bit on any
 * mode and ignore it. umacvlan follows the tool users know, so `add`, `set`, `--child` and the config file all refuse
 * it; the core's own checks (checkAdd, checkChange) stay the kernel's so the reference model can build any state.
 */
export function checkNopromiscMode(mode: number, flags: number, slot: number): RuleError | null {
  if ((flags & Flag.NOPROMISC) !== 0 && mode !== Mode.PASSTHRU) {
    return new RuleError('UMV_ERR_FLAGS', 'EINVAL', 'nopromisc', slot, 'nopromisc flag only valid in passthru mode');
  }
  return null;
}

// ---- creation (macvlan_validate + macvlan_common_newlink) ----

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

function checkSourceOpShape(op: SourceOp, macs: readonly number[], slot: number): RuleError | null {
  if ((op === 'add' || op === 'del') && macs.length !== 1) {
    return new RuleError('UMV_ERR_SOURCE_OP', 'EINVAL', 'macaddr', slot, `macaddr ${op} needs exactly one MAC`);
  }
  if (op === 'flush' && macs.length !== 0) {
    return new RuleError('UMV_ERR_SOURCE_OP', 'EINVAL', 'macaddr', slot, 'macaddr flush takes no MAC');
  }
  return null;
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
 * and step 6 (allow-list op needs SOURCE after the mode update). See the theory note on partial application.
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

// ---- a whole configuration ----

/** One child of a configuration: an add request, and whether its MAC was given (an 'auto' MAC never clashes). */
export interface ConfigChild extends AddRequest {
  macGiven: boolean;
}

/** Which child of a configuration the kernel would refuse, and why. */
export interface ConfigRefusal {
  /** index into the list given to checkConfig */
  index: number;
  error: RuleError;
}

/**
 * A whole start-up configuration, as the kernel would take it: every child created in order (checkAdd: passthru
 * cardinality, MTU, source lists), then every child with a given MAC brought up (checkUp: EADDRINUSE). `t` is a
 * scratch table the caller owns and gives up: the children are really added to it. Its parent should have MAC 0
 * (which no child may have) when the real parent's MAC is not known yet, so only children can clash.
 */
export function checkConfig(t: PortTable, children: readonly ConfigChild[]): ConfigRefusal | null {
  const slots: number[] = children.map(() => -1);
  for (let k = 0; k < children.length; k++) {
    const c = children[k];
    const error = checkAdd(t, c) ?? checkNopromiscMode(c.mode ?? Mode.VEPA, c.flags ?? 0, -1);
    if (error) return { index: k, error };
    slots[k] = t.freeSlot();
    t.addChild(slots[k], withDefaults(t, c, () => 0));
    for (const m of c.sourceMacs ?? []) t.sourceAdd(slots[k], m);
  }
  for (let k = 0; k < children.length; k++) {
    if (!children[k].macGiven) continue;
    const error = checkUp(t, slots[k]);
    if (error) return { index: k, error };
    t.setUp(slots[k], true);
  }
  return null;
}
