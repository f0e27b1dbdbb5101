// macs-modes.ts — a child's MAC, a source-mode allow-list and a mode, as a user writes them. Which MACs a device may
// have is core/rules.ts checkMacValue's; the refusal is worded as the kernel's (EADDRNOTAVAIL).

import { Mode, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { checkMacValue } from '../core/rules.js';
import { formatMac, parseMac } from '../wire/ethernet.js';
import { problem, quote, type Problem } from './problem.js';

/** A MAC a device may have, by core/rules.ts checkMacValue, in the kernel's wording (EADDRNOTAVAIL). */
function unicastProblem(mac: number): Problem | null {
  if (!checkMacValue(mac, 'mac', -1)) return null;
  const what = mac === 0 ? 'all zeros' : 'multicast';
  return problem(`MAC ${formatMac(mac)} is ${what}: Cannot assign requested address (EADDRNOTAVAIL)`, 'UMV_ERR_BAD_MAC');
}

/** Six hex pairs, any kind of address (trace asks about broadcast and multicast destinations too). */
export function parseAnyMac(text: string): number | Problem {
  const mac = parseMac(text);
  return mac < 0 ? problem(`bad MAC ${quote(text)}`) : mac;
}

/** Six hex pairs (either case) naming a unicast, non-zero MAC. */
export function parseUnicastMac(text: string): number | Problem {
  const mac = parseAnyMac(text);
  return typeof mac === 'number' ? unicastProblem(mac) ?? mac : mac;
}

/** A child's MAC: 'auto' (the daemon picks one, as the kernel does) or a unicast MAC. */
export const parseChildMac = (text: string): number | 'auto' | Problem => (text === 'auto' ? 'auto' : parseUnicastMac(text));

/**
 * `MAC[,MAC...]`, each a valid unicast MAC. A MAC listed twice is kept once, as the kernel's allow-list does
 * (macvlan_hash_add_source finds it and returns 0).
 */
export function parseMacList(text: string): number[] | Problem {
  const out: number[] = [];
  for (const item of text.split(',')) {
    const mac = parseUnicastMac(item);
    if (typeof mac !== 'number') return mac;
    if (!out.includes(mac)) out.push(mac);
  }
  return out;
}

const MODE_LIST = 'private, vepa, bridge, passthru or source';
// A Map, not an object: `MODES['constructor']` must not find anything.
const MODE_BY_NAME: ReadonlyMap<string, ModeBit> = new Map(
  (Object.values(Mode) as ModeBit[]).map((bit) => [MODE_NAMES[bit], bit]),
);

export function parseMode(text: string): ModeBit | Problem {
  if (text === '') return problem(`no mode (${MODE_LIST})`);
  return MODE_BY_NAME.get(text) ?? problem(`bad mode ${quote(text)} (${MODE_LIST})`);
}
