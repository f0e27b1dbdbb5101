// rtnetlink over the addon: a link-event socket the daemon watches, and request/answer calls (dump, move a link).

import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';
import { withNetns, netnsPath, inNs, type NsOpt } from './netns.js';
import {
  RTMGRP_LINK, buildGetLinkDump, buildSetLink, parseMessages, type LinkEvent,
} from './rtnetlink-codec.js';

export type { LinkEvent } from './rtnetlink-codec.js';

const RECV_BUF = 1 << 16;  // the kernel's dump messages fit in a page each; 64 KiB holds a full datagram
const ANSWER_TIMEOUT_MS = 2000;

/** A NETLINK_ROUTE socket subscribed to link events. Non-blocking: recv(0) never waits, so the fd can be polled;
 *  or call recv(timeoutMs) from a worker. */
export class LinkWatcher {
  readonly fd: number;
  private readonly buf = new Uint8Array(RECV_BUF);
  private closed = false;

  /** In the caller's namespace, or in `netns` (name or path), or in the namespace open on `netnsFd`
   *  (e.g. tapNetnsFd(): to follow a TAP that was moved). */
  constructor(opts: NsOpt = {}) {
    const addon = loadAddon();
    const fd = inNs(opts, (nsfd) => addon.nlOpen(nsfd, RTMGRP_LINK));
    if (fd < 0) throw new IfaceError(opts.netns ?? 'rtnetlink', 'socket(NETLINK_ROUTE)', -fd);
    this.fd = fd;
  }

  /** Events of the next datagram (waiting up to timeoutMs; 0 = not at all), or [] when none came.
   *  ENOBUFS (the kernel dropped events: resync with dumpLinks()) is thrown as IfaceError code 'ENOBUFS'. */
  recv(timeoutMs = 0): LinkEvent[] {
    const n = loadAddon().recvInto(this.fd, this.buf, timeoutMs);
    if (n === -11) return [];  // EAGAIN
    if (n < 0) throw new IfaceError('rtnetlink', 'recv', -n);
    const out: LinkEvent[] = [];
    parseMessages(this.buf, Math.min(n, this.buf.length), (e) => out.push(e));
    return out;
  }

  close(): void {
    if (!this.closed) { this.closed = true; loadAddon().closeFd(this.fd); }
  }
}

let seqCounter = 1;

/**
 * Sends one request on a fresh NETLINK_ROUTE socket in the namespace and hands each datagram of the answer to
 * `take` until it says the answer is complete (its ACK, or a dump's DONE); the one receive loop of every request.
 */
export function roundTrip(nsfd: number, msg: Uint8Array, what: string, take: (buf: Uint8Array, n: number) => boolean): void {
  const addon = loadAddon();
  const fd = addon.nlOpen(nsfd, 0);
  if (fd < 0) throw new IfaceError(what, 'socket(NETLINK_ROUTE)', -fd);
  try {
    const sent = addon.nlSend(fd, msg);
    if (sent < 0) throw new IfaceError(what, 'sendto(NETLINK_ROUTE)', -sent);
    const buf = new Uint8Array(RECV_BUF);
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (let done = false; !done;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new IfaceError(what, 'rtnetlink answer', 110);  // ETIMEDOUT
      const n = addon.recvInto(fd, buf, left);
      if (n === -11) continue;
      if (n < 0) throw new IfaceError(what, 'recv(NETLINK_ROUTE)', -n);
      done = take(buf, Math.min(n, buf.length));
    }
  } finally {
    addon.closeFd(fd);
  }
}

/** One request and its answer: links (for a dump) and the ACK. */
function request(nsfd: number, msg: Uint8Array, seq: number, what: string, dump: boolean, op = 'RTM_SETLINK'): LinkEvent[] {
  const links: LinkEvent[] = [];
  let error = 0;
  roundTrip(nsfd, msg, what, (buf, n) => {
    let done = false;
    parseMessages(buf, n,
      (e, s) => { if (s === seq) links.push(e); },
      (a) => { if (a.seq === seq) { error = a.error; done = true; } },
      (s) => { if (s === seq && dump) done = true; });
    return done;
  });
  if (error < 0) throw new IfaceError(what, op, -error);
  return links;
}

/** Every link of a namespace (RTM_GETLINK dump), as 'new' events. */
export function dumpLinks(opts: NsOpt = {}): LinkEvent[] {
  const seq = seqCounter++;
  return inNs(opts, (nsfd) => request(nsfd, buildGetLinkDump(seq), seq, opts.netns ?? 'links', true));
}

/** Moves link `ifname` from namespace `from` (default: here) into `to` (a name under /run/netns, or a path such as
 *  /proc/PID/ns/net). The link arrives down: bring it up there. */
export function moveLink(ifname: string, to: string, opts: { from?: string } = {}): void {
  const addon = loadAddon();
  const target = addon.nsOpen(netnsPath(to));
  if (target < 0) throw new IfaceError(netnsPath(to), 'open netns', -target);
  try {
    withNetns(opts.from, (nsfd) => {
      const ifindex = addon.ifIndex(nsfd, ifname);
      if (ifindex < 0) throw new IfaceError(ifname, 'SIOCGIFINDEX', -ifindex);
      const seq = seqCounter++;
      request(nsfd, buildSetLink(seq, { ifindex, netnsFd: target }), seq, ifname, false);
    });
  } finally {
    addon.closeFd(target);
  }
}

/** Sends one request that answers with an ACK only (an address, a route), in the namespace; throws its IfaceError
 *  (`op` names the request, `what` the interface) with the kernel's errno. */
export function ackRequest(build: (seq: number) => Uint8Array, what: string, op: string, opts: NsOpt = {}): void {
  const seq = seqCounter++;
  inNs(opts, (nsfd) => request(nsfd, build(seq), seq, what, false, op));
}
