// One watch per network namespace the TAPs live in (part of the Linux Host; through src/io/ only): one rtnetlink
// socket for link events and IP-level multicast joins, read when readable, and one descriptor on the namespace's
// /proc/net/dev_mcast, re-read with pread.
//
// Link-layer joins made with SIOCADDMULTI (`ip maddr add`) produce no message, so dev_mcast is re-read on the one
// timer left: every period (50 ms unless a round of reads is costly: reread-pace.ts), and at once when any netlink
// event for the namespace arrives unless it was read less than a period ago (then at the next tick). While a TAP in
// it is over its group cap, at most once per 500 ms, events included. An unchanged file (length and hash) is not
// parsed.
//
// The ticks are shared by every namespace, and a tick reads every namespace due in one native call that says which
// files changed: an idle daemon with 64 namespaces wakes 20 times a second, not 1,280, and spends a tick in the
// kernel generating the files, not in JavaScript.

import { fstatSync } from 'node:fs';
import { EventSocket } from '../io/event-socket.js';
import { DevMcastFile, forEachChanged, parseDevMcastBytes } from '../io/dev-mcast.js';
import type { LinkEvent } from '../io/rtnetlink.js';
import type { McastEvent } from '../io/rtnetlink-mcast.js';
import { PACE_ROUNDS, cappedGap, rereadPeriod } from './reread-pace.js';

/** A TAP's part of a namespace watch. */
export interface NsMember {
  readonly ifindex: number;
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

/** The ticks: one timer for every namespace, running while there is one. unref'd: it keeps nothing alive. */
const schedule = {
  timer: null as NodeJS.Timeout | null,
  due: [] as NsWatch[],
  files: [] as DevMcastFile[],
  /** the wall-clock cost of the last rounds (ms), a ring; the period follows from it */
  costs: new Float64Array(PACE_ROUNDS),
  round: 0,
  period: rereadPeriod([]),
  start(): void {
    if (!this.timer) this.arm();
  },
  arm(): void {
    this.timer = setTimeout(() => this.tick(), this.period);
    this.timer.unref();
  },
  stop(): void {
    if (this.timer && watches.size === 0) { clearTimeout(this.timer); this.timer = null; }
  },
  tick(): void {
    const t0 = performance.now();
    const now = Date.now();
    this.due.length = 0;
    this.files.length = 0;
    for (const w of watches.values()) if (w.dueAt(now)) { this.due.push(w); this.files.push(w.file); w.lastRead = now; }
    try {
      forEachChanged(this.files, (i) => this.due[i].read(true));
    } catch { /* the call itself failed (a bad argument): the next tick tries again */ }
    this.costs[this.round++ % PACE_ROUNDS] = performance.now() - t0;
    this.period = rereadPeriod(this.costs);
    if (watches.size > 0) this.arm(); else this.timer = null;
  },
};

class NsWatch {
  private readonly members = new Set<NsMember>();
  /** the members by ifindex: an event reaches its TAP without a walk over thousands of siblings */
  private readonly byIfindex = new Map<number, NsMember[]>();
  private readonly sock: EventSocket;
  readonly file: DevMcastFile;
  lastRead = 0;
  /** members added since the last read wait for it: one read for a burst of adds (a start with 4,096 children) */
  private addRead: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(netnsFd: number, private readonly ino: number) {
    this.file = new DevMcastFile({ netnsFd });
    try {
      this.sock = new EventSocket({ netnsFd }, true, {
        link: (e) => { for (const m of this.byIfindex.get(e.ifindex) ?? []) m.link(e); this.soon(); },
        mcast: (e) => { for (const m of this.byIfindex.get(e.ifindex) ?? []) if (!m.slow) m.mcast(e); this.soon(); },
        overflow: () => { for (const m of this.members) m.overflow(); this.read(true); },
      });
    } catch (e) { this.file.close(); throw e; }
  }

  private capped(): boolean {
    for (const m of this.members) if (m.slow) return true;
    return false;
  }

  /** Whether a read `since` ms after the last one is due (the walk over the members only when it decides). */
  private dueAfter(since: number): boolean {
    return since >= cappedGap(schedule.period) || (since >= schedule.period && !this.capped());
  }

  /** Read at this tick: every tick, or 500 ms (or a period, if longer) after the last read while a TAP is capped. */
  dueAt(now: number): boolean {
    return now - this.lastRead >= cappedGap(schedule.period) || !this.capped();
  }

  /** A netlink event came: read now, unless read less than a period ago (then a tick reads it, a period away). */
  private soon(): void {
    if (this.dueAfter(Date.now() - this.lastRead)) this.read(false);
  }

  /** Reads dev_mcast and reports each member's entries; `force` also when the bytes did not change. */
  read(force: boolean): void {
    if (this.closed) return;
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

  /**
   * The new member hears its list with the next turn of the event loop: members added in one turn (a start's
   * children are added in one loop) share one read, where a read per add would parse the namespace's whole file
   * (every TAP's entries) once per child — quadratic in the children of a namespace.
   */
  add(m: NsMember): void {
    this.members.add(m);
    const same = this.byIfindex.get(m.ifindex);
    if (same) same.push(m); else this.byIfindex.set(m.ifindex, [m]);
    this.addRead ??= setImmediate(() => { this.addRead = null; this.read(true); });
  }

  remove(m: NsMember): void {
    this.members.delete(m);
    const same = this.byIfindex.get(m.ifindex);
    if (same) {
      const at = same.indexOf(m);
      if (at >= 0) same.splice(at, 1);
      if (same.length === 0) this.byIfindex.delete(m.ifindex);
    }
    if (this.members.size > 0) return;
    this.closed = true;
    if (this.addRead) { clearImmediate(this.addRead); this.addRead = null; }
    watches.delete(this.ino);
    schedule.stop();
    this.sock.close();
    this.file.close();
  }
}

/** Joins `m` to the watch of the namespace open on netnsFd (made on first use); returns the leave function. */
export function watchInNs(netnsFd: number, m: NsMember): () => void {
  const ino = nsInode(netnsFd);
  let w = watches.get(ino);
  if (!w) { w = new NsWatch(netnsFd, ino); watches.set(ino, w); schedule.start(); }
  const watch = w;
  watch.add(m);
  let left = false;
  return () => { if (!left) { left = true; watch.remove(m); } };
}
