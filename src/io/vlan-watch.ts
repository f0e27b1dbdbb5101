// The link messages a VLAN-upper watch needs, over the addon: a socket that hears link events of this namespace and
// of every namespace with an id here (NETLINK_LISTEN_ALL_NSID, so an upper moved away is still followed), and a dump
// of this namespace's links with their IFLA_LINKINFO.

import { loadAddon, type FdWatchHandle } from './native.js';
import { IfaceError } from './errors.js';
import {
  RTMGRP_LINK, RTMGRP_NSID, buildGetLinkDump, parseMessages, parseVlanLinks, type NsidEvent, type VlanLinkEvent,
} from './rtnetlink-codec.js';

export type { NsidEvent, VlanLinkEvent } from './rtnetlink-codec.js';

const RECV_BUF = 1 << 16;
const ANSWER_TIMEOUT_MS = 2000;
const EAGAIN = 11;
/** one dump at a time (the control thread is single-threaded), so one buffer */
const dumpBuf = new Uint8Array(RECV_BUF);

/** A link event with the id (here) of the namespace it came from: -1 for this one */
export type VlanLinkFrom = VlanLinkEvent & { nsid: number };

export class VlanLinkSocket {
  private readonly fd: number;
  private readonly buf = new Uint8Array(RECV_BUF);
  private readonly meta = new Int32Array(1);
  private readonly watch: FdWatchHandle;
  private closed = false;

  /** `readable` runs from the event loop whenever a datagram is queued (no timer): it should drain with recv(). */
  constructor(readable: () => void) {
    const addon = loadAddon();
    const fd = addon.nlOpen(-1, RTMGRP_LINK | RTMGRP_NSID, true);
    if (fd < 0) throw new IfaceError('rtnetlink', 'socket(NETLINK_ROUTE, LISTEN_ALL_NSID)', -fd);
    const h = addon.fdWatch(fd, () => { if (!this.closed) readable(); });
    if (typeof h === 'number') { addon.closeFd(fd); throw new IfaceError('rtnetlink', 'uv_poll_start', -h); }
    this.fd = fd;
    this.watch = h;
  }

  /** Hands the next datagram's events over, without waiting: false when none was queued. ENOBUFS (events lost:
   *  dump again) is thrown as IfaceError 'ENOBUFS'. */
  recv(onLink: (e: VlanLinkFrom) => void, onNsid: (e: NsidEvent) => void): boolean {
    const n = loadAddon().recvInto(this.fd, this.buf, 0, this.meta);
    if (n === -EAGAIN) return false;
    if (n < 0) throw new IfaceError('rtnetlink', 'recv', -n);
    const nsid = this.meta[0];
    parseVlanLinks(this.buf, Math.min(n, this.buf.length), (e) => onLink({ ...e, nsid }),
      // Namespace ids are only ever about the receiving namespace's view: those of other namespaces are not ours.
      (e) => { if (nsid === -1) onNsid(e); });
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    loadAddon().fdUnwatch(this.watch);
    loadAddon().closeFd(this.fd);
  }
}

/** Every link of this namespace as VLAN-link events (RTM_GETLINK dump). */
export function dumpVlanLinks(): VlanLinkFrom[] {
  const addon = loadAddon();
  const fd = addon.nlOpen(-1, 0);
  if (fd < 0) throw new IfaceError('links', 'socket(NETLINK_ROUTE)', -fd);
  try {
    const seq = 1;  // a fresh socket: only this dump's answers arrive on it
    const sent = addon.nlSend(fd, buildGetLinkDump(seq));
    if (sent < 0) throw new IfaceError('links', 'sendto(NETLINK_ROUTE)', -sent);
    const out: VlanLinkFrom[] = [];
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (let done = false, error = 0; !done;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new IfaceError('links', 'rtnetlink answer', 110);  // ETIMEDOUT
      const n = addon.recvInto(fd, dumpBuf, left);
      if (n === -EAGAIN) continue;
      if (n < 0) throw new IfaceError('links', 'recv(NETLINK_ROUTE)', -n);
      const len = Math.min(n, dumpBuf.length);
      parseVlanLinks(dumpBuf, len, (e) => out.push({ ...e, nsid: -1 }));
      parseMessages(dumpBuf, len, () => {}, (a) => { if (a.seq === seq) { error = a.error; done = true; } },
        (s) => { if (s === seq) done = true; });
      if (error < 0) throw new IfaceError('links', 'RTM_GETLINK', -error);
    }
    return out;
  } finally {
    addon.closeFd(fd);
  }
}
