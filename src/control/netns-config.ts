// netns-config.ts — what a CNI attachment does inside the container's namespace, given by path: find the link,
// write the notify sysctls, add and read addresses and routes. CniSys is the interface the CNI commands use (tests
// hand in a fake); linuxCniSys goes through src/io/ (rtnetlink from a socket opened in the namespace, /proc/sys files
// opened from a thread there), never through `ip` or nsenter: the daemon needs no tool the node may lack.

import { addAddress, addRoute, AF, ifindexIn, listAddresses, listRoutes, writeSysctlIn, type IpPrefix } from '../io/rtnl-addr.js';

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

/** '198.18.0.5/24' → family, 4 or 16 bytes, prefix length; null when it is not one. Pure. */
export function prefixOf(cidr: string): IpPrefix | null {
  const [ip, len] = cidr.split('/');
  const bytes = ipBytes(ip ?? '');
  if (!bytes) return null;
  const n = len === undefined ? bytes.length * 8 : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > bytes.length * 8) return null;
  return { family: bytes.length === 4 ? AF.INET : AF.INET6, addr: bytes, len: n };
}

export function ipBytes(ip: string): Uint8Array | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : null;
  }
  if (!/^[0-9a-fA-F:]+$/.test(ip) || ip.split('::').length > 2) return null;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const fill = tail === null ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === null && h.length !== 8)) return null;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}

/** bytes → text: dotted IPv4, or IPv6 with the longest run of zero groups compressed */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

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
