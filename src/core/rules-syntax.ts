// Attribute syntax (macvlan_validate) and the value ranges every request is held to: MACs, mode, flags, the u32/s32
// broadcast knobs, MTU, allow-list operation shapes; also iproute2's nopromisc rule. rules.ts says where each runs.

import { isGroupMac } from '../wire/ethernet.js';
import { Flag, Mode } from './constants.js';
import type { PortTable } from './port-table.js';
import { RuleError } from './rules-error.js';

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

export function checkMtuValue(t: PortTable, mtu: number, slot: number): RuleError | null {
  if (!Number.isInteger(mtu) || mtu < MTU_MIN) {
    return new RuleError('UMV_ERR_MTU', 'EINVAL', 'mtu', slot, `mtu ${mtu} is less than the device minimum ${MTU_MIN}`);
  }
  if (mtu > t.mtu[0]) {
    return new RuleError('UMV_ERR_MTU', 'EINVAL', 'mtu', slot, `mtu ${mtu} is larger than the parent's ${t.mtu[0]}`);
  }
  return null;
}

export function checkSourceMacs(macs: readonly number[], slot: number): RuleError | null {
  for (const m of macs) {
    const e = checkMacValue(m, 'macaddr', slot);
    if (e) return e;
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

/** IFLA_MACVLAN_MACADDR_MODE: add and del name exactly one MAC, flush none */
export function checkSourceOpShape(op: SourceOp, macs: readonly number[], slot: number): RuleError | null {
  if ((op === 'add' || op === 'del') && macs.length !== 1) {
    return new RuleError('UMV_ERR_SOURCE_OP', 'EINVAL', 'macaddr', slot, `macaddr ${op} needs exactly one MAC`);
  }
  if (op === 'flush' && macs.length !== 0) {
    return new RuleError('UMV_ERR_SOURCE_OP', 'EINVAL', 'macaddr', slot, 'macaddr flush takes no MAC');
  }
  return null;
}
