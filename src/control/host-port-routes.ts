// host-port-routes.ts — which host routes (/32, /128) the host port carries, from the addresses each child holds.
// Pure: the answer to each change is the routes that appear and disappear, so the kernel hears of differences only.
//
// A route names a destination and the host port, not a child: two children claiming one address need one route,
// which stays while either claims it. Not routed: the host port's own addresses (local already), its own entry, IPv6
// link-local addresses (reached with a zone, `%port`, and never through a main-table route), loopback, and what is not
// a host's address at all (unspecified, broadcast, multicast).

import { isMulticastIp, isUnspecifiedIp, parseIp } from '../wire/ip-address.js';

/** Whether an address (canonical text) gets a host route through the host port: a unicast one outside link-local
 *  IPv6 and loopback (an unspecified, broadcast or multicast one a source might pass on is not a host's) */
export function routable(addr: string): boolean {
  const b = parseIp(addr);
  if (b === null || isUnspecifiedIp(b) || isMulticastIp(b)) return false;
  if (b.length === 16) {
    const loopback = b[15] === 1 && b.slice(0, 15).every((x) => x === 0);
    return !loopback && !(b[0] === 0xfe && (b[1] & 0xc0) === 0x80); // ::1, fe80::/10
  }
  return b[0] !== 127 && b[0] !== 0 && !b.every((x) => x === 255);
}

export interface RouteChanges { add: string[]; del: string[] }

export class RouteSet {
  /** destination → the children that claim it */
  private readonly holders = new Map<string, Set<string>>();
  /** child → the destinations it claims (routable ones only) */
  private readonly claims = new Map<string, readonly string[]>();

  /** @param self the host port's own name; @param own its addresses (no prefix) */
  constructor(private readonly self: string, private readonly own: readonly string[]) {}

  /** Child `child` now holds `addrs` (its whole list; [] when it went): the routes that appear and disappear. */
  set(child: string, addrs: readonly string[]): RouteChanges {
    const next = child === this.self ? [] : [...new Set(addrs)].filter((a) => routable(a) && !this.own.includes(a));
    const before = this.claims.get(child) ?? [];
    const out: RouteChanges = { add: [], del: [] };
    for (const a of before) {
      if (next.includes(a)) continue;
      const h = this.holders.get(a)!;
      h.delete(child);
      if (h.size === 0) { this.holders.delete(a); out.del.push(a); }
    }
    for (const a of next) {
      if (before.includes(a)) continue;
      const h = this.holders.get(a);
      if (h) h.add(child); else { this.holders.set(a, new Set([child])); out.add.push(a); }
    }
    if (next.length) this.claims.set(child, next); else this.claims.delete(child);
    return out;
  }

  /** Every destination routed now */
  routes(): string[] {
    return [...this.holders.keys()];
  }

  /** Each child's routed destinations (what the state file keeps) */
  byChild(): Record<string, string[]> {
    return Object.fromEntries([...this.claims].map(([c, a]) => [c, [...a]]));
  }

  has(child: string): boolean {
    return this.claims.has(child);
  }
}
