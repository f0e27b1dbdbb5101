// An interface's addresses and host routes, set over rtnetlink in the caller's namespace (the host port's: the
// daemon's own). Control path only; what an errno means (EEXIST on an add, EADDRNOTAVAIL/ESRCH on a delete) is the
// caller's to decide, and so is the address's text (read into bytes by wire/ip-address.ts). The messages are
// rtnl-addr-codec.ts's, the one home of the address and route layouts.

import { ackRequest } from './rtnetlink.js';
import { buildDelAddr, buildHostRoute, buildNewAddr, type IpPrefix } from './rtnl-addr-codec.js';

/** `ip addr add|del ADDR/PREFIX dev` the link `ifindex` (named `ifname` in errors) */
export function setAddress(ifname: string, ifindex: number, add: boolean, p: IpPrefix): void {
  ackRequest((seq) => (add ? buildNewAddr(seq, ifindex, p) : buildDelAddr(seq, ifindex, p)), ifname, add ? 'RTM_NEWADDR' : 'RTM_DELADDR');
}

/** `ip route add|del ADDR/32 (/128) dev` the link `ifindex` `proto static` (the prefix length of `dst` is not read) */
export function setHostRoute(ifname: string, ifindex: number, add: boolean, dst: IpPrefix): void {
  ackRequest((seq) => buildHostRoute(seq, add, ifindex, dst), ifname, add ? 'RTM_NEWROUTE' : 'RTM_DELROUTE');
}
