// state-file.ts — what a `--persist` daemon writes down so that its successor can take the children back: the
// instance id, the parent, every child's settings and where its TAP lives, and a heartbeat.
//
// Version 1. A key this daemon does not know (written by a later one: attachments, a host port) is kept and written
// back unchanged, at the top and in each child; only an incompatible change raises the version, and a daemon refuses
// a higher one. Written atomically: a temporary file in the same directory, fsync, rename — a crash leaves the old
// file or the new one, never half of one.

import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Flag, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { formatMac } from '../wire/ethernet.js';
import type { ChildConfig } from './child-config.js';
import { DaemonError } from './daemon-error.js';
import { CONTROL_DIR, netnsId } from './socket-path.js';
import { formatIfAddr, parseIfAddr } from '../values/addresses.js';
import { parseMode, parseUnicastMac } from '../values/macs-modes.js';
import { canonicalIp } from '../wire/ip-address.js';
import { readAttachment, type CniAttachment } from './cni-attachment.js';

export const STATE_VERSION = 1;

/** Where a child's TAP lives: the namespace as it was given, and its identity then (stat of the nsfs file). */
export interface NetnsRef {
  path: string;
  dev: number;
  ino: number;
  /** a bind mount keeping a /proc/PID/ns/net namespace alive while a child lives there (persistence.ts) */
  pin?: string;
}

export interface StateChild {
  name: string;
  mac: number;
  mode: ModeBit;
  flags: number;
  mtu: number;
  macaddr: number[];
  /** the broadcast queue length the child asked for (absent in files of daemons before it was kept) */
  bcQueueLen?: number;
  /** null: the daemon's own namespace */
  netns: NetnsRef | null;
  /** the CNI attachment it serves (cni-attachment.ts); absent for a child made outside CNI */
  cni?: CniAttachment;
  /** the child's keys this daemon does not know, written back unchanged */
  extra: Record<string, unknown>;
}

/** The host port (host-port.ts): which child it is, the addresses put on it, and the host routes through it by the
 *  child whose address each is — a restart keeps them until a source of addresses speaks for that child again. */
export interface StateHostPort {
  name: string;
  /** ADDR/PREFIX, canonical */
  addrs: string[];
  routes: Record<string, string[]>;
}

export interface DaemonState {
  instance: string;
  parent: { name: string; ifindex: number };
  /** when forwarding last ran (ms since the epoch); 0: never */
  heartbeat: number;
  /** the port's broadcast cutoff (bclim: set by any child, kept after it goes); absent in files of daemons before
   *  it was kept */
  bclim?: number;
  children: StateChild[];
  /** absent: no host port */
  hostPort?: StateHostPort;
  extra: Record<string, unknown>;
}

const TOP_KEYS = ['version', 'instance', 'parent', 'heartbeat', 'bclim', 'children', 'hostPort'];
const CHILD_KEYS = ['name', 'mac', 'mode', 'flags', 'mtu', 'macaddr', 'bcqueuelen', 'netns', 'cni'];

export function defaultStatePath(parent: string, dir = CONTROL_DIR): string {
  return join(dir, `${netnsId()}-${parent}.state`);
}

export const newState = (parent: { name: string; ifindex: number }): DaemonState =>
  ({ instance: randomUUID(), parent: { ...parent }, heartbeat: 0, children: [], extra: {} });

/** The TAP's alias that marks it as this instance's child. */
export const tapAlias = (instance: string, child: string): string => `umacvlan:${instance}:${child}`;

const corrupt = (path: string, what: string): DaemonError =>
  new DaemonError(`state file ${path}: ${what}; nothing adopted (remove it with --forget-all, or fix it)`, 'UMV_ERR_STATE_CORRUPT');

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function rest(o: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !known.includes(k)));
}

function readChild(v: unknown, at: string, fail: (what: string) => DaemonError): StateChild {
  if (!isObj(v)) throw fail(`${at} is not an object`);
  const { name, mac, mode, flags, mtu, macaddr, bcqueuelen, netns, cni } = v;
  if (typeof name !== 'string' || name === '') throw fail(`${at}.name is not a name`);
  const m = typeof mac === 'string' ? parseUnicastMac(mac) : null;
  if (typeof m !== 'number') throw fail(`${at}.mac is not a unicast MAC`);
  const md = typeof mode === 'string' ? parseMode(mode) : null;
  if (typeof md !== 'number') throw fail(`${at}.mode is not a mode`);
  if (!isUint(flags) || (flags & ~(Flag.NOPROMISC | Flag.NODST)) !== 0) throw fail(`${at}.flags is not nodst/nopromisc bits`);
  if (!isUint(mtu)) throw fail(`${at}.mtu is not a number`);
  if (!Array.isArray(macaddr)) throw fail(`${at}.macaddr is not a list`);
  const list = macaddr.map((x) => (typeof x === 'string' ? parseUnicastMac(x) : null));
  if (!list.every((x): x is number => typeof x === 'number')) throw fail(`${at}.macaddr holds a bad MAC`);
  if (bcqueuelen !== undefined && !(isUint(bcqueuelen) && bcqueuelen <= 0xffffffff)) throw fail(`${at}.bcqueuelen is not a u32`);
  let ns: NetnsRef | null = null;
  if (netns !== null) {
    if (!isObj(netns) || typeof netns.path !== 'string' || !isUint(netns.dev) || !isUint(netns.ino)
      || (netns.pin !== undefined && typeof netns.pin !== 'string')) {
      throw fail(`${at}.netns is not null or {path, dev, ino[, pin]}`);
    }
    ns = { path: netns.path, dev: netns.dev, ino: netns.ino };
    if (typeof netns.pin === 'string') ns.pin = netns.pin;
  }
  const child: StateChild = { name, mac: m, mode: md, flags, mtu, macaddr: list, netns: ns, extra: rest(v, CHILD_KEYS) };
  if (bcqueuelen !== undefined) child.bcQueueLen = bcqueuelen;
  if (cni !== undefined) {
    const a = readAttachment(cni);
    if (typeof a === 'string') throw fail(`${at}.cni ${a}`);
    child.cni = a;
  }
  return child;
}

function readHostPort(v: unknown, names: ReadonlySet<string>, fail: (what: string) => DaemonError): StateHostPort {
  if (!isObj(v) || typeof v.name !== 'string' || !Array.isArray(v.addrs) || !isObj(v.routes)) {
    throw fail('"hostPort" is not {name, addrs, routes}');
  }
  if (!names.has(v.name)) throw fail(`"hostPort" names ${v.name}, which is not among the children`);
  const addrs: string[] = [];
  for (const a of v.addrs) {
    const c = typeof a === 'string' ? parseIfAddr(a) : null;
    if (c === null || !('addr' in c)) throw fail('"hostPort.addrs" holds something that is not ADDR/PREFIX');
    addrs.push(formatIfAddr(c));
  }
  const routes: Record<string, string[]> = {};
  for (const [child, list] of Object.entries(v.routes)) {
    const ok = Array.isArray(list) ? list.map((a) => (typeof a === 'string' ? canonicalIp(a) : null)) : [null];
    if (!ok.every((a): a is string => a !== null)) throw fail(`"hostPort.routes.${child}" is not a list of addresses`);
    routes[child] = ok;
  }
  return { name: v.name, addrs, routes };
}

/** The state in `text`, or the DaemonError naming the file and what is wrong with it. */
export function parseState(text: string, path: string): DaemonState {
  const fail = (what: string): DaemonError => corrupt(path, what);
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw fail(`not JSON (${(e as Error).message}): truncated or corrupt`); }
  if (!isObj(v)) throw fail('not a JSON object');
  if (!isUint(v.version)) throw fail('no "version"');
  if (v.version > STATE_VERSION) {
    throw new DaemonError(`state file ${path}: version ${v.version} is newer than this daemon's ${STATE_VERSION}; ` +
      'run the newer umacvlan, or remove the children with --forget-all', 'UMV_ERR_STATE_VERSION');
  }
  if (typeof v.instance !== 'string' || !/^[0-9a-f-]{36}$/.test(v.instance)) throw fail('"instance" is not a UUID');
  const p = v.parent;
  if (!isObj(p) || typeof p.name !== 'string' || !isUint(p.ifindex)) throw fail('"parent" is not {name, ifindex}');
  if (!isUint(v.heartbeat)) throw fail('"heartbeat" is not a time');
  const bclim = v.bclim;
  if (bclim !== undefined && !(typeof bclim === 'number' && Number.isInteger(bclim) && bclim >= -0x8000_0000 && bclim <= 0x7fff_ffff)) {
    throw fail('"bclim" is not an s32');
  }
  if (!Array.isArray(v.children)) throw fail('"children" is not a list');
  const children = v.children.map((c, i) => readChild(c, `children[${i}]`, fail));
  const names = new Set<string>();
  for (const c of children) {
    if (names.has(c.name)) throw fail(`child ${c.name} is listed twice`);
    names.add(c.name);
  }
  const state: DaemonState = { instance: v.instance, parent: { name: p.name, ifindex: p.ifindex }, heartbeat: v.heartbeat, children, extra: rest(v, TOP_KEYS) };
  if (v.hostPort !== undefined) state.hostPort = readHostPort(v.hostPort, names, fail);
  if (bclim !== undefined) state.bclim = bclim;
  return state;
}

export function stateText(s: DaemonState): string {
  const children = s.children.map((c) => ({
    ...c.extra, name: c.name, mac: formatMac(c.mac), mode: MODE_NAMES[c.mode], flags: c.flags, mtu: c.mtu,
    macaddr: c.macaddr.map(formatMac), ...(c.bcQueueLen === undefined ? {} : { bcqueuelen: c.bcQueueLen }), netns: c.netns,
    ...(c.cni ? { cni: c.cni } : {}),
  }));
  const hostPort = s.hostPort ? { hostPort: s.hostPort } : {};
  return JSON.stringify({ ...s.extra, version: STATE_VERSION, instance: s.instance, parent: s.parent, heartbeat: s.heartbeat,
    ...(s.bclim === undefined ? {} : { bclim: s.bclim }), children, ...hostPort }, null, 2) + '\n';
}

/** The state file's content; null when there is none. */
export function readState(path: string): DaemonState | null {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DaemonError(`state file ${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'UMV_ERR_STATE_CORRUPT');
  }
  return parseState(text, path);
}

/** Writes the state atomically, mode 0600 (temporary file, fsync, rename, fsync of the directory). */
export function writeState(path: string, s: DaemonState): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  // A fresh file, never one planted at the name (no symlink followed, nothing truncated): a stale one of ours goes.
  rmSync(tmp, { force: true });
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, stateText(s));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}

export function removeState(path: string): void {
  try { unlinkSync(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** A child's entry as the run configuration's ChildConfig (the namespace as it was given). */
export function childConfigOf(c: StateChild): ChildConfig {
  const cfg: ChildConfig = { name: c.name, mac: c.mac, mode: c.mode, flags: c.flags, mtu: c.mtu, macaddr: [...c.macaddr] };
  if (c.netns) cfg.netns = c.netns.path;
  if (c.bcQueueLen !== undefined) cfg.bcQueueLen = c.bcQueueLen;
  if (c.cni) cfg.cni = { ...c.cni, ips: [...c.cni.ips] };
  return cfg;
}
