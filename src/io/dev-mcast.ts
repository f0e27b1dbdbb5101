// /proc/net/dev_mcast as one namespace sees it: which link-layer multicast addresses each interface listens to.

import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';
import { inNs, type NsOpt } from './netns.js';

export interface McastEntry {
  ifindex: number;
  ifname: string;
  /** 48-bit MAC */
  mac: number;
  /** how many times it was added */
  users: number;
}

/** Lines are "ifindex ifname users global hexaddr" (net/core/dev_addr_lists.c, dev_mc_seq_show). */
export function parseDevMcast(text: string): McastEntry[] {
  const out: McastEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^[0-9a-f]{12}$/i.test(f[4])) continue;
    out.push({ ifindex: Number(f[0]), ifname: f[1], users: Number(f[2]), mac: parseInt(f[4], 16) });
  }
  return out;
}

/** The raw text, read from a thread inside the namespace (a name or path, or NsOpt; default: the caller's). */
export function readDevMcastText(ns?: string | NsOpt): string {
  const opts: NsOpt = typeof ns === 'string' ? { netns: ns } : ns ?? {};
  // /proc/thread-self: /proc/self/net would show the main thread's namespace, not the helper thread's.
  const path = '/proc/thread-self/net/dev_mcast';
  const r = inNs(opts, (nsfd) => loadAddon().readInNetns(nsfd, path));
  if (typeof r === 'number') throw new IfaceError(opts.netns ?? 'dev_mcast', `read ${path}`, -r);
  return r;
}

export function readDevMcast(ns?: string | NsOpt): McastEntry[] {
  return parseDevMcast(readDevMcastText(ns));
}

/** One namespace's /proc/net/dev_mcast, opened once and re-read with pread; parsed only when its bytes changed. */
export class DevMcastFile {
  private readonly fd: number;
  private buf = new Uint8Array(1 << 14);
  private lastLen = -1;
  private lastHash = 0;

  constructor(ns: NsOpt) {
    // /proc/thread-self: opened from the helper thread inside the namespace, the file shows that namespace for good.
    const fd = inNs(ns, (nsfd) => loadAddon().openInNetns(nsfd, '/proc/thread-self/net/dev_mcast'));
    if (fd < 0) throw new IfaceError(ns.netns ?? 'dev_mcast', 'open dev_mcast', -fd);
    this.fd = fd;
  }

  /** The file's bytes now, or null when they equal the last read's (length and hash). `force`: never null. */
  read(force = false): { buf: Uint8Array; len: number } | null {
    const addon = loadAddon();
    let n: number;
    for (;;) {
      n = addon.preadAll(this.fd, this.buf);
      if (n < 0) throw new IfaceError('dev_mcast', 'pread', -n);
      if (n < this.buf.length) break;
      this.buf = new Uint8Array(this.buf.length * 2);  // grows with the lists it holds, never shrinks
    }
    const h = fnv1a(this.buf, n);
    if (!force && n === this.lastLen && h === this.lastHash) return null;
    this.lastLen = n;
    this.lastHash = h;
    return { buf: this.buf, len: n };
  }

  close(): void { loadAddon().closeFd(this.fd); }

  /** Its descriptor and last read's length and hash, as preadChanged takes them, at entries[3 * i]. */
  entry(entries: Uint32Array, i: number): void {
    entries[3 * i] = this.fd;
    entries[3 * i + 1] = this.lastLen < 0 ? 0xffffffff : this.lastLen;
    entries[3 * i + 2] = this.lastHash;
  }
}

/** Reused by every changedFiles call: it runs on every tick of the re-read schedule. */
const batch = { entries: new Uint32Array(3 * 64), changed: new Int32Array(64), scratch: new Uint8Array(1 << 14) };

/**
 * Calls f(i) for each of files whose bytes differ from its last read (length and hash), or could not be read; one
 * native call reads and compares them all, so an idle tick costs no parse and no per-file call. f re-reads the file
 * (read()) to parse it.
 */
export function forEachChanged(files: readonly DevMcastFile[], f: (i: number) => void): void {
  const n = files.length;
  if (n === 0) return;
  if (batch.changed.length < n) {
    batch.entries = new Uint32Array(3 * n * 2);
    batch.changed = new Int32Array(n * 2);
  }
  for (let i = 0; i < n; i++) files[i].entry(batch.entries, i);
  const k = loadAddon().preadChanged(batch.entries, n, batch.scratch, batch.changed);
  if (k < 0) throw new IfaceError('dev_mcast', 'pread', -k);
  for (let j = 0; j < k; j++) f(batch.changed[j]);
}

/** 32-bit FNV-1a: cheap enough to run over the whole file on every re-read. */
export function fnv1a(b: Uint8Array, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/** A parsed file: per ifindex its MACs, at most `limit` of them kept (then `count` says how many there were). */
export interface DevMcastLists { macs: number[]; count: number }

/**
 * Parses dev_mcast bytes ("ifindex ifname users global hexaddr" per line) without making a string of the file;
 * at most limit(ifindex) MACs are kept per interface, so a child holding 40,000 groups costs a count, not a list.
 */
export function parseDevMcastBytes(b: Uint8Array, len: number, limit: (ifindex: number) => number): Map<number, DevMcastLists> {
  const out = new Map<number, DevMcastLists>();
  let i = 0;
  while (i < len) {
    let eol = i;
    while (eol < len && b[eol] !== 0x0a) eol++;
    const f = fields(b, i, eol);
    i = eol + 1;
    if (f.length < 5) continue;
    const ifindex = decimal(b, f[0][0], f[0][1]);
    const mac = hex12(b, f[4][0], f[4][1]);
    if (ifindex < 0 || mac < 0) continue;
    let l = out.get(ifindex);
    if (!l) { l = { macs: [], count: 0 }; out.set(ifindex, l); }
    l.count++;
    if (l.macs.length < limit(ifindex)) l.macs.push(mac);
  }
  return out;
}

function fields(b: Uint8Array, from: number, to: number): Array<[number, number]> {
  const f: Array<[number, number]> = [];
  let i = from;
  while (i < to && f.length < 5) {
    while (i < to && (b[i] === 0x20 || b[i] === 0x09)) i++;
    const s = i;
    while (i < to && b[i] !== 0x20 && b[i] !== 0x09) i++;
    if (i > s) f.push([s, i]);
  }
  return f;
}

function decimal(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) { const c = b[i] - 0x30; if (c < 0 || c > 9) return -1; v = v * 10 + c; }
  return e > s ? v : -1;
}

function hex12(b: Uint8Array, s: number, e: number): number {
  if (e - s !== 12) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
