// values.ts — one value as the user writes it (a name, a MAC, an MTU, a number, an address), checked and converted.
// Shared by the flags, the child grammar and the config file, so a value means the same wherever it is written.
// Each parser answers the value or a Problem; where the value stands (which flag, which key) is added by the caller.
//
// The checks are the kernel's where the kernel has one — MACs and MTU bounds come from core/rules.ts, names follow
// dev_valid_name (at most IFNAMSIZ-1 bytes, no "/", ":" or space, not "." or "..") — plus our own: "%" (a TAP name
// with "%" would be taken as a template by TUNSETIFF) and "parent"/"all" (port names of capture and trace).

import { isIPv4, isIPv6 } from 'node:net';
import { Mode, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { checkMacValue, MTU_MAX, MTU_MIN } from '../core/rules.js';
import { formatMac, parseMac } from '../wire/ethernet.js';
import { problem, quote, type Problem } from './usage-error.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';
export type CaptureFormat = 'pcapng' | 'pcap';

export interface CaptureRotate {
  /** at most this many 10⁶-byte units per file (tcpdump -C) */
  sizeMb: number;
  /** at most this many files, the oldest overwritten (tcpdump -W) */
  files: number;
}

export interface MetricsAddr {
  /** an IP literal; IPv6 without brackets */
  host: string;
  port: number;
}

/** Linux IFNAMSIZ: a name is at most 15 bytes and a NUL. */
const IFNAME_MAX_BYTES = 15;
/** Port names that are not children: capture and trace use them for the parent and every port. */
const RESERVED_PORT_NAMES: readonly string[] = ['parent', 'all'];
/** sizeof(sockaddr_un.sun_path) - 1 */
const CONTROL_PATH_MAX_BYTES = 107;
export const SNAPLEN_MAX = 262144;
export const ROTATE_MAX_MB = 1_000_000;
export const ROTATE_MAX_FILES = 100_000;
export const BUSY_POLL_MAX_US = 1_000_000;
/** Loopback: the metrics are readable by anyone who can connect, so they stay on the host unless asked. */
const METRICS_DEFAULT_HOST = '127.0.0.1';
const PATH_MAX_BYTES = 4095;
const NAME_MAX_BYTES = 255;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
export const hasNul = (s: string): boolean => s.includes('\u0000');

/** A checker as a parser: the text itself when it passes. */
export const checked = (check: (s: string) => Problem | null) => (s: string): string | Problem => check(s) ?? s;

// ---- numbers ----

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

/** IFLA_MACVLAN_BC_QUEUE_LEN, the kernel's u32 */
export const BCQUEUELEN_MAX = 0xffff_ffff;
export const parseBcQueueLen = (text: string): number | Problem => parseDecimal(text, 0, BCQUEUELEN_MAX, 'bcqueuelen');
/** IFLA_MACVLAN_BC_CUTOFF, an s32: the one number of the grammar with a sign (a leading '-', never '+') */
export const BCLIM_MIN = -0x8000_0000, BCLIM_MAX = 0x7fff_ffff;
export function parseBcLim(text: string): number | Problem {
  const n = /^(?:0|-?[1-9][0-9]{0,9})$/.test(text) ? Number(text) : NaN;
  return n >= BCLIM_MIN && n <= BCLIM_MAX ? n : problem(`bad bclim ${quote(text)} (an integer from ${BCLIM_MIN} to ${BCLIM_MAX})`);
}

export function mtuProblem(mtu: number): Problem | null {
  return mtu < MTU_MIN || mtu > MTU_MAX ? problem(`mtu ${mtu} is out of range (${MTU_MIN}–${MTU_MAX})`) : null;
}

export function onOff(text: string | undefined): boolean | Problem {
  if (text === 'on') return true;
  if (text === 'off') return false;
  return problem(text === undefined ? 'needs on or off' : `expected on or off, got ${quote(text)}`);
}

// ---- names ----

/** Rules of an existing interface's name (the parent): the kernel's dev_valid_name() plus our "%" and control chars. */
export function ifNameProblem(name: string): Problem | null {
  if (name.length === 0) return problem('empty name');
  if (bytes(name) > IFNAME_MAX_BYTES) return problem(`name ${quote(name)} is longer than ${IFNAME_MAX_BYTES} bytes`);
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

/** A port of trace and show: a child's name or "parent". */
export function portNameProblem(name: string): Problem | null {
  return name === 'parent' ? null : childNameProblem(name);
}

/** A port of capture: 'parent', 'all' or something that can be a child's name (whether it exists is checked later). */
export function capturePortProblem(port: string): Problem | null {
  return port === 'parent' || port === 'all' ? null : childNameProblem(port);
}

/** NETNS of `--netns NAME=NETNS`: a name under /run/netns (as `ip netns` makes) or an absolute path. */
export function netnsProblem(netns: string): Problem | null {
  if (netns === '') return problem('empty network namespace');
  if (hasNul(netns)) return problem('network namespace contains a NUL byte');
  if (netns.startsWith('/')) {
    return bytes(netns) > PATH_MAX_BYTES ? problem(`path longer than ${PATH_MAX_BYTES} bytes`) : null;
  }
  if (netns.includes('/')) return problem(`${quote(netns)} is neither a name under /run/netns nor an absolute path`);
  if (netns === '.' || netns === '..') return problem(`${quote(netns)} is not a namespace name`);
  return bytes(netns) > NAME_MAX_BYTES ? problem(`name longer than ${NAME_MAX_BYTES} bytes`) : null;
}

export function controlPathProblem(path: string): Problem | null {
  if (path === '') return problem('empty path');
  if (hasNul(path)) return problem('path contains a NUL byte');
  if (bytes(path) > CONTROL_PATH_MAX_BYTES) {
    return problem(`a Unix socket path is at most ${CONTROL_PATH_MAX_BYTES} bytes, this one has ${bytes(path)}`);
  }
  return null;
}

// ---- MACs and modes ----

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

// ---- run settings ----

const METRICS_RE = /^(?:\[(?<v6>[^\]]*)\]|(?<host>[^:[\]]*)):(?<port>[^:]*)$/;

/** `ADDR:PORT`, `[IPV6]:PORT` or `:PORT` (= 127.0.0.1:PORT). ADDR is an IP literal: no name lookup at start-up. */
export function parseMetrics(text: string): MetricsAddr | Problem {
  const m = METRICS_RE.exec(text);
  if (!m?.groups) {
    return problem(`bad address ${quote(text)} (ADDR:PORT, [IPV6]:PORT or :PORT)`);
  }
  const { v6, host, port: portText } = m.groups;
  const port = parseDecimal(portText, 1, 65535, 'port');
  if (typeof port !== 'number') return port;
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port } : problem(`bad IPv6 address ${quote(v6)}`);
  if (host === '') return { host: METRICS_DEFAULT_HOST, port };
  return isIPv4(host) ? { host, port } : problem(`bad IPv4 address ${quote(host)} (an IP literal; IPv6 in brackets)`);
}

export function captureFileProblem(file: string): Problem | null {
  if (file === '') return problem('empty file name ("-" is the standard output)');
  if (hasNul(file)) return problem('file name contains a NUL byte');
  return bytes(file) > PATH_MAX_BYTES ? problem(`path longer than ${PATH_MAX_BYTES} bytes`) : null;
}

export function captureFilterProblem(filter: string): Problem | null {
  if (filter.trim() === '') return problem('empty filter');
  return hasNul(filter) ? problem('filter contains a NUL byte') : null;
}

export function parseCaptureFormat(text: string): CaptureFormat | Problem {
  return text === 'pcapng' || text === 'pcap' ? text : problem(`bad format ${quote(text)} (pcapng or pcap)`);
}

/** `SIZE_MB:FILES` of --capture-rotate. */
export function parseRotate(text: string): CaptureRotate | Problem {
  const m = /^([^:]*):([^:]*)$/.exec(text);
  if (!m) return problem(`bad rotation ${quote(text)} (SIZE_MB:FILES, e.g. 100:5)`);
  const sizeMb = parseDecimal(m[1], 1, ROTATE_MAX_MB, 'size in MB');
  if (typeof sizeMb !== 'number') return sizeMb;
  const files = parseDecimal(m[2], 1, ROTATE_MAX_FILES, 'file count');
  if (typeof files !== 'number') return files;
  return { sizeMb, files };
}

export function parseLogLevel(text: string): LogLevel | Problem {
  return text === 'quiet' || text === 'normal' || text === 'verbose'
    ? text : problem(`bad log level ${quote(text)} (quiet, normal or verbose)`);
}

// ---- the host port (host-port.ts) ----

/** `--host-port NAME[:MAC]`: the host's own port among the children; no MAC is 'auto', as a child's. */
export interface HostPortSpec { name: string; mac: number | 'auto' }

export function parseHostPort(text: string): HostPortSpec | Problem {
  // An interface name holds no ":", so the first one ends it.
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const bad = childNameProblem(name);
  if (bad) return bad;
  if (colon < 0) return { name, mac: 'auto' };
  const mac = parseChildMac(text.slice(colon + 1));
  return typeof mac === 'object' ? mac : { name, mac };
}

/** An address of the host port with its prefix length: canonical text (IPv6 compressed, lower case). */
export interface Cidr { addr: string; prefix: number }

/** The canonical text of an IPv4/IPv6 address (no prefix, no zone), or null when it is not one */
export function canonicalIp(text: string): string | null {
  if (isIPv4(text)) return text; // Node takes dotted quads only, without leading zeros: already canonical
  if (!isIPv6(text) || text.includes('%')) return null;
  // The WHATWG URL parser serializes IPv6 hosts in the RFC 5952 form (compressed, lower case, IPv4 tail in hex).
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** `ADDR/PREFIX` (IPv4 or IPv6; no prefix: a host's, /32 or /128, as ip(8) takes it); not multicast or unspecified. */
export function parseCidr(text: string): Cidr | Problem {
  const slash = text.indexOf('/');
  const addr = canonicalIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return problem(`bad address ${quote(text)} (ADDR/PREFIX, IPv4 or IPv6)`);
  const v6 = addr.includes(':');
  const prefix = slash < 0 ? (v6 ? 128 : 32) : parseDecimal(text.slice(slash + 1), 0, v6 ? 128 : 32, 'prefix length');
  if (typeof prefix !== 'number') return prefix;
  const first = v6 ? parseInt(addr.split(':')[0] || '0', 16) >> 8 : Number(addr.split('.')[0]);
  if (addr === '0.0.0.0' || addr === '::' || (v6 ? first === 0xff : first >= 224 && first <= 239)) {
    return problem(`${quote(text)} is ${addr === '0.0.0.0' || addr === '::' ? 'unspecified' : 'multicast'}: not an interface address`);
  }
  return { addr, prefix };
}

export const formatCidr = (c: Cidr): string => `${c.addr}/${c.prefix}`;
