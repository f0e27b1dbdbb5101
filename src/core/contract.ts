// The contract of the forwarding core, shared by the datapath, the control side and the tests.
// The implementation lives in port-table.ts (PortTable), verdict.ts (Verdict), decide.ts (decide) and rules.ts.

import type { ModeBit } from './constants.js';
import type { VlanProto } from './vlan-claims.js';

/** What a new child is made of. MACs are 48-bit numbers (wire/ethernet.ts). */
export interface ChildSpec {
  mac: number;
  mode: ModeBit;
  /** Flag bits: NOPROMISC | NODST */
  flags: number;
  mtu: number;
  /** IFLA_MACVLAN_BC_QUEUE_LEN request, default 1000 */
  bcQueueLen?: number;
}

/**
 * Port state: index 0 is the parent, 1..maxChildren are children. Struct of arrays so the hot path reads typed arrays
 * only. The mutators are the control path: they may allocate, and they do NOT validate legality — rules.ts does.
 * Every mutator leaves the derived tables (address table, source table, group hold counts) consistent.
 */
export interface PortTableApi {
  readonly maxChildren: number;
  /** 1 where a child slot is in use */
  readonly used: Uint8Array;
  readonly mac: Float64Array;
  readonly mode: Uint8Array;
  readonly flags: Uint8Array;
  /** IFF_UP of the child; only used && up children are in the address table */
  readonly up: Uint8Array;
  readonly promisc: Uint8Array;
  readonly allmulti: Uint8Array;
  /** MTU per port; mtu[0] is the parent's */
  readonly mtu: Int32Array;
  /** IFLA_MACVLAN_BC_QUEUE_LEN per child: a u32, so held as a double (exact) */
  readonly bcQueueLen: Float64Array;

  /** Parent administratively up (X2 needs it) */
  parentUp: boolean;
  /** Parent has carrier: children without carrier drop what they send (X0) */
  parentCarrier: boolean;
  /** PROMISC or ALLMULTI set on the parent itself; with those UP children raise it makes allGroups (§3.1) */
  parentPromisc: boolean;
  /** The parent filters unicast (IFF_UNICAST_FLT). veth, tap and bridge do not: an UP child's MAC makes them
   *  promiscuous */
  parentFiltersUnicast: boolean;
  /** Derived: the port filters pass every group, because the parent is PROMISC or ALLMULTI (§3.1) */
  readonly allGroups: boolean;
  /** Port-wide IFLA_MACVLAN_BC_CUTOFF, default 1 */
  bcCutoff: number;

  /** Child slot of the passthru child, or 0 when the port is not passthru */
  readonly passthru: number;
  /** Broadcast-queue limit: max of bcQueueLen over all used children (0 when none) */
  readonly bcQueueLimit: number;

  addChild(i: number, spec: ChildSpec): void;
  removeChild(i: number): void;
  setUp(i: number, up: boolean): void;
  setMac(i: number, mac: number): void;
  /** Leaving SOURCE flushes the child's allow-list (lifecycle.md §4 step 1) */
  setMode(i: number, mode: ModeBit): void;
  setFlags(i: number, flags: number): void;
  setMtu(i: number, mtu: number): void;
  setPromisc(i: number, on: boolean): void;
  setAllmulti(i: number, on: boolean): void;
  setBcQueueLen(i: number, n: number): void;
  setBcCutoff(n: number): void;
  /** The child's link-layer multicast list, replaced whole (exact set, no hash) */
  setGroups(i: number, groups: readonly number[]): void;
  joinGroup(i: number, group: number): void;
  leaveGroup(i: number, group: number): void;
  sourceAdd(i: number, mac: number): void;
  sourceDel(i: number, mac: number): void;
  sourceFlush(i: number): void;
  sourceList(i: number): number[];
  /** A VLAN upper of the parent with tag protocol `proto` (0x8100, 0x88a8) and this VID appeared (on) or went (off):
   *  frames from the wire with that tag are the host's (vlan-claims.ts) */
  setVlanClaimed(proto: VlanProto, vid: number, on: boolean): void;

  /** Hot path: the UP child whose MAC is `mac`, or -1. O(1), no allocation. */
  lookup(mac: number): number;
  /** First free child slot, or -1 */
  freeSlot(): number;
}

/**
 * A decision, written into arrays the caller owns and reuses for every frame.
 * Egress i goes to port[i] as kind[i]; drop[i] != 0 means that copy is not sent (e.g. MTU at X1) while others are.
 */
export interface VerdictApi {
  n: number;
  readonly port: Int16Array;
  readonly kind: Uint8Array;
  readonly drop: Uint8Array;
  /** Why the frame went nowhere (or to fewer places): Drop.*, 0 when it was delivered as asked */
  reason: number;
  /** The kernel would also pass this frame to the parent's own stack (RX_HANDLER_PASS). Informational: a userspace
   *  daemon cannot stop the parent's stack from seeing what the NIC accepts. */
  toHost: boolean;
  /** The kernel's broadcast queue would drop this frame: count it on the parent's rx_dropped */
  parentRxDropped: boolean;
  /** Input, set once by the owner: a frame that takes the broadcast queue (§3.4) gets no flood rows here; the
   *  caller queues it and floods it later with floodQueued(). False (the default): the rows the flood would have
   *  if it happened now, as the spec tables list them. */
  defer: boolean;
  /** The kernel would put this frame in the broadcast queue (§3.4; a limit above 0) */
  queued: boolean;
  /** With `queued`: the origin child (-1: external) and the flood mask the queued frame is flooded with */
  queueOrigin: number;
  queueMask: number;
  /** MAC-NAT (written only while the table's natOn is set; nat-decide.ts): the unicast copy must be rewritten for
   *  its child (natRewriteIn); no child owns the destination of a frame to the parent's MAC; what to tell the
   *  control side (Learn.*), about which child, the address at learnAt (learnLen bytes), a DHCP lease in seconds */
  natIn: boolean;
  natUnowned: boolean;
  learnKind: number;
  learnSlot: number;
  learnAt: number;
  learnLen: number;
  learnLease: number;
  /** with Learn.SEEN: the address table's entry */
  learnEntry: number;
}
