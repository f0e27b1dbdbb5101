// One watch per network namespace the TAPs live in (part of the Linux Host; through src/io/ only): one rtnetlink
// socket for link events and IP-level multicast joins, read when readable, and one descriptor on the namespace's
// /proc/net/dev_mcast, re-read with pread.
//
// Link-layer joins made with SIOCADDMULTI (`ip maddr add`) produce no message, so dev_mcast is re-read on the one
// timer left: every 50 ms, and at once when any netlink event for the namespace arrives unless it was read less than
// 50 ms ago (then at the 50 ms mark). While a TAP in it is over its group cap, at most once per 500 ms, events
// included. An unchanged file (length and hash) is not parsed.

import { fstatSync } from 'node:fs';
import { EventSocket } from '../io/event-socket.js';
import { DevMcastFile, parseDevMcastBytes } from '../io/dev-mcast.js';
import type { LinkEvent } from '../io/rtnetlink.js';
import type { McastEvent } from '../io/rtnetlink-mcast.js';

export const DEV_MCAST_MS = 50;
export const DEV_MCAST_CAPPED_MS = 500;

/** A TAP's part of a namespace watch. */
export interface NsMember {
  ifindex: number;
  /** most dev_mcast entries reported per read */
  limit: number;
  /** over its cap: its namespace is read at the slow pace */
  slow: boolean;
  link(e: LinkEvent): void;
  mcast(e: McastEvent): void;
  devMcast(macs: readonly number[], count: number): void;
  overflow(): void;
}

const watches = new Map<number, NsWatch>();

/** The namespace's inode: how two descriptors on one namespace are known to be the same. */
export const nsInode = (fd: number): number => fstatSync(fd).ino;

class NsWatch {
  private readonly members = new Set<NsMember>();
  private readonly sock: EventSocket;
  private readonly file: DevMcastFile;
  private readonly tick: NodeJS.Timeout;
  private pending: NodeJS.Timeout | null = null;
  private lastRead = 0;

  constructor(netnsFd: number, private readonly ino: number) {
    this.file = new DevMcastFile({ netnsFd });
    try {
      this.sock = new EventSocket({ netnsFd }, true, {
        link: (e) => { for (const m of this.members) if (m.ifindex === e.ifindex) m.link(e); this.soon(); },
        mcast: (e) => { for (const m of this.members) if (m.ifindex === e.ifindex && !m.slow) m.mcast(e); this.soon(); },
        overflow: () => { for (const m of this.members) m.overflow(); this.read(true); },
      });
    } catch (e) { this.file.close(); throw e; }
    this.tick = setInterval(() => { if (Date.now() - this.lastRead >= this.gap()) this.read(false); }, DEV_MCAST_MS);
    this.tick.unref();
  }

  private gap(): number {
    for (const m of this.members) if (m.slow) return DEV_MCAST_CAPPED_MS;
    return DEV_MCAST_MS;
  }

  /** A netlink event came: read now, or at the end of the current gap. */
  private soon(): void {
    if (this.pending) return;
    const wait = this.lastRead + this.gap() - Date.now();
    if (wait <= 0) { this.read(false); return; }
    this.pending = setTimeout(() => { this.pending = null; this.read(false); }, wait);
    this.pending.unref();
  }

  /** Reads dev_mcast and reports each member's entries; `force` also when the bytes did not change. */
  read(force: boolean): void {
    this.lastRead = Date.now();
    let r: { buf: Uint8Array; len: number } | null;
    try { r = this.file.read(force); } catch { return; /* the namespace is going away: its TAPs report that */ }
    if (!r) return;
    const limits = new Map<number, number>();
    for (const m of this.members) limits.set(m.ifindex, m.limit);
    const lists = parseDevMcastBytes(r.buf, r.len, (ifx) => limits.get(ifx) ?? 0);
    for (const m of this.members) {
      const l = lists.get(m.ifindex);
      m.devMcast(l?.macs ?? [], l?.count ?? 0);
    }
  }

  add(m: NsMember): void {
    this.members.add(m);
    this.read(true);  // the new member hears its list at once
  }

  remove(m: NsMember): void {
    this.members.delete(m);
    if (this.members.size > 0) return;
    watches.delete(this.ino);
    clearInterval(this.tick);
    if (this.pending) clearTimeout(this.pending);
    this.sock.close();
    this.file.close();
  }
}

/** Joins `m` to the watch of the namespace open on netnsFd (made on first use); returns the leave function. */
export function watchInNs(netnsFd: number, m: NsMember): () => void {
  const ino = nsInode(netnsFd);
  let w = watches.get(ino);
  if (!w) { w = new NsWatch(netnsFd, ino); watches.set(ino, w); }
  const watch = w;
  watch.add(m);
  let left = false;
  return () => { if (!left) { left = true; watch.remove(m); } };
}
