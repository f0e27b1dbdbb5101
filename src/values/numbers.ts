// numbers.ts — the numbers of the grammar (MTU, the broadcast queue and cutoff, ports and counts): decimal only, each
// with its range in the refusal.

import { MTU_MAX, MTU_MIN } from '../core/rules.js';
import { problem, quote, type Problem } from './problem.js';

/**
 * A decimal integer in [min, max]: digits only, no sign, no exponent, no leading zero (iproute2 reads "0100" as
 * octal 64; we refuse rather than guess).
 */
export function parseDecimal(text: string, min: number, max: number, what: string): number | Problem {
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(text)) return problem(`bad ${what} ${quote(text)} (${min}–${max})`);
  const n = Number(text);
  return n < min || n > max ? problem(`${what} ${n} is out of range (${min}–${max})`) : n;
}

/** A child's MTU before the parent is known: the device bounds; the parent's own MTU is applied by the rules. */
export const parseMtu = (text: string): number | Problem => parseDecimal(text, MTU_MIN, MTU_MAX, 'mtu');

export function mtuProblem(mtu: number): Problem | null {
  return mtu < MTU_MIN || mtu > MTU_MAX ? problem(`mtu ${mtu} is out of range (${MTU_MIN}–${MTU_MAX})`) : null;
}

/** IFLA_MACVLAN_BC_QUEUE_LEN, the kernel's u32 */
export const BCQUEUELEN_MAX = 0xffff_ffff;
export const parseBcQueueLen = (text: string): number | Problem => parseDecimal(text, 0, BCQUEUELEN_MAX, 'bcqueuelen');
/** IFLA_MACVLAN_BC_CUTOFF, an s32: the one number of the grammar with a sign (a leading '-', never '+') */
export const BCLIM_MIN = -0x8000_0000, BCLIM_MAX = 0x7fff_ffff;
export function parseBcLim(text: string): number | Problem {
  const n = /^(?:0|-?[1-9][0-9]{0,9})$/.test(text) ? Number(text) : NaN;
  return n >= BCLIM_MIN && n <= BCLIM_MAX ? n : problem(`bad bclim ${quote(text)} (an integer from ${BCLIM_MIN} to ${BCLIM_MAX})`);
}

export function onOff(text: string | undefined): boolean | Problem {
  if (text === 'on') return true;
  if (text === 'off') return false;
  return problem(text === undefined ? 'needs on or off' : `expected on or off, got ${quote(text)}`);
}
