// What the outside world does to a child's TAP, followed as the kernel's macvlan would be, as closely as a userspace
// daemon can: a deleted TAP ends the child; a moved one keeps forwarding; a MAC set from inside the child's
// namespace that the kernel would have refused (a duplicate) takes the child out of the address table; an MTU above
// the parent's is bounded by the parent's; up/down moves it in and out of the address table.
//
// States (port-state.ts ChildState): up ⇄ down by the TAP's IFF_UP; up/down → dup-mac when its MAC is in use;
// dup-mac → up/down once its MAC is free again (its own MAC changed, or the holder deleted, down or renumbered:
// child-changes.ts recheckDupMacs); anything → gone when the TAP is deleted.

import { Mode } from '../core/constants.js';
import { checkUp } from '../core/rules.js';
import { dropChild, moveMac, recheckDupMacs } from './child-changes.js';
import { applyGroupDiff, effectiveAllmulti, onGroupEvent, syncMemberships } from './group-memberships.js';
import type { LinkState, TapEvent } from './host.js';
import type { ChildRt, PortState } from './port-state.js';

export function onTapEvent(p: PortState, rt: ChildRt, ev: TapEvent): void {
  if (rt.state === 'gone') return;
  if (ev.type === 'gone') {
    p.log.warn(`child ${rt.name}: its TAP was deleted; the child is gone`);
    void dropChild(p, rt);
    return;
  }
  if (ev.type === 'moved') {
    rt.netns = ev.netns;
    p.log.info(`child ${rt.name}: TAP moved to ${ev.netns}; still forwarding`);
    // Its IP-level groups were the old namespace's, whose leaves it will never hear: the new namespace's dev_mcast
    // read (which follows the move) decides.
    applyGroupDiff(p, rt, rt.groups.forgetIp());
    return;
  }
  if (ev.type !== 'state') { onGroupEvent(p, rt, ev); return; }
  followLink(p, rt, ev.link);
  syncMemberships(p, rt);
}

/** Brings the table in line with the TAP's link state as its own namespace sees it. */
function followLink(p: PortState, rt: ChildRt, l: LinkState): void {
  const t = p.table;
  const s = rt.slot;
  if (l.mac !== t.mac[s] && t.mode[s] !== Mode.PASSTHRU) moveMac(p, rt, l.mac);
  if (l.mtu !== rt.ownMtu) {
    rt.ownMtu = l.mtu;
    // An MTU above the parent's cannot be refused from here: frames are bounded by the parent's instead.
    p.mutate('setMtu', s, Math.min(l.mtu, p.parent.mtu));
  }
  if (l.promisc !== (t.promisc[s] === 1)) p.mutate('setPromisc', s, l.promisc);
  rt.ownAllmulti = l.allmulti;
  if (effectiveAllmulti(rt) !== (t.allmulti[s] === 1)) p.mutate('setAllmulti', s, effectiveAllmulti(rt));
  const inTable = t.up[s] === 1;
  if (l.up && !inTable && rt.state !== 'dup-mac') {
    const busy = checkUp(t, s);
    if (busy) {
      p.log.warn(`child ${rt.name}: up with a MAC in use (${busy.message}); it stays out of the address table`);
      rt.state = 'dup-mac';
    } else {
      p.mutate('setUp', s, true);
      rt.state = 'up';
    }
  } else if (!l.up && (inTable || rt.state === 'dup-mac')) {
    rt.state = 'down';
    if (inTable) {
      p.mutate('setUp', s, false);
      recheckDupMacs(p);
    }
  }
}
