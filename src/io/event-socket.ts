// An rtnetlink socket read when the kernel has something for it: the event loop polls its fd (libuv, through the
// addon) and the socket is drained in that callback. No timer: a link or multicast change is handled as soon as its
// message is queued.

import { loadAddon, type FdWatchHandle } from './native.js';
import { IfaceError } from './errors.js';
import { inNs, type NsOpt } from './netns.js';
import { RTMGRP_LINK, parseMessages, type LinkEvent } from './rtnetlink-codec.js';
import { RTNLGRP, parseMcastMessages, type McastEvent } from './rtnetlink-mcast.js';

const RECV_BUF = 1 << 16;
const ENOBUFS = 105;
const EAGAIN = 11;

export interface EventSink {
  link(e: LinkEvent): void;
  /** IP-level group joins and leaves (only when the socket was opened with `mcast`) */
  mcast?(e: McastEvent): void;
  /** The kernel dropped messages (ENOBUFS): whatever they said must be read again in full */
  overflow(): void;
}

export class EventSocket {
  private readonly fd: number;
  private readonly watch: FdWatchHandle;
  private readonly buf = new Uint8Array(RECV_BUF);
  private closed = false;

  /** In the caller's namespace, or the one `opts` names; `mcast` also joins the IPv4/IPv6 group announcements. */
  constructor(opts: NsOpt, mcast: boolean, private readonly sink: EventSink) {
    const addon = loadAddon();
    const fd = inNs(opts, (nsfd) => addon.nlOpen(nsfd, RTMGRP_LINK));
    if (fd < 0) throw new IfaceError(opts.netns ?? 'rtnetlink', 'socket(NETLINK_ROUTE)', -fd);
    this.fd = fd;
    if (mcast) {
      // A kernel without these groups refuses the join: the dev_mcast re-read still sees those groups, later.
      addon.nlJoin(fd, RTNLGRP.IPV4_MCADDR);
      addon.nlJoin(fd, RTNLGRP.IPV6_MCADDR);
    }
    const h = addon.fdWatch(fd, () => this.drain());
    if (typeof h === 'number') { addon.closeFd(fd); throw new IfaceError('rtnetlink', 'uv_poll_start', -h); }
    this.watch = h;
  }

  /** Reads every queued datagram. Runs from the event loop: it must never throw. */
  private drain(): void {
    const addon = loadAddon();
    for (let i = 0; i < 1024 && !this.closed; i++) {  // bounded: a flood of events cannot hold the loop for ever
      const n = addon.recvInto(this.fd, this.buf, 0);
      if (n === -EAGAIN) return;
      if (n === -ENOBUFS) { this.safe(() => this.sink.overflow()); continue; }
      if (n < 0) return;  // another error: the next readable event tries again
      const len = Math.min(n, this.buf.length);
      this.safe(() => parseMessages(this.buf, len, (e) => this.sink.link(e)));
      const onMcast = this.sink.mcast?.bind(this.sink);
      if (onMcast) this.safe(() => parseMcastMessages(this.buf, len, onMcast));
    }
  }

  private safe(fn: () => void): void {
    try { fn(); } catch { /* a handler's failure must not escape into libuv's callback */ }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const addon = loadAddon();
    addon.fdUnwatch(this.watch);
    addon.closeFd(this.fd);
  }
}
