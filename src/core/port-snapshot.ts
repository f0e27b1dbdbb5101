// A PortTable to and from its snapshot: the primary state as typed arrays, which postMessage clones to the datapath
// worker. Only primary state travels; the receiver rebuilds the derived tables by replaying the mutators, so the
// invariants are established by one code path on both threads.

import type { ModeBit } from './constants.js';
import type { PortTable } from './port-table.js';
import { VlanClaims } from './vlan-claims.js';

/** The primary state as plain typed arrays and numbers: what postMessage carries to a worker. */
export interface PortTableSnapshot {
  maxChildren: number;
  used: Uint8Array;
  mac: Float64Array;
  mode: Uint8Array;
  flags: Uint8Array;
  up: Uint8Array;
  promisc: Uint8Array;
  allmulti: Uint8Array;
  mtu: Int32Array;
  bcQueueLen: Float64Array;
  parentUp: boolean;
  parentCarrier: boolean;
  parentPromisc: boolean;
  parentFiltersUnicast: boolean;
  bcCutoff: number;
  /** (slot, group MAC) pairs of every child's multicast list */
  groupSlot: Int16Array;
  groupMac: Float64Array;
  /** (slot, source MAC) pairs of every child's allow-list */
  sourceSlot: Int16Array;
  sourceMac: Float64Array;
  /** VLAN tags the host terminates on the parent (vlan-claims.ts layout) */
  vlanClaimed: Uint32Array;
  /** --mac-nat and its address table: four key words and the owner per address */
  natOn: boolean;
  natKey: Int32Array;
  natSlot: Int16Array;
}

export function snapshotOf(t: PortTable): PortTableSnapshot {
  const gs: number[] = [];
  const gm: number[] = [];
  const ss: number[] = [];
  const sm: number[] = [];
  for (let i = 1; i <= t.maxChildren; i++) {
    if (t.used[i] === 0) continue;
    for (const g of t.groupsOf(i)) { gs.push(i); gm.push(g); }
    for (const s of t.sourceList(i)) { ss.push(i); sm.push(s); }
  }
  const nat = t.nat.entries();
  return {
    maxChildren: t.maxChildren,
    used: t.used.slice(), mac: t.mac.slice(), mode: t.mode.slice(), flags: t.flags.slice(),
    up: t.up.slice(), promisc: t.promisc.slice(), allmulti: t.allmulti.slice(), mtu: t.mtu.slice(),
    bcQueueLen: t.bcQueueLen.slice(),
    parentUp: t.parentUp, parentCarrier: t.parentCarrier, parentPromisc: t.parentPromisc,
    parentFiltersUnicast: t.parentFiltersUnicast,
    bcCutoff: t.bcCutoff,
    groupSlot: Int16Array.from(gs), groupMac: Float64Array.from(gm),
    sourceSlot: Int16Array.from(ss), sourceMac: Float64Array.from(sm),
    vlanClaimed: t.vlan.bits.slice(),
    natOn: t.natOn,
    natKey: Int32Array.from(nat.flatMap((e) => e.words)),
    natSlot: Int16Array.from(nat.map((e) => e.slot)),
  };
}

/** Replays snapshot `s` into `t`, a new table of s.maxChildren slots. Children go UP last, after their lists. */
export function restoreSnapshot(t: PortTable, s: PortTableSnapshot): void {
  t.mac[0] = s.mac[0];
  t.mtu[0] = s.mtu[0];
  t.parentUp = s.parentUp;
  t.parentCarrier = s.parentCarrier;
  t.setParent({ promisc: s.parentPromisc, unicastFilter: s.parentFiltersUnicast });
  t.bcCutoff = s.bcCutoff;
  for (let i = 1; i <= s.maxChildren; i++) {
    if (s.used[i] === 0) continue;
    t.addChild(i, { mac: s.mac[i], mode: s.mode[i] as ModeBit, flags: s.flags[i], mtu: s.mtu[i], bcQueueLen: s.bcQueueLen[i] });
    t.promisc[i] = s.promisc[i];
    t.allmulti[i] = s.allmulti[i];
  }
  for (let k = 0; k < s.groupSlot.length; k++) t.joinGroup(s.groupSlot[k], s.groupMac[k]);
  for (let k = 0; k < s.sourceSlot.length; k++) t.sourceAdd(s.sourceSlot[k], s.sourceMac[k]);
  for (let i = 1; i <= s.maxChildren; i++) if (s.used[i] === 1 && s.up[i] === 1) t.setUp(i, true);
  const probe = new VlanClaims();
  probe.bits.set(s.vlanClaimed);
  for (const { proto, vid } of probe.list()) t.setVlanClaimed(proto, vid, true);
  t.setMacNat(s.natOn);
  for (let k = 0; k < s.natSlot.length; k++) {
    t.natSet(s.natKey[4 * k], s.natKey[4 * k + 1], s.natKey[4 * k + 2], s.natKey[4 * k + 3], s.natSlot[k]);
  }
}
