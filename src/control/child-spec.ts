// child-spec.ts — a child as the user writes it: `NAME:MAC:MODE[:OPTION...]` (README, "Running it").
//
//   CHILD  = NAME ":" MAC ":" MODE *( ":" OPTION )
//   NAME   = 1–15 bytes, none of ":" "/" "%" or white space, not "parent" or "all"
//   MAC    = "auto" / six two-digit hex pairs joined by ":"
//   MODE   = "private" / "vepa" / "bridge" / "passthru" / "source"
//   OPTION = "macaddr=" MAC *( "," MAC ) / "nodst" / "nopromisc" / "mtu=" N
//
// DOC: why one forgiving pattern and then checks. MACs contain colons, so splitting on ":" cannot find the fields.
// One anchored regular expression cuts the text into NAME, MAC, MODE and OPTIONs; its tokens are deliberately
// loose (a MAC token is anything "MAC-shaped": six groups of one or two letters/digits) so that a wrong value is
// still recognised as *the MAC* or *the mode* and the error can name it ("bad MAC "zz"", "no mode") instead of
// "does not match". The pattern matches every string; the checks below decide. Each choice point of the pattern is
// bounded (an option ends at ":" or the end), so it cannot backtrack across options: linear time on any input.
//
// The checks are the kernel's where the kernel has one (macvlan_validate: a MAC must be unicast and non-zero, else
// EADDRNOTAVAIL; dev_valid_name: at most IFNAMSIZ-1 bytes, no "/", ":" or space, not "." or "..") plus the
// grammar's own: "%" (a TAP name with "%" would be taken as a template by TUNSETIFF), "parent" and "all" (reserved
// port names for capture and trace), options only where the mode gives them a meaning.

import { Flag, Mode, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { formatMac, isGroupMac, parseMac } from '../wire/ethernet.js';
import { problem, quote, UsageError, type Problem } from './usage-error.js';

export interface ChildConfig {
  /** The TAP's name and the child's handle for ever. */
  name: string;
  /** A 48-bit unicast MAC, or 'auto': the daemon picks a random one (core/rules.ts randomMac). A passthru child takes the parent's MAC anyway. */
  mac: number | 'auto';
  mode: ModeBit;
  /** Flag bits (core/constants.ts Flag): NOPROMISC | NODST */
  flags: number;
  /** Absent: the parent's MTU, as the kernel defaults it. */
  mtu?: number;
  /** Source-mode allow-list; empty for every other mode. In the order given, without duplicates. */
  macaddr: number[];
  /** Network namespace to move the TAP into: a name under /run/netns or an absolute path. Not part of the text form. */
  netns?: string;
}

/** Linux IFNAMSIZ: a name is at most 15 bytes and a NUL. */
export const IFNAME_MAX_BYTES = 15;
/** The core minimum MTU of an Ethernet device (ETH_MIN_MTU). */
export const MTU_MIN = 68;
/** Our upper bound before the parent is known; checkChildMtu() applies the parent's at run time. */
export const MTU_MAX = 65535;
/** Port names that are not children: capture and trace use them for the parent and every port. */
export const RESERVED_PORT_NAMES: readonly string[] = ['parent', 'all'];

const MODE_LIST = 'private, vepa, bridge, passthru or source';
// A Map, not an object: `MODES['constructor']` must not find anything.
const MODE_BY_NAME: ReadonlyMap<string, ModeBit> = new Map(
  (Object.values(Mode) as ModeBit[]).map((bit) => [MODE_NAMES[bit], bit]),
);

const MAC_SHAPED = '[0-9A-Za-z]{1,2}(?::[0-9A-Za-z]{1,2}){5}';
const LIST_ITEM = `(?:${MAC_SHAPED}|[^:,]*)`;
const OPTION = `(?:macaddr=${LIST_ITEM}(?:,${LIST_ITEM})*|[^:]*)`;
const CHILD_RE = new RegExp(
  `^(?<name>[^:]*)(?::(?<mac>auto|${MAC_SHAPED}|[^:]*)(?::(?<mode>[^:]*)(?<options>(?::${OPTION})*))?)?$`,
);
// The OPTION alternative of CHILD_RE again, to walk the options the pattern already delimited (a repeated group
// keeps only its last capture). Same source text, so both cut the options identically.
const OPTION_RE = new RegExp(`:(${OPTION})`, 'y');

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Rules of an existing interface's name (the parent): the kernel's dev_valid_name() plus our "%" and control chars. */
export function ifNameProblem(name: string): Problem | null {
  if (name.length === 0) return problem('empty name');
  if (utf8Bytes(name) > IFNAME_MAX_BYTES) return problem(`name ${quote(name)} is longer than ${IFNAME_MAX_BYTES} bytes`);
  if (name === '.' || name === '..') return problem(`name ${quote(name)} is not allowed`);
  const bad = /[:/%]|\s|[\u0000-\u001f\u007f]/.exec(name);
  if (bad) {
    const what = /\s/.test(bad[0]) ? 'white space' : /[:/%]/.test(bad[0]) ? `"${bad[0]}"` : 'a control character';
    return problem(`name ${quote(name)} contains ${what}`);
  }
  return null;
}

/** A child's name: an interface name that is not a reserved port name. */
export function childNameProblem(name: string): Problem | null {
  const p = ifNameProblem(name);
  if (p) return p;
  if (RESERVED_PORT_NAMES.includes(name)) return problem(`name ${quote(name)} is reserved (it names a port in capture and trace)`);
  return null;
}

/** A MAC a device may have (is_valid_ether_addr): not multicast, not all zeros. The kernel's wording for both. */
export function unicastProblem(mac: number): Problem | null {
  if (mac === 0) return problem(`MAC ${formatMac(mac)} is all zeros: Cannot assign requested address (EADDRNOTAVAIL)`, 'UMV_ERR_BAD_MAC');
  if (isGroupMac(mac)) return problem(`MAC ${formatMac(mac)} is multicast: Cannot assign requested address (EADDRNOTAVAIL)`, 'UMV_ERR_BAD_MAC');
  return null;
}

/** Six hex pairs (either case) naming a unicast, non-zero MAC. */
export function parseUnicastMac(text: string): number | Problem {
  const mac = parseMac(text);
  if (mac < 0) return problem(`bad MAC ${quote(text)}`);
  return unicastProblem(mac) ?? mac;
}

/** Six hex pairs, any kind of address (trace asks about broadcast and multicast destinations too). */
export function parseAnyMac(text: string): number | Problem {
  const mac = parseMac(text);
  return mac < 0 ? problem(`bad MAC ${quote(text)}`) : mac;
}

export function parseMode(text: string): ModeBit | Problem {
  if (text === '') return problem(`no mode (${MODE_LIST})`);
  return MODE_BY_NAME.get(text) ?? problem(`bad mode ${quote(text)} (${MODE_LIST})`);
}

/**
 * A decimal integer in [min, max]: digits only, no sign, no exponent, no leading zero (iproute2 reads "0100" as
 * octal 64; we refuse rather than guess).
 */
export function parseDecimal(text: string, min: number, max: number, what: string): number | Problem {
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(text)) return problem(`bad ${what} ${quote(text)} (${min}–${max})`);
  const n = Number(text);
  return n < min || n > max ? problem(`${what} ${n} is out of range (${min}–${max})`) : n;
}

export function mtuProblem(mtu: number): Problem | null {
  if (!Number.isInteger(mtu) || mtu < MTU_MIN || mtu > MTU_MAX) return problem(`mtu ${mtu} is out of range (${MTU_MIN}–${MTU_MAX})`);
  return null;
}

/**
 * The run-time half of the MTU rule (macvlan_common_newlink, macvlan_change_mtu): a child's MTU may not exceed its
 * parent's. Null when `mtu` is acceptable. `field` names the child in the message, e.g. `--child b:auto:vepa:mtu=9000`.
 */
export function checkChildMtu(mtu: number, parentMtu: number, field = 'mtu'): UsageError | null {
  const p = mtuProblem(mtu);
  if (p) return UsageError.of(p, field);
  if (mtu > parentMtu) {
    return new UsageError(field, `mtu ${mtu} is above the parent's MTU ${parentMtu}: Invalid argument (EINVAL)`, 'UMV_ERR_MTU');
  }
  return null;
}

/**
 * Parses `NAME:MAC:MODE[:OPTION...]`. `field` names where the text came from (`--child`, `add`) and starts the
 * message of a rejection: `--child a:zz:bridge: bad MAC "zz"`.
 */
export function parseChild(text: string, field = '--child'): ChildConfig | UsageError {
  const fail = (p: Problem): UsageError => UsageError.of(p, field, text);
  const m = CHILD_RE.exec(text);
  if (!m?.groups) return fail(problem('not NAME:MAC:MODE[:OPTION...]')); // unreachable: the pattern matches anything
  const { name, mac: macText, mode: modeText, options } = m.groups;

  const nameBad = childNameProblem(name);
  if (nameBad) return fail(nameBad);

  if (macText === undefined || macText === '') return fail(problem('no MAC (six hex pairs or "auto")'));
  let mac: number | 'auto' = 'auto';
  if (macText !== 'auto') {
    const r = parseUnicastMac(macText);
    if (typeof r !== 'number') return fail(r);
    mac = r;
  }

  const mode = parseMode(modeText ?? '');
  if (typeof mode !== 'number') return fail(mode);

  const child: ChildConfig = { name, mac, mode, flags: 0, macaddr: [] };
  const seen = new Set<string>();
  OPTION_RE.lastIndex = 0;
  const opts = options ?? '';
  while (OPTION_RE.lastIndex < opts.length) {
    const om = OPTION_RE.exec(opts);
    if (!om) return fail(problem('cannot read the options')); // unreachable: CHILD_RE delimited them
    const bad = applyOption(child, om[1], seen);
    if (bad) return fail(bad);
  }
  return child;
}

function applyOption(child: ChildConfig, option: string, seen: Set<string>): Problem | null {
  const eq = option.indexOf('=');
  const key = eq < 0 ? option : option.slice(0, eq);
  const value = eq < 0 ? undefined : option.slice(eq + 1);
  if (option === '') return problem('empty option');
  const known = key === 'nodst' || key === 'nopromisc' || key === 'mtu' || key === 'macaddr';
  if (!known) return problem(`unknown option ${quote(option)} (macaddr=, nodst, nopromisc, mtu=)`);
  if (seen.has(key)) return problem(`option ${quote(key)} given twice`);
  seen.add(key);
  const takesValue = key === 'mtu' || key === 'macaddr';
  if (takesValue && value === undefined) return problem(`option ${quote(key)} needs a value (${key}=...)`);
  if (!takesValue && value !== undefined) return problem(`option ${quote(key)} takes no value`);

  switch (key) {
    case 'nodst':
      child.flags |= Flag.NODST;
      return null;
    case 'nopromisc':
      if (child.mode !== Mode.PASSTHRU) return problem('nopromisc is for passthru mode only');
      child.flags |= Flag.NOPROMISC;
      return null;
    case 'mtu': {
      const n = parseDecimal(value!, MTU_MIN, MTU_MAX, 'mtu');
      if (typeof n !== 'number') return n;
      child.mtu = n;
      return null;
    }
    default: {
      if (child.mode !== Mode.SOURCE) return problem('macaddr= is for source mode only');
      const list = parseMacList(value!);
      if (!Array.isArray(list)) return list;
      child.macaddr = list;
      return null;
    }
  }
}

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

/** The text form of a child, parseChild's inverse: `show` prints it, and round-trip tests rely on it. */
export function formatChild(c: ChildConfig): string {
  let s = `${c.name}:${c.mac === 'auto' ? 'auto' : formatMac(c.mac)}:${MODE_NAMES[c.mode]}`;
  if (c.macaddr.length > 0) s += `:macaddr=${c.macaddr.map(formatMac).join(',')}`;
  if (c.flags & Flag.NODST) s += ':nodst';
  if (c.flags & Flag.NOPROMISC) s += ':nopromisc';
  if (c.mtu !== undefined) s += `:mtu=${c.mtu}`;
  return s;
}
