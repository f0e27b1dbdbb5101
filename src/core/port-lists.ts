// PortLists: what a port holds beside each child's fields — each child's multicast list (the group table), each
// source-mode child's allow-list (the source table), the VLAN tags the host claims on the parent, and the MAC-NAT
// address table. Each is a table of its own (group-table.ts, source-table.ts, vlan-claims.ts, nat-table.ts); the
// methods here are the only way in, so that a change is a PortTable mutator the worker's replica can replay, and they
// check the slot, which the tables themselves do not.

import { GroupTable } from './group-table.js';
import { NatTable } from './nat-table.js';
import { PortSlots } from './port-slots.js';
import { SourceTable } from './source-table.js';
import { VlanClaims, type VlanProto } from './vlan-claims.js';

export class PortLists extends PortSlots {
  /** source MAC → the SOURCE-mode children listing it */
  readonly sources: SourceTable;
  /** group MAC → the children listing it */
  readonly groups: GroupTable;
  /** (protocol, VID) of the parent's VLAN uppers: frames from the wire with these tags are the host's, not ours */
  readonly vlan = new VlanClaims();
  /** --mac-nat: whether the wire sees only the parent's MAC, and address → owning child (nat-table.ts) */
  natOn = false;
  readonly nat = new NatTable();

  constructor(maxChildren?: number) {
    super(maxChildren);
    this.sources = new SourceTable(this.maxChildren + 1);
    this.groups = new GroupTable(this.maxChildren + 1);
  }

  // ---- hot-path reads (no allocation) ----

  /** Group id of a group MAC some child holds (UP or not), or -1 */
  groupOf(mac: number): number {
    return this.groups.of(mac);
  }

  groupOfHL(hi: number, lo: number): number {
    return this.groups.ofHL(hi, lo);
  }

  /** Is slot j in group g's membership set */
  isMember(g: number, j: number): boolean {
    return this.groups.isMember(g, j);
  }

  /** held(D): how many UP children list D */
  held(mac: number): number {
    return this.groups.heldOf(mac);
  }

  /** First source-table entry for a source MAC, or -1; follow sources.next. */
  sourceHead(mac: number): number {
    return this.sources.head(mac);
  }

  sourceHeadHL(hi: number, lo: number): number {
    return this.sources.headHL(hi, lo);
  }

  // ---- multicast lists: a group's UP members are counted apart, so the child's UP state goes with each change ----

  setGroups(i: number, groups: readonly number[]): void {
    this.child(i);
    const want = new Set(groups);
    for (const g of this.groupsOf(i)) if (!want.has(g)) this.leaveGroup(i, g);
    for (const g of want) this.joinGroup(i, g);
  }

  joinGroup(i: number, group: number): void {
    this.child(i);
    this.groups.join(i, group, this.up[i] === 1);
  }

  leaveGroup(i: number, group: number): void {
    this.child(i);
    this.groups.leave(i, group, this.up[i] === 1);
  }

  /** A difference of the child's multicast list: leaves, then joins (one message to the worker, not one per group) */
  changeGroups(i: number, leave: readonly number[], join: readonly number[]): void {
    this.child(i);
    const up = this.up[i] === 1;
    for (const g of leave) this.groups.leave(i, g, up);
    for (const g of join) this.groups.join(i, g, up);
  }

  /** The child's multicast list, ascending */
  groupsOf(i: number): number[] {
    return this.groups.listOf(i);
  }

  // ---- source-mode allow-lists ----

  sourceAdd(i: number, mac: number): void {
    this.child(i);
    this.sources.add(i, mac);
  }

  sourceDel(i: number, mac: number): void {
    this.child(i);
    this.sources.del(i, mac);
  }

  sourceFlush(i: number): void {
    this.child(i);
    this.sources.flush(i);
  }

  /** The allow-list, ascending (the kernel reports hash order; any order is a faithful answer) */
  sourceList(i: number): number[] {
    return this.sources.list(i);
  }

  /** IFLA_MACVLAN_MACADDR_COUNT */
  sourceCount(i: number): number { return this.sources.count(i); }

  // ---- port-wide: VLAN claims and MAC-NAT ----

  /** A VLAN upper of the parent with this tag appeared (on) or went (off) */
  setVlanClaimed(proto: VlanProto, vid: number, on: boolean): void {
    this.vlan.set(proto, vid, on);
  }

  /** --mac-nat on or off (the address table is kept either way) */
  setMacNat(on: boolean): void { this.natOn = on; }

  /** The address (nat-address.ts words) is child i's from now on (the control side decided: nat-owners.ts) */
  natSet(w0: number, w1: number, w2: number, w3: number, i: number): void {
    this.child(i);
    this.nat.set(w0, w1, w2, w3, i);
  }

  /** The address is nobody's */
  natDelete(w0: number, w1: number, w2: number, w3: number): void { this.nat.delete(w0, w1, w2, w3); }
}
