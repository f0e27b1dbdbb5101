// An interface's addresses and host routes, set over rtnetlink in the caller's namespace (the host port's: the
// daemon's own). Control path only; what an errno means (EEXIST on an add, EADDRNOTAVAIL/ESRCH on a delete) is the
// caller's to decide.

import { ackRequest } from './rtnetlink.js';
import { buildAddr, buildHostRoute } from './rtnetlink-addr.js';

/** `ip addr add|del ADDR/PREFIX dev` the link `ifindex` (named `ifname` in errors) */
export function setAddress(ifname: string, ifindex: number, add: boolean, addr: string, prefix: number): void {
  ackRequest((seq) => buildAddr(seq, add, ifindex, addr, prefix), ifname, add ? 'RTM_NEWADDR' : 'RTM_DELADDR');
}

/** `ip route add|del ADDR/32 (/128) dev` the link `ifindex` `proto static` */
export function setHostRoute(ifname: string, ifindex: number, add: boolean, addr: string): void {
  ackRequest((seq) => buildHostRoute(seq, add, ifindex, addr), ifname, add ? 'RTM_NEWROUTE' : 'RTM_DELROUTE');
}
