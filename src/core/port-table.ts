// PortTable: the state of one macvlan port (the parent and its children) as typed arrays, plus the derived tables
// the hot path reads: the address table, the source table and the multicast group sets. The class is built in four
// layers, one file each: the per-slot fields (port-slots.ts), the lists beside them — multicast, allow-lists, VLAN
// claims, MAC-NAT (port-lists.ts) —, the tables derived from both — the address table, the up list, passthru,
// the broadcast-queue limit, allGroups (port-derived.ts) — and here what drives them: a child's life (add, remove,
// up, MAC, mode), the parent's events, the snapshot.

/*
 * Theory of operation
 *
 * Slot 0 is the parent, slots 1..maxChildren are children. Everything decide() reads is a typed array or a number,
 * so a decision never allocates and never follows a pointer into a JS object it did not already hold.
 *
 * Primary state is what a control request writes: used, mac, mode, flags, up, promisc, allmulti, mtu, bcQueueLen,
 * each child's multicast list and each child's source allow-list, and the parent's fields. Everything else is
 * derived and is rebuilt or patched by the mutator that changed its inputs, never by the reader:
 *
 * - Address table (`addr`, MAC → slot, port-derived.ts). Holds exactly the children that are used && up, like the
 *   kernel's vlan_hash, which macvlan_open fills and macvlan_stop empties: a DOWN child's MAC is "unknown" to
 *   forwarding.
 *   rules.ts refuses a second UP child with the same MAC (EADDRINUSE), but the mutators do not validate, so the
 *   table must still be deterministic when that happens: the lowest slot wins. That is what a plain scan over the
 *   slots would answer, so an independent reference model agrees with us even on states the rules forbid.
 * - upList/upCount (port-derived.ts): the used && up children in ascending slot order. Floods walk this list instead
 *   of all 4096 slots, and ascending order makes egress order a function of the table alone.
 * - Source table (`sources`, source-table.ts): source MAC → the children listing it, in slot order.
 * - Group table (`groups`, group-table.ts): group MAC → members and how many UP members hold it.
 * The address, source and group tables are MacIndex hash tables (mac-index.ts).
 * - allGroups (port-derived.ts): whether the parent is PROMISC or ALLMULTI, set on it directly or raised by an UP
 *   child (memberships.ts raisesParentFlags), which opens the port filters to every group.
 *
 * Every change is a call of one of this class's mutators (its own and its bases'): the datapath replays the same
 * calls on the worker's replica, and configuration checks replay them on a scratch table. The source and group
 * tables' own methods are the mutators' helpers; they do not check the slot, so nothing else calls them.
 *
 * Kernel device events are applied by setParent, because a caller that changed the parent and forgot them would
 * leave the table describing a state the kernel cannot be in: a lower parent MTU clamps larger children
 * (CHANGEMTU), a new parent MAC is copied into a passthru child (CHANGEADDR).
 *
 * A worker receives the table as a snapshot (primary state only, as typed arrays that postMessage clones) and
 * rebuilds the derived tables with the same mutators, so there is one code path that establishes the invariants.
 */

import { DEFAULT_BC_CUTOFF, DEFAULT_BC_QUEUE_LEN, Mode } from './constants.js';
import type { ModeBit } from './constants.js';
import type { ChildSpec, PortTableApi } from './contract.js';
import { PortDerived } from './port-derived.js';
import { restoreSnapshot, snapshotOf, type PortTableSnapshot } from './port-snapshot.js';

export type { PortTableSnapshot } from './port-snapshot.js';

/** What setParent may change. Absent fields stay as they are. */
export interface ParentState {
  mac?: number;
  mtu?: number;
  up?: boolean;
  carrier?: boolean;
  /** PROMISC or ALLMULTI set on the parent itself, not through a child */
  promisc?: boolean;
  /** the parent filters unicast itself (IFF_UNICAST_FLT); without it (veth, tap, bridge) an UP child's MAC makes it
   *  promiscuous */
  unicastFilter?: boolean;
}

export class PortTable extends PortDerived implements PortTableApi {
  // ---- control path ----

  setParent(p: ParentState): void {
    if (p.mtu !== undefined) {
      this.mtu[0] = p.mtu;
      // CHANGEMTU: children above the new parent MTU are lowered to it; a raise leaves them (docs/lifecycle.md L13)
      for (let i = 1; i <= this.maxChildren; i++) if (this.used[i] === 1 && this.mtu[i] > p.mtu) this.mtu[i] = p.mtu;
    }
    if (p.mac !== undefined) {
      this.mac[0] = p.mac;
      // CHANGEADDR on a passthru port: the child follows the parent (docs/lifecycle.md A8)
      if (this.passthruSlot !== 0) this.setMac(this.passthruSlot, p.mac);
    }
    if (p.up !== undefined) {
      this.parentUp = p.up;
      // An administratively down device has no carrier; a caller may still say so explicitly.
      if (!p.up && p.carrier === undefined) this.parentCarrier = false;
    }
    if (p.carrier !== undefined) this.parentCarrier = p.carrier;
    if (p.promisc !== undefined) this.ownPromisc = p.promisc;
    if (p.unicastFilter !== undefined) this.filtersUnicast = p.unicastFilter;
    this.recomputeAllGroups();
  }

  addChild(i: number, spec: ChildSpec): void {
    this.slot(i);
    if (this.used[i] === 1) throw new RangeError(`slot ${i} is already in use`);
    this.used[i] = 1;
    this.mac[i] = spec.mac;
    this.mode[i] = spec.mode;
    this.flags[i] = spec.flags;
    this.up[i] = 0;
    this.promisc[i] = 0;
    this.allmulti[i] = 0;
    this.mtu[i] = spec.mtu;
    this.bcQueueLen[i] = spec.bcQueueLen ?? DEFAULT_BC_QUEUE_LEN;
    this.recomputePort();
  }

  removeChild(i: number): void {
    this.child(i);
    this.setUp(i, false);
    for (const g of this.groupsOf(i)) this.leaveGroup(i, g);
    this.sourceFlush(i);
    this.nat.forgetSlot(i);
    this.used[i] = 0;
    this.mac[i] = 0;
    this.mode[i] = 0;
    this.flags[i] = 0;
    this.promisc[i] = 0;
    this.allmulti[i] = 0;
    this.mtu[i] = 0;
    this.bcQueueLen[i] = 0;
    this.recomputePort();
    // The last child takes the port with it (macvlan_port_destroy): the next child starts from the defaults
    if (!this.used.includes(1, 1)) this.bcCutoff = DEFAULT_BC_CUTOFF;
  }

  setUp(i: number, on: boolean): void {
    this.child(i);
    const v = on ? 1 : 0;
    if (this.up[i] === v) return;
    if (on) {
      this.up[i] = 1;
      this.addrEnter(i, this.mac[i]);
    } else {
      this.addrLeave(i, this.mac[i]);
      this.up[i] = 0;
    }
    this.groups.upChanged(i, on);
    this.rebuildUpList();
    this.recomputeAllGroups();
  }

  setMac(i: number, mac: number): void {
    this.child(i);
    if (this.mac[i] === mac) return;
    if (this.up[i] === 1) this.addrLeave(i, this.mac[i]);
    this.mac[i] = mac;
    if (this.up[i] === 1) this.addrEnter(i, mac);
  }

  setMode(i: number, mode: ModeBit): void {
    this.child(i);
    // Leaving SOURCE flushes the allow-list (macvlan_changelink step 1)
    if (this.mode[i] === Mode.SOURCE && mode !== Mode.SOURCE) this.sourceFlush(i);
    this.mode[i] = mode;
    this.recomputePort();
    this.recomputeAllGroups();
  }

  // Flags and the child's own PROMISC/ALLMULTI feed allGroups (what an UP child raises on the parent)
  override setFlags(i: number, flags: number): void { super.setFlags(i, flags); this.recomputeAllGroups(); }
  override setPromisc(i: number, on: boolean): void { super.setPromisc(i, on); this.recomputeAllGroups(); }
  override setAllmulti(i: number, on: boolean): void { super.setAllmulti(i, on); this.recomputeAllGroups(); }

  setBcQueueLen(i: number, n: number): void {
    this.child(i);
    this.bcQueueLen[i] = n;
    this.recomputePort();
  }

  // ---- snapshot / clone ----

  snapshot(): PortTableSnapshot {
    return snapshotOf(this);
  }

  static fromSnapshot(s: PortTableSnapshot): PortTable {
    const t = new PortTable(s.maxChildren);
    restoreSnapshot(t, s);
    return t;
  }

  clone(): PortTable {
    return PortTable.fromSnapshot(this.snapshot());
  }
}
