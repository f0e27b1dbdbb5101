// netns-config.ts — what a CNI attachment does inside the container's namespace, given by path: find the link,
// write the notify sysctls, add and read addresses and routes. CniSys is the interface the CNI commands use (tests
// hand in a fake); linuxCniSys goes through src/io/ (rtnetlink from a socket opened in the namespace, /proc/sys files
// opened from a thread there), never through `ip` or nsenter: the daemon needs no tool the node may lack.

import { formatIp, parseCidr, parseIp } from '../wire/ip-address.js';
import { addAddress, addRoute, ifindexIn, ipPrefix, listAddresses, listRoutes, writeSysctlIn, type IpPrefix } from '../io/rtnl-addr.js';

export interface SeenRoute { dst: string; gw?: string }

export interface CniSys {
  /** whether the path opens a network namespace */
  netnsExists(netns: string): boolean;
  /** the link's ifindex in the namespace, or -1 */
  linkIndex(netns: string, ifname: string): number;
  /** arp_notify (IPv4) and ndisc_notify (IPv6, when the namespace has IPv6) on the link */
  setNotify(netns: string, ifname: string): void;
  addAddress(netns: string, ifindex: number, cidr: string): void;
  addRoute(netns: string, ifindex: number, dst: string, gw: string | undefined): void;
  /** the link's addresses, as CIDR text */
  addresses(netns: string, ifindex: number): string[];
  /** the main table's routes through the link */
  routes(netns: string, ifindex: number): SeenRoute[];
}

/** '198.18.0.5/24' → family, 4 or 16 bytes, prefix length, read as the CNI results are (wire/ip-address.ts); null
 *  when it is not ADDRESS/PREFIX. Pure. */
export function prefixOf(cidr: string): IpPrefix | null {
  const c = parseCidr(cidr);
  return c === null ? null : ipPrefix(c.ip, c.prefix);
}

/** An IP literal as the 4 or 16 bytes rtnetlink takes, or null (read as the CNI results are: wire/ip-address.ts). */
export function ipBytes(ip: string): Uint8Array | null {
  const b = parseIp(ip);
  return b === null ? null : Uint8Array.from(b);
}

/** The kernel's 4 or 16 bytes as text, written as the CNI results write it (wire/ip-address.ts). */
export const ipText = (b: Uint8Array): string => formatIp([...b]);

const RT_TABLE_MAIN = 254;

export const linuxCniSys: CniSys = {
  netnsExists(netns) {
    // every network namespace has lo: a path that opens none (gone, not a namespace) finds no lo there
    try { return ifindexIn(netns, 'lo') >= 0; } catch { return false; }
  },
  linkIndex(netns, ifname) {
    const i = ifindexIn(netns, ifname);
    return i < 0 ? -1 : i;
  },
  setNotify(netns, ifname) {
    writeSysctlIn(netns, `net/ipv4/conf/${ifname}/arp_notify`, '1');
    // a namespace with IPv6 off has no such file: nothing to notify there
    try { writeSysctlIn(netns, `net/ipv6/conf/${ifname}/ndisc_notify`, '1'); } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
  },
  addAddress(netns, ifindex, cidr) {
    const p = prefixOf(cidr);
    if (!p) throw new Error(`not an address: ${cidr}`);
    addAddress(netns, ifindex, p);
  },
  addRoute(netns, ifindex, dst, gw) {
    const p = prefixOf(dst);
    if (!p) throw new Error(`not a route destination: ${dst}`);
    const g = gw === undefined ? null : ipBytes(gw);
    addRoute(netns, ifindex, p, g);
  },
  addresses(netns, ifindex) {
    return listAddresses(netns).filter((a) => a.ifindex === ifindex).map((a) => `${ipText(a.prefix.addr)}/${a.prefix.len}`);
  },
  routes(netns, ifindex) {
    return listRoutes(netns).filter((r) => r.oif === ifindex && r.table === RT_TABLE_MAIN)
      .map((r) => ({ dst: `${ipText(r.dst.addr)}/${r.dst.len}`, ...(r.gw ? { gw: ipText(r.gw) } : {}) }));
  },
};
