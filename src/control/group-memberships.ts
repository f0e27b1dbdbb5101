// Group handling: each child's link-layer multicast list, and what the parent socket must receive for the children.
//
// No rtnetlink message carries a link-layer multicast list, so it is re-read from the child's namespace
// (/proc/net/dev_mcast) on a timer. The parent memberships are a pure function of the table (core/memberships.ts);
// here they are diffed against what each child holds and the difference is posted to the worker.

import { membershipChanges, wantedMemberships, NO_MEMBERSHIPS } from '../core/memberships.js';
import type { ChildRt, PortState } from './port-state.js';

/** How often the children's multicast lists are re-read */
export const GROUP_POLL_MS = 500;

/** Brings what the child holds on the parent in line with its state in the table. */
export function syncMemberships(p: PortState, rt: ChildRt): void {
  const want = wantedMemberships(p.table, rt.slot);
  for (const c of membershipChanges(rt.held, want)) p.post({ op: 'membership', ...c });
  rt.held = want;
}

/** Drops everything the child holds (before it leaves the table). */
export function releaseMemberships(p: PortState, rt: ChildRt): void {
  for (const c of membershipChanges(rt.held, NO_MEMBERSHIPS)) p.post({ op: 'membership', ...c });
  rt.held = NO_MEMBERSHIPS;
}

/** Re-reads every live child's multicast list; a changed list goes into the table and the memberships. */
export function pollGroups(p: PortState): void {
  for (const rt of p.children.values()) {
    if (!rt.tap || rt.state === 'gone') continue;
    let groups: number[];
    try { groups = rt.tap.groups(); } catch { continue; }
    const now = p.table.groupsOf(rt.slot);
    if (groups.length === now.length && groups.every((g) => now.includes(g))) continue;
    p.mutate('setGroups', rt.slot, groups);
    syncMemberships(p, rt);
  }
}
