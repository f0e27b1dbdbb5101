// The parent's VLAN uppers, followed from link messages, and the (protocol, VID) set they claim in the port table.
// The kernel hands a tagged frame to a VLAN upper of the receiving device before macvlan's rx_handler sees it, so a
// tag the host terminates must never reach the children (core/vlan-claims.ts). An upper keeps claiming wherever it
// is moved: the lower device decides, not the namespace the upper lives in.
//
// Where an upper lives is tracked as (namespace id, ifindex), the namespace id being the one the daemon's namespace
// gives it (-1: the daemon's own). Messages from other namespaces arrive on a NETLINK_LISTEN_ALL_NSID socket:
//   - an upper here (IFLA_LINK = the parent, no IFLA_LINK_NETNSID) claims its tag;
//   - its DELLINK with IFLA_NEW_NETNSID/IFLA_NEW_IFINDEX is a move: the claim follows it to (that id, that ifindex);
//   - a message from a namespace X about an upper we followed there tells, in its IFLA_LINK_NETNSID, the id X gives
//     the daemon's namespace; with it, an upper made in X directly on our parent (`ip link add link P netns X …`)
//     is recognised too;
//   - a deletion anywhere, or the end of the namespace (its id released: RTM_DELNSID), releases the claim.
// An upper moved from X on to a third namespace cannot be named from here (X's id for it means nothing to us): it
// keeps its claim until the daemon restarts, which errs on the side the kernel takes (the upper still exists).

import { VLAN_PROTO, type VlanProto } from '../core/vlan-claims.js';
import type { VlanLink, VlanWatchEvent } from './host.js';
import type { PortState } from './port-state.js';

export type ClaimChange = (proto: VlanProto, vid: number, on: boolean) => void;

interface Upper { proto: VlanProto; vid: number }

const HERE = -1;
const key = (nsid: number, ifindex: number): string => `${nsid}/${ifindex}`;
const nsidOf = (k: string): number => Number(k.slice(0, k.indexOf('/')));
const isProto = (p: number): p is VlanProto => p === VLAN_PROTO.Q || p === VLAN_PROTO.AD;
const protoName = (p: VlanProto): string => (p === VLAN_PROTO.Q ? '802.1Q' : '802.1ad');

export class VlanUppers {
  /** by where the upper is: `${nsid}/${ifindex}`, or `lost/…` once it moved where we cannot follow */
  private readonly uppers = new Map<string, Upper>();
  /** how many uppers claim each tag (the kernel allows one per lower, but a move is two messages) */
  private readonly holders = new Map<number, number>();
  /** namespace id X → the id X gives the daemon's namespace (learned from an upper followed into X) */
  private readonly ourIdIn = new Map<number, number>();

  constructor(private readonly parentIfindex: number, private readonly change: ClaimChange) {}

  /** What is claimed now, for show and tests: `802.1Q 100`, `802.1ad 7`, sorted */
  claims(): string[] {
    return [...this.holders.keys()].sort((a, b) => a - b)
      .map((t) => `${protoName(Math.floor(t / 4096) as VlanProto)} ${t % 4096}`);
  }

  on(ev: VlanWatchEvent): void {
    switch (ev.type) {
      case 'link': this.onLink(ev.link); break;
      case 'dump': this.onDump(ev.links); break;
      case 'nsid-gone':
        for (const k of [...this.uppers.keys()]) if (!k.startsWith('lost/') && nsidOf(k) === ev.nsid) this.drop(k);
        this.ourIdIn.delete(ev.nsid);
        break;
    }
  }

  private onDump(links: VlanLink[]): void {
    const seen = new Set<string>();
    for (const l of links) {
      if (l.type !== 'new' || l.nsid !== HERE) continue;
      seen.add(key(HERE, l.ifindex));
      this.onLink(l);
    }
    // Uppers here that the dump no longer lists were deleted while events were lost.
    for (const k of [...this.uppers.keys()]) if (!k.startsWith('lost/') && nsidOf(k) === HERE && !seen.has(k)) this.drop(k);
  }

  private onLink(l: VlanLink): void {
    const k = key(l.nsid, l.ifindex);
    const known = this.uppers.get(k);
    if (l.type === 'new') {
      if (known) {
        if (l.nsid !== HERE && l.linkNetnsid !== null) this.ourIdIn.set(l.nsid, l.linkNetnsid);
        return;  // a VLAN device's protocol and VID cannot change (vlan_changelink)
      }
      if (this.isOurUpper(l)) this.add(k, { proto: l.vlan!.proto as VlanProto, vid: l.vlan!.vid });
      return;
    }
    if (!known) return;
    if (l.newNetnsid === null) { this.drop(k); return; }
    // Moved, not deleted: the claim goes with it.
    let to: string;
    if (l.nsid === HERE) to = key(l.newNetnsid, l.newIfindex ?? -1);
    else if (this.ourIdIn.get(l.nsid) === l.newNetnsid) to = key(HERE, l.newIfindex ?? -1);
    else to = `lost/${k}`;
    this.add(to, known);
    this.drop(k);
  }

  private isOurUpper(l: VlanLink): boolean {
    if (l.vlan === null || !isProto(l.vlan.proto) || l.link !== this.parentIfindex) return false;
    if (l.nsid === HERE) return l.linkNetnsid === null;
    return l.linkNetnsid !== null && this.ourIdIn.get(l.nsid) === l.linkNetnsid;
  }

  private add(k: string, u: Upper): void {
    if (this.uppers.has(k)) return;
    this.uppers.set(k, u);
    const t = u.proto * 4096 + u.vid;
    const n = this.holders.get(t) ?? 0;
    this.holders.set(t, n + 1);
    if (n === 0) this.change(u.proto, u.vid, true);
  }

  private drop(k: string): void {
    const u = this.uppers.get(k);
    if (!u) return;
    this.uppers.delete(k);
    const t = u.proto * 4096 + u.vid;
    const n = (this.holders.get(t) ?? 1) - 1;
    if (n > 0) { this.holders.set(t, n); return; }
    this.holders.delete(t);
    this.change(u.proto, u.vid, false);
  }
}


/** Follows the parent's VLAN uppers into the port table (and the worker's replica); returns a stop function. */
export function watchVlanUppers(p: PortState, parentIfindex: number): () => void {
  const uppers = new VlanUppers(parentIfindex, (proto, vid, on) => {
    p.mutate('setVlanClaimed', proto, vid, on);
    p.log.info(on
      ? `parent ${p.parentName}: ${protoName(proto)} VID ${vid} has a VLAN upper: frames from the wire with that tag are the host's, not forwarded`
      : `parent ${p.parentName}: ${protoName(proto)} VID ${vid} no longer has a VLAN upper: forwarded again`);
  });
  let stopped = false;
  const stop = p.host.watchVlanUppers((ev) => { if (!stopped) uppers.on(ev); });
  return () => { stopped = true; stop(); };
}
