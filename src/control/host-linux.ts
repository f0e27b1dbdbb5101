// The Linux Host: TAPs, link state and link events through src/io/. Link events come from rtnetlink sockets (one in
// the daemon's namespace for the parent, one per namespace the TAPs live in: ns-watch.ts), each read when the event
// loop sees it readable, never on a timer.

import { fstatSync, readdirSync, statSync } from 'node:fs';
import { IfaceError } from '../io/errors.js';
import { hasLink, ifindex, linkInfo, setMtu, setUp, type NsOpt } from '../io/link.js';
import { openTap, closeTap, inTapNetns, tapIfname, setTapCarrier, setTapMac, type Tap } from '../io/tap.js';
import { dumpLinks, type LinkEvent } from '../io/rtnetlink.js';
import { EventSocket } from '../io/event-socket.js';
import { IFF } from '../io/rtnetlink-codec.js';
import { sdNotify } from '../io/notify.js';
import { VlanLinkSocket, dumpVlanLinks } from '../io/vlan-watch.js';
import { netnsPath } from '../io/netns.js';
import { attachTap, markTap, pinNetns, tapLinks, unpersistTap, unpinNetns } from '../io/tap-persist.js';
import type { ChildTap, Host, LinkState, NetnsIdentity, ParentEvent, TapEvent, TapMark, VlanWatchEvent } from './host.js';
import { nsInode, watchInNs, type NsMember } from './ns-watch.js';
import { setAddress, setHostRoute } from '../io/ip-config.js';
import { ipPrefix, type IpPrefix } from '../io/rtnl-addr-codec.js';
import { parseIp } from '../wire/ip-address.js';

const EINVAL = 22;

/** The host port's address text (canonical already: values/addresses.ts) as rtnetlink's bytes; EINVAL, as the kernel
 *  would answer, for text that is no address */
function hostPrefix(ifname: string, op: string, addr: string, len?: number): IpPrefix {
  const b = parseIp(addr);
  if (b === null) throw new IfaceError(ifname, op, EINVAL);
  return ipPrefix(b, len);
}

function linkIn(ns: NsOpt, name: string): LinkState {
  const { ifindex, flags, mtu, mac } = linkInfo(name, ns);
  return {
    // SIOCGIFFLAGS is 16 bits wide: no IFF_LOWER_UP. IFF_RUNNING (operstate up: carrier and not dormant) stands in.
    ifindex, name, mtu, mac, up: (flags & IFF.UP) !== 0, carrier: (flags & IFF.RUNNING) !== 0,
    promisc: (flags & IFF.PROMISC) !== 0, allmulti: (flags & IFF.ALLMULTI) !== 0,
  };
}

/**
 * A link's state from rtnetlink (RTM_GETLINK dump): its carrier is the real one (IFLA_CARRIER / IFF_LOWER_UP).
 * IFF_RUNNING, all SIOCGIFFLAGS can show, follows the operstate, which linkwatch updates up to a second later: read
 * right after `ip link set up`, it would report no carrier where the kernel's macvlan already copies one.
 */
function linkFromNetlink(name: string): LinkState {
  const e = dumpLinks().find((l) => l.ifname === name);
  if (!e) throw new IfaceError(name, 'RTM_GETLINK', 19 /* ENODEV */);
  const up = (e.flags & IFF.UP) !== 0;
  return {
    ifindex: e.ifindex, name, mac: e.mac < 0 ? 0 : e.mac, mtu: e.mtu, up,
    carrier: up && (e.carrier ?? (e.flags & IFF.LOWER_UP) !== 0),
    promisc: (e.flags & IFF.PROMISC) !== 0, allmulti: (e.flags & IFF.ALLMULTI) !== 0,
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

class LinuxChildTap implements ChildTap {
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

export class LinuxHost implements Host {
  isRoot(): boolean { return process.getuid?.() === 0; }

  link(name: string): LinkState {
    return linkFromNetlink(name);
  }

  linkExistsIn(netns: string, name: string): boolean {
    return hasLink(name, { netns });
  }

  openTap(name: string, mac: number, mtu: number, netns?: string): ChildTap {
    // Made in the target namespace from the start: the same end state as a move, without a moment in ours.
    return new LinuxChildTap(openTap(name, { mac, mtu, up: false, netns }));
  }

  watchParent(ifindex: number, cb: (ev: ParentEvent) => void): () => void {
    const w = new EventSocket({}, false, {
      link: (m) => {
        if (m.ifindex !== ifindex) return;
        if (m.type === 'del') { cb({ type: 'gone' }); return; }
        try { cb({ type: 'state', link: linkFromNetlink(m.ifname) }); } catch { /* gone: the DELLINK follows */ }
      },
      // Messages were lost: read the parent again (a lost DELLINK shows as a failed read, then a vanished link).
      overflow: () => {
        const now = dumpLinks().find((l) => l.ifindex === ifindex);
        if (!now) { cb({ type: 'gone' }); return; }
        try { cb({ type: 'state', link: linkFromNetlink(now.ifname) }); } catch { /* read again on the next event */ }
      },
    });
    return () => w.close();
  }

  watchVlanUppers(cb: (ev: VlanWatchEvent) => void): () => void {
    const onNsid = (e: { type: 'new' | 'del'; nsid: number }): void => { if (e.type === 'del') cb({ type: 'nsid-gone', nsid: e.nsid }); };
    // Read when the kernel queues a message (the event loop polls the socket); bounded per wake-up, and a lost
    // message (ENOBUFS) means the whole list is read again.
    const drain = (): void => {
      try {
        for (let i = 0; i < 1024 && nl.recv((link) => cb({ type: 'link', link }), onNsid); i++) { /* next datagram */ }
      } catch {
        try { cb({ type: 'dump', links: dumpVlanLinks() }); } catch { /* the next message tries again */ }
      }
    };
    // Socket first, then the dump: an upper made in between is in one or the other (or both, which is harmless).
    const nl = new VlanLinkSocket(drain);
    cb({ type: 'dump', links: dumpVlanLinks() });
    return () => nl.close();
  }

  netnsIdentity(netns: string): NetnsIdentity | null {
    try {
      const st = statSync(netnsPath(netns));
      return { dev: st.dev, ino: st.ino };
    } catch { return null; }
  }

  findNetns(id: NetnsIdentity): string | null {
    // A named namespace first: its path lasts as long as the namespace, a process's does not.
    try {
      for (const name of readdirSync('/run/netns')) {
        const path = `/run/netns/${name}`;
        try {
          const st = statSync(path);
          if (st.dev === id.dev && st.ino === id.ino) return path;
        } catch { /* removed meanwhile */ }
      }
    } catch { /* no named namespaces */ }
    let pids: string[];
    try { pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)); } catch { return null; }
    for (const pid of pids) {
      const path = `/proc/${pid}/ns/net`;
      try {
        const st = statSync(path);
        if (st.dev === id.dev && st.ino === id.ino) return path;
      } catch { /* exited meanwhile, or not ours to see */ }
    }
    return null;
  }

  links(netns?: string): TapMark[] {
    return tapLinks(netns === undefined ? {} : { netns }).map((l) => ({ name: l.name, alias: l.alias, tap: l.tun && l.tap, owner: l.owner }));
  }

  pinNetns(src: string, at: string): void { pinNetns(src, at); }
  unpinNetns(at: string): void { unpinNetns(at); }

  attachTap(name: string, netns?: string): ChildTap {
    return new LinuxChildTap(attachTap(name, netns));
  }

  setAddress(ifname: string, ifindex: number, add: boolean, a: { addr: string; prefix: number }): void {
    setAddress(ifname, ifindex, add, hostPrefix(ifname, add ? 'RTM_NEWADDR' : 'RTM_DELADDR', a.addr, a.prefix));
  }

  setHostRoute(ifname: string, ifindex: number, add: boolean, addr: string): void {
    setHostRoute(ifname, ifindex, add, hostPrefix(ifname, add ? 'RTM_NEWROUTE' : 'RTM_DELROUTE', addr));
  }

  notify(text: string): void {
    sdNotify(text);
  }
}
