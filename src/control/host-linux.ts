// The Linux Host: TAPs, link state and link events through src/io/. Link events come from rtnetlink sockets (one in
// the daemon's namespace for the parent, one per namespace the TAPs live in: ns-watch.ts), each read when the event
// loop sees it readable, never on a timer. A child's TAP is host-linux-tap.ts's.

import { readdirSync, statSync } from 'node:fs';
import { IfaceError } from '../io/errors.js';
import { hasLink } from '../io/link.js';
import { openTap } from '../io/tap.js';
import { dumpLinks } from '../io/rtnetlink.js';
import { EventSocket } from '../io/event-socket.js';
import { IFF } from '../io/rtnetlink-codec.js';
import { sdNotify } from '../io/notify.js';
import { VlanLinkSocket, dumpVlanLinks } from '../io/vlan-watch.js';
import { netnsPath } from '../io/netns.js';
import { attachTap, pinNetns, tapLinks, unpinNetns } from '../io/tap-persist.js';
import { deleteTapsByGroup, type GroupDelete } from '../io/link-group.js';
import type { ChildTap, Host, LinkState, NetnsIdentity, ParentEvent, TapMark, TapRemoval, VlanWatchEvent } from './host.js';
import { LinuxChildTap } from './host-linux-tap.js';
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

  removeTaps(taps: readonly ChildTap[]): TapRemoval {
    let r: GroupDelete;
    try { r = deleteTapsByGroup(taps.map((t) => t.fd)); } catch (e) { r = { deleted: 0, deletes: 0, problems: [(e as Error).message] }; }
    // Gone already (the group delete): the close only releases the fd. Still there: the close removes it.
    for (const t of taps) { try { t.close(); } catch { /* gone */ } }
    return { grouped: r.deleted, deletes: r.deletes, oneByOne: taps.length - r.deleted, problems: r.problems };
  }

  notify(text: string): void {
    sdNotify(text);
  }
}
