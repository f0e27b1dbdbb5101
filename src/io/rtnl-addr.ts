// rtnl-addr.ts — addresses, routes and sysctls inside a network namespace given by path (a CNI_NETNS): requests
// over a NETLINK_ROUTE socket opened in that namespace, and /proc/sys files opened from a thread there (/proc/sys/net
// shows the namespace of whoever opens it).

import { closeSync, writeSync } from 'node:fs';
import { loadAddon } from './native.js';
import { roundTrip } from './rtnetlink.js';
import { IfaceError } from './errors.js';
import { withNetns } from './netns.js';
import { buildDump, buildNewAddr, buildNewRoute, parseAnswer, RTM_ADDR, RTM_ROUTE, type AddrEntry, type IpPrefix, type Parsed, type RouteEntry } from './rtnl-addr-codec.js';

export type { AddrEntry, IpPrefix, RouteEntry } from './rtnl-addr-codec.js';
export { AF, ipPrefix } from './rtnl-addr-codec.js';

let seqCounter = 1;

function exchange(nsfd: number, msg: Uint8Array, seq: number, what: string): Parsed {
  const out: Parsed = { addrs: [], routes: [], error: null, done: false };
  roundTrip(nsfd, msg, what, (buf, n) => { parseAnswer(buf, n, seq, out); return out.done; });
  if (out.error !== null && out.error < 0) throw new IfaceError(what, 'rtnetlink', -out.error);
  return out;
}

/** The ifindex of `name` in the namespace at `netns`; -errno when it has none */
export function ifindexIn(netns: string, name: string): number {
  return withNetns(netns, (nsfd) => loadAddon().ifIndex(nsfd, name));
}

export function addAddress(netns: string, ifindex: number, p: IpPrefix): void {
  const seq = seqCounter++;
  withNetns(netns, (nsfd) => exchange(nsfd, buildNewAddr(seq, ifindex, p), seq, 'RTM_NEWADDR'));
}

export function addRoute(netns: string, oif: number, dst: IpPrefix, gw: Uint8Array | null): void {
  const seq = seqCounter++;
  withNetns(netns, (nsfd) => exchange(nsfd, buildNewRoute(seq, oif, dst, gw), seq, 'RTM_NEWROUTE'));
}

export function listAddresses(netns: string): AddrEntry[] {
  const seq = seqCounter++;
  return withNetns(netns, (nsfd) => exchange(nsfd, buildDump(seq, RTM_ADDR.GET), seq, 'RTM_GETADDR').addrs);
}

export function listRoutes(netns: string): RouteEntry[] {
  const seq = seqCounter++;
  return withNetns(netns, (nsfd) => exchange(nsfd, buildDump(seq, RTM_ROUTE.GET), seq, 'RTM_GETROUTE').routes);
}

/** Writes `value` to a /proc/sys file as the namespace sees it (e.g. net/ipv4/conf/eth0/arp_notify). */
export function writeSysctlIn(netns: string, key: string, value: string): void {
  withNetns(netns, (nsfd) => {
    const fd = loadAddon().openInNetns(nsfd, `/proc/sys/${key}`, 1);
    if (fd < 0) throw new IfaceError(key, 'open sysctl', -fd);
    try { writeSync(fd, value); } finally { closeSync(fd); }
  });
}
