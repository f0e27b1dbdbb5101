// host-linux-tap.ts — a child's TAP on Linux, the ChildTap of the Linux Host (host-linux.ts): set and read through
// src/io/ in the namespace the TAP is in now (it may have been moved from outside since it was made), and watched
// there through that namespace's shared watch (ns-watch.ts), which follows it when it moves again.

import { fstatSync } from 'node:fs';
import { ifindex, linkInfo, setMtu, setUp, type NsOpt } from '../io/link.js';
import { closeTap, inTapNetns, setTapCarrier, setTapMac, tapIfname, type Tap } from '../io/tap.js';
import type { LinkEvent } from '../io/rtnetlink.js';
import { IFF } from '../io/rtnetlink-codec.js';
import { markTap, unpersistTap } from '../io/tap-persist.js';
import type { ChildTap, LinkState, TapEvent } from './host.js';
import { nsInode, watchInNs, type NsMember } from './ns-watch.js';

/** A link's state by ioctl, in the namespace `ns` */
function linkIn(ns: NsOpt, name: string): LinkState {
  const { ifindex, flags, mtu, mac } = linkInfo(name, ns);
  return {
    // SIOCGIFFLAGS is 16 bits wide: no IFF_LOWER_UP. IFF_RUNNING (operstate up: carrier and not dormant) stands in.
    ifindex, name, mtu, mac, up: (flags & IFF.UP) !== 0, carrier: (flags & IFF.RUNNING) !== 0,
    promisc: (flags & IFF.PROMISC) !== 0, allmulti: (flags & IFF.ALLMULTI) !== 0,
  };
}

/**
 * A link's state from its RTM_NEWLINK as it arrives: the kernel fills every one with the flags, IFLA_ADDRESS and
 * IFLA_MTU, so nothing is read again (a read enters the TAP's namespace from a thread: a millisecond between the
 * event and the table). null when the message lacks them.
 */
function linkFromEvent(e: LinkEvent): LinkState | null {
  if (e.mac < 0 || e.mtu < 0 || e.ifname === '') return null;
  const up = (e.flags & IFF.UP) !== 0;
  return {
    ifindex: e.ifindex, name: e.ifname, mac: e.mac, mtu: e.mtu, up,
    carrier: up && (e.carrier ?? (e.flags & IFF.LOWER_UP) !== 0),
    promisc: (e.flags & IFF.PROMISC) !== 0, allmulti: (e.flags & IFF.ALLMULTI) !== 0,
  };
}

/** A child's TAP: its fd, and its link wherever it has moved (set, read and watched in the namespace it is in now). */
export class LinuxChildTap implements ChildTap {
  private leave: (() => void) | null = null;
  private nsIno = 0;
  private ifindex: number;
  private closed = false;
  private limit = 0;
  private slow = false;
  private member: NsMember | null = null;

  constructor(private readonly io: Tap) { this.ifindex = io.ifindex; }

  get name(): string { return this.io.name; }
  get fd(): number { return this.io.fd; }

  /** Runs fn in the namespace the TAP is in now: it may have been moved since it was made. */
  private inNs<T>(fn: (ns: { netnsFd: number }) => T): T {
    return inTapNetns(this.io, fn);
  }

  setCarrier(on: boolean): void { setTapCarrier(this.io, on); }

  private currentName(): string { return tapIfname(this.io.fd); }

  setUp(on: boolean): void {
    this.inNs((ns) => setUp(this.currentName(), on, ns));
  }
  setMac(mac: number): void { setTapMac(this.io, mac); }
  setMtu(mtu: number): void {
    this.inNs((ns) => setMtu(this.currentName(), mtu, ns));
  }
  state(): LinkState { return this.inNs((ns) => linkIn(ns, this.currentName())); }

  groupReads(limit: number, slow: boolean): void {
    this.limit = limit;
    this.slow = slow;
    if (this.member) { this.member.limit = limit; this.member.slow = slow; }
  }

  watch(cb: (ev: TapEvent) => void): () => void {
    this.join(cb);
    // Report the state once, so a change made before the watch began is not missed.
    try { cb({ type: 'state', link: this.state() }); } catch { /* reported by the next event */ }
    return () => this.part();
  }

  /** Joins the watch of the namespace the TAP is in now. */
  private join(cb: (ev: TapEvent) => void): void {
    const m: NsMember = {
      ifindex: this.ifindex, limit: this.limit, slow: this.slow,
      link: (e) => this.onLink(e, cb),
      mcast: (e) => cb({ type: 'ip-group', join: e.join, key: e.key, mac: e.mac }),
      devMcast: (macs, count) => cb({ type: 'dev-mcast', macs, count }),
      overflow: () => {
        cb({ type: 'resync' });
        try { cb({ type: 'state', link: this.state() }); } catch { /* gone: its DELLINK was lost too; reads fail */ }
      },
    };
    this.member = m;
    this.inNs((ns) => {
      this.nsIno = nsInode(ns.netnsFd);
      this.leave = watchInNs(ns.netnsFd, m);
    });
  }

  private part(): void {
    this.leave?.();
    this.leave = null;
    this.member = null;
  }

  private onLink(m: LinkEvent, cb: (ev: TapEvent) => void): void {
    if (this.closed) return;
    if (m.type === 'new') {
      const link = linkFromEvent(m);
      if (link) { cb({ type: 'state', link }); return; }
      try { cb({ type: 'state', link: this.state() }); } catch { /* vanished meanwhile: the DELLINK follows */ }
      return;
    }
    // RTM_DELLINK: deleted, or moved to another namespace (the fd still works then).
    let ino = -1;
    let dev = -1;
    try { ({ ino, dev } = this.inNs((ns) => fstatSync(ns.netnsFd))); } catch { ino = -1; }
    if (ino < 0 || ino === this.nsIno) { cb({ type: 'gone' }); return; }
    this.part();
    try {
      this.ifindex = this.inNs((ns) => ifindex(this.currentName(), ns));
      this.join(cb);
      cb({ type: 'moved', netns: `netns inode ${this.nsIno}`, id: { dev, ino } });
      // Events in the new namespace before the watch there began (e.g. `ip link set up` right after the move)
      // were never seen: report the state once, as watch() does at its start.
      cb({ type: 'state', link: this.state() });
    } catch {
      cb({ type: 'gone' });
    }
  }

  persist(alias: string): void {
    this.inNs((ns) => markTap({ ...this.io, name: this.currentName() }, alias, ns.netnsFd));
  }

  unpersist(): void { unpersistTap(this.io); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.part();
    closeTap(this.io);
  }
}
