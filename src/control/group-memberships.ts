// Group handling: each child's link-layer multicast set, and what the parent socket must receive for the children.
//
// The host reports a child's groups as they happen: IP-level joins and leaves from rtnetlink, and its dev_mcast
// entries whenever its namespace's file changed (ns-watch.ts). core/child-groups.ts merges the two, applies the cap
// and answers differences; only those cross to the worker, as one message per event. The parent memberships are a
// pure function of the table (core/memberships.ts), diffed against what each child holds.

import { membershipChanges, wantedMemberships, NO_MEMBERSHIPS } from '../core/memberships.js';
import type { GroupDiff } from '../core/child-groups.js';
import type { TapEvent } from './host.js';
import type { ChildRt, PortState } from './port-state.js';

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

/** What the table's ALLMULTI of a child must be: its own flag, or over its group cap. */
export function effectiveAllmulti(rt: ChildRt): boolean {
  return rt.ownAllmulti || rt.groups.capped;
}

type GroupEvent = Extract<TapEvent, { type: 'ip-group' | 'dev-mcast' | 'resync' }>;

/** A report of the child's groups: merged, and the difference (if any) applied to the table and the parent. */
export function onGroupEvent(p: PortState, rt: ChildRt, ev: GroupEvent): void {
  const g = rt.groups;
  let d: GroupDiff;
  if (ev.type === 'ip-group') d = ev.join ? g.ipJoin(ev.key, ev.mac) : g.ipLeave(ev.key);
  else if (ev.type === 'dev-mcast') d = g.devMcast(ev.macs, ev.count);
  else d = g.forgetIp();
  applyGroupDiff(p, rt, d);
}

export function applyGroupDiff(p: PortState, rt: ChildRt, d: GroupDiff): void {
  if (d.join.length === 0 && d.leave.length === 0 && d.cap === null) return;
  if (d.join.length > 0 || d.leave.length > 0) p.mutate('changeGroups', rt.slot, d.leave, d.join);
  if (d.cap !== null) {
    p.log.warn(d.cap
      ? `child ${rt.name}: more than ${rt.groups.max} multicast groups; all-multicast until it holds fewer`
      : `child ${rt.name}: back to ${rt.groups.size} exact multicast groups`);
    const all = effectiveAllmulti(rt);
    if (all !== (p.table.allmulti[rt.slot] === 1)) p.mutate('setAllmulti', rt.slot, all);
    rt.tap?.groupReads(rt.groups.max, d.cap);
  }
  syncMemberships(p, rt);
}
