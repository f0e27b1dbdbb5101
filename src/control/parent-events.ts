// What happens to the parent, passed on to the children as the kernel's macvlan does (lifecycle.md §5): carrier
// follows the parent's (NETDEV_UP/DOWN/CHANGE), a lower MTU clamps the children above it (CHANGEMTU), a new MAC
// is followed by the passthru child (CHANGEADDR). The parent's deletion (UNREGISTER) is the daemon's to act on.

import { describeError } from './daemon-error.js';
import type { LinkState } from './host.js';
import type { PortState } from './port-state.js';

/** Applies the parent's new link state: what changed since the last one is passed on. */
export function onParentState(p: PortState, l: LinkState): void {
  const old = p.parent;
  p.parent = l;
  if (l.up !== old.up || l.carrier !== old.carrier) followCarrier(p, l);
  if (l.mtu !== old.mtu) followMtu(p, l.mtu);
  if (l.mac !== old.mac) followMac(p, l.mac);
}

function followCarrier(p: PortState, l: LinkState): void {
  const carrier = l.up && l.carrier;
  p.mutate('setParent', { up: l.up, carrier });
  // The child's carrier follows the parent's (TUNSETCARRIER); its own UP flag is never touched (spec L14).
  for (const rt of p.children.values()) {
    if (!rt.tap) continue;
    try { rt.tap.setCarrier(carrier); } catch (e) { p.log.warn(`child ${rt.name}: carrier: ${describeError(e)}`); }
  }
  p.log.info(`parent ${l.name}: ${l.up ? 'up' : 'down'}, ${l.carrier ? 'carrier' : 'no carrier'}`);
}

function followMtu(p: PortState, mtu: number): void {
  p.mutate('setParent', { mtu });
  // CHANGEMTU: children above the new MTU are clamped; a larger parent MTU raises nobody (L13).
  for (const rt of p.children.values()) {
    if (!rt.tap || rt.state === 'gone') continue;
    if (rt.ownMtu > mtu) {
      try { rt.tap.setMtu(mtu); rt.ownMtu = mtu; } catch (e) { p.log.warn(`child ${rt.name}: mtu: ${describeError(e)}`); }
    }
    p.mutate('setMtu', rt.slot, Math.min(rt.ownMtu, mtu));
  }
}

function followMac(p: PortState, mac: number): void {
  p.mutate('setParent', { mac });
  const pt = p.table.passthru;
  const rt = pt ? p.bySlot[pt] : null;
  if (rt && rt.tap) {
    try { rt.tap.setMac(mac); } catch (e) { p.log.warn(`child ${rt.name}: mac: ${describeError(e)}`); }
    p.mutate('setMac', pt, mac);
  }
}
