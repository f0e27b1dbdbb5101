// The Linux Host: TAPs, link state and link events over the addon. Link events come from rtnetlink sockets (one in
// the daemon's namespace for the parent, one per TAP in whatever namespace the TAP lives in now), read without
// blocking on a short timer: Node cannot watch a netlink fd, and a timer read of queued kernel messages costs
// nothing when there are none.

import { fstatSync } from 'node:fs';
import { loadAddon } from '../io/native.js';
import { IfaceError, check } from '../io/errors.js';
import { withNetns } from '../io/netns.js';
import { openTap, closeTap, tapNetnsFd, tapIfname, setTapCarrier, setTapMac, type Tap as IoTap } from '../io/tap.js';
import type { Host, LinkState, ParentEvent, Tap, TapEvent } from './host.js';

const RTMGRP_LINK = 1;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_CARRIER = 33;
const IFF = { UP: 0x1, RUNNING: 0x40, PROMISC: 0x100, ALLMULTI: 0x200, LOWER_UP: 0x10000 } as const;
const WATCH_MS = 50;

interface LinkMsg { type: number; link: LinkState }

/** Parses the RTM_NEWLINK/RTM_DELLINK messages in one netlink datagram. */
export function parseLinkMessages(b: Uint8Array, len: number): LinkMsg[] {
  const dv = new DataView(b.buffer, b.byteOffset, len);
  const out: LinkMsg[] = [];
  for (let off = 0; off + 16 <= len;) {
    const mlen = dv.getUint32(off, true);
    const type = dv.getUint16(off + 4, true);
    if (mlen < 16 || off + mlen > len) break;
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && mlen >= 32) {
      const ifindex = dv.getInt32(off + 20, true);
      const flags = dv.getUint32(off + 24, true);
      const link: LinkState = {
        ifindex, name: '', mac: 0, mtu: 0, up: (flags & IFF.UP) !== 0, carrier: (flags & IFF.LOWER_UP) !== 0,
        promisc: (flags & IFF.PROMISC) !== 0, allmulti: (flags & IFF.ALLMULTI) !== 0,
      };
      for (let a = off + 32; a + 4 <= off + mlen;) {
        const alen = dv.getUint16(a, true);
        const atype = dv.getUint16(a + 2, true) & 0x3fff;
        if (alen < 4 || a + alen > off + mlen) break;
        const p = a + 4;
        if (atype === IFLA_IFNAME) link.name = new TextDecoder().decode(b.subarray(p, p + alen - 5));
        else if (atype === IFLA_MTU && alen >= 8) link.mtu = dv.getUint32(p, true);
        else if (atype === IFLA_ADDRESS && alen - 4 === 6) { let m = 0; for (let k = 0; k < 6; k++) m = m * 256 + b[p + k]; link.mac = m; }
        else if (atype === IFLA_CARRIER && alen >= 5) link.carrier = link.carrier && b[p] === 1;
        a += (alen + 3) & ~3;
      }
      out.push({ type, link });
    }
    off += (mlen + 3) & ~3;
  }
  return out;
}

/** A NETLINK_ROUTE socket on link events in one namespace, read on a timer. */
class LinkWatch {
  private readonly fd: number;
  private readonly buf = new Uint8Array(64 * 1024);
  private readonly timer: NodeJS.Timeout;

  constructor(nsfd: number, private readonly cb: (m: LinkMsg) => void, what: string) {
    this.fd = check(loadAddon().nlOpen(nsfd, RTMGRP_LINK), what, 'netlink open');
    this.timer = setInterval(() => this.drain(), WATCH_MS);
    this.timer.unref();
  }

  drain(): void {
    const addon = loadAddon();
    for (;;) {
      const n = addon.recvInto(this.fd, this.buf, 0);
      if (n <= 0) return;
      for (const m of parseLinkMessages(this.buf, Math.min(n, this.buf.length))) this.cb(m);
    }
  }

  close(): void {
    clearInterval(this.timer);
    loadAddon().closeFd(this.fd);
  }
}

function linkIn(nsfd: number, name: string): LinkState {
  const out = new Float64Array(4);
  check(loadAddon().ifInfo(nsfd, name, out), name, 'SIOCGIFFLAGS');
  const flags = out[1];
  return {
    // SIOCGIFFLAGS is 16 bits wide: no IFF_LOWER_UP. IFF_RUNNING (operstate up: carrier and not dormant) stands in.
    ifindex: out[0], name, mtu: out[2], mac: out[3], up: (flags & IFF.UP) !== 0, carrier: (flags & IFF.RUNNING) !== 0,
    promisc: (flags & IFF.PROMISC) !== 0, allmulti: (flags & IFF.ALLMULTI) !== 0,
  };
}

const nsInode = (fd: number): number => fstatSync(fd).ino;

/** /proc/net/dev_mcast lines: "ifindex name users global 01005e000001" */
export function parseDevMcast(text: string, ifindex: number): number[] {
  const groups: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || Number(f[0]) !== ifindex || !/^[0-9a-f]{12}$/i.test(f[4])) continue;
    groups.push(parseInt(f[4], 16));
  }
  return groups;
}

class LinuxTap implements Tap {
  private nl: LinkWatch | null = null;
  private nsIno = 0;
  private ifindex: number;
  private closed = false;

  constructor(private readonly io: IoTap) { this.ifindex = io.ifindex; }

  get name(): string { return this.io.name; }
  get fd(): number { return this.io.fd; }

  private inNs<T>(fn: (nsfd: number) => T): T {
    const nsfd = tapNetnsFd(this.io.fd, this.io.name);
    try { return fn(nsfd); } finally { loadAddon().closeFd(nsfd); }
  }

  setCarrier(on: boolean): void { setTapCarrier(this.io, on); }

  private currentName(): string { return tapIfname(this.io.fd); }

  setUp(on: boolean): void {
    this.inNs((nsfd) => check(loadAddon().ifChangeFlags(nsfd, this.currentName(), on ? IFF.UP : 0, on ? 0 : IFF.UP), this.io.name, 'SIOCSIFFLAGS'));
  }
  setMac(mac: number): void { setTapMac(this.io, mac); }
  setMtu(mtu: number): void {
    this.inNs((nsfd) => check(loadAddon().ifSetMtu(nsfd, this.currentName(), mtu), this.io.name, 'SIOCSIFMTU'));
  }
  state(): LinkState { return this.inNs((nsfd) => linkIn(nsfd, this.currentName())); }

  groups(): number[] {
    return this.inNs((nsfd) => {
      const r = loadAddon().readInNetns(nsfd, '/proc/thread-self/net/dev_mcast');
      if (typeof r === 'number') throw new IfaceError(this.io.name, 'read dev_mcast', -r);
      return parseDevMcast(r, this.ifindex);
    });
  }

  watch(cb: (ev: TapEvent) => void): () => void {
    const open = (): void => {
      this.inNs((nsfd) => {
        this.nsIno = nsInode(nsfd);
        this.nl = new LinkWatch(nsfd, (m) => this.onMsg(m, cb), this.io.name);
      });
    };
    open();
    // Report the state once, so a change made before the watch began is not missed.
    try { cb({ type: 'state', link: this.state() }); } catch { /* reported by the next event */ }
    this.reopen = open;
    return () => { this.nl?.close(); this.nl = null; };
  }

  private reopen: (() => void) | null = null;

  private onMsg(m: LinkMsg, cb: (ev: TapEvent) => void): void {
    if (m.link.ifindex !== this.ifindex || this.closed) return;
    if (m.type === RTM_NEWLINK) {
      try { cb({ type: 'state', link: this.state() }); } catch { /* vanished meanwhile: the DELLINK follows */ }
      return;
    }
    // RTM_DELLINK: deleted, or moved to another namespace (the fd still works then).
    let ino = -1;
    try { ino = this.inNs((nsfd) => nsInode(nsfd)); } catch { ino = -1; }
    if (ino < 0 || ino === this.nsIno) { cb({ type: 'gone' }); return; }
    this.nl?.close();
    this.nl = null;
    try {
      this.ifindex = this.inNs((nsfd) => check(loadAddon().ifIndex(nsfd, this.currentName()), this.io.name, 'SIOCGIFINDEX'));
      this.reopen?.();
      cb({ type: 'moved', netns: `netns inode ${this.nsIno}` });
    } catch {
      cb({ type: 'gone' });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.nl?.close();
    closeTap(this.io);
  }
}

export class LinuxHost implements Host {
  isRoot(): boolean { return process.getuid?.() === 0; }

  link(name: string): LinkState {
    return linkIn(-1, name);
  }

  linkExistsIn(netns: string, name: string): boolean {
    return withNetns(netns, (nsfd) => loadAddon().ifIndex(nsfd, name) >= 0);
  }

  openTap(name: string, mac: number, mtu: number, netns?: string): Tap {
    // Made in the target namespace from the start: the same end state as a move, without a moment in ours.
    return new LinuxTap(openTap(name, { mac, mtu, up: false, netns }));
  }

  watchParent(ifindex: number, cb: (ev: ParentEvent) => void): () => void {
    const w = new LinkWatch(-1, (m) => {
      if (m.link.ifindex !== ifindex) return;
      if (m.type === RTM_DELLINK) { cb({ type: 'gone' }); return; }
      try { cb({ type: 'state', link: linkIn(-1, m.link.name) }); } catch { /* gone: the DELLINK follows */ }
    }, `ifindex ${ifindex}`);
    return () => w.close();
  }

  notify(text: string): void {
    const path = process.env.NOTIFY_SOCKET;
    if (!path) return;
    loadAddon().sdNotify(path, text);
  }
}
