// What the parent's AF_PACKET socket must receive for one child (lifecycle.md §7): the kernel's macvlan adds an UP
// child's MAC to the lower device's unicast list (dev_uc_add), syncs its multicast list into the parent's
// (dev_mc_sync), and passes promisc/allmulti references down (dev_set_promiscuity/dev_set_allmulti). A down child
// holds nothing. Derived from the table alone, so what the daemon holds cannot drift from the state implying it.

import { Flag, Mode } from './constants.js';
import type { PortTable } from './port-table.js';

export type MembershipKind = 'unicast' | 'multicast' | 'promisc' | 'allmulti';

/** What one child holds on the parent. MACs as 48-bit numbers. */
export interface Memberships {
  promisc: boolean;
  allmulti: boolean;
  /** the child's own MAC (one at most: a passthru child has none, it makes the parent promiscuous instead) */
  unicast: readonly number[];
  /** the child's link-layer multicast list */
  multicast: readonly number[];
}

/** One PACKET_ADD/DROP_MEMBERSHIP on the parent socket; `mac` for unicast and multicast only. */
export type MembershipChange =
  | { kind: 'unicast' | 'multicast'; add: boolean; mac: number }
  | { kind: 'promisc' | 'allmulti'; add: boolean };

export const NO_MEMBERSHIPS: Memberships = Object.freeze({ promisc: false, allmulti: false, unicast: [], multicast: [] });

/** The table's fields the answer depends on: nothing else of PortTable is read. */
export type MembershipSource = Pick<PortTable, 'used' | 'up' | 'mode' | 'flags' | 'mac' | 'promisc' | 'allmulti' | 'groupsOf'>;

export function wantedMemberships(t: MembershipSource, slot: number): Memberships {
  if (t.used[slot] !== 1 || t.up[slot] !== 1) return NO_MEMBERSHIPS;
  return {
    promisc: promiscRef(t, slot),
    allmulti: t.allmulti[slot] === 1,
    unicast: t.mode[slot] === Mode.PASSTHRU ? [] : [t.mac[slot]],
    multicast: t.groupsOf(slot),
  };
}

/** Whether a child (UP) passes a promiscuity reference to the parent: a passthru child unless NOPROMISC, any other
 *  only when it is promiscuous itself (macvlan_open, macvlan_change_rx_flags) */
function promiscRef(t: Pick<PortTable, 'mode' | 'flags' | 'promisc'>, slot: number): boolean {
  return t.mode[slot] === Mode.PASSTHRU ? (t.flags[slot] & Flag.NOPROMISC) === 0 : t.promisc[slot] === 1;
}

/**
 * Whether an UP child makes the parent PROMISC or ALLMULTI, which opens the port filters to every group
 * (forwarding.md §3.1): by its promiscuity or all-multicast reference, or, on a parent without unicast filtering
 * (veth, tap, bridge), by its MAC alone, which dev_uc_add turns into promiscuity. A passthru child adds no MAC.
 * No allocation: the table recomputes this on every change of a child's state.
 */
export function raisesParentFlags(t: Pick<PortTable, 'used' | 'up' | 'mode' | 'flags' | 'promisc' | 'allmulti'>,
  slot: number, parentFiltersUnicast: boolean): boolean {
  if (t.used[slot] !== 1 || t.up[slot] !== 1) return false;
  if (promiscRef(t, slot) || t.allmulti[slot] === 1) return true;
  return !parentFiltersUnicast && t.mode[slot] !== Mode.PASSTHRU;
}

/** The changes that take `held` to `want`: every drop first, then every add (a MAC move never holds both). */
export function membershipChanges(held: Memberships, want: Memberships): MembershipChange[] {
  const drops: MembershipChange[] = [];
  const adds: MembershipChange[] = [];
  const flag = (kind: 'promisc' | 'allmulti', was: boolean, is: boolean): void => {
    if (was && !is) drops.push({ kind, add: false });
    if (!was && is) adds.push({ kind, add: true });
  };
  const macs = (kind: 'unicast' | 'multicast', was: readonly number[], is: readonly number[]): void => {
    // Set differences: a list of a thousand groups against another must not cost a million comparisons.
    const a = new Set(was);
    const b = new Set(is);
    for (const mac of a) if (!b.has(mac)) drops.push({ kind, add: false, mac });
    for (const mac of b) if (!a.has(mac)) adds.push({ kind, add: true, mac });
  };
  flag('promisc', held.promisc, want.promisc);
  macs('unicast', held.unicast, want.unicast);
  flag('allmulti', held.allmulti, want.allmulti);
  macs('multicast', held.multicast, want.multicast);
  return [...drops, ...adds];
}
