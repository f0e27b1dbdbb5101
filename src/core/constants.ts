// Kernel constants (include/uapi/linux/if_link.h) and the codes the decision writes.
// Modes are single bits so a flood mask is one AND, as in macvlan_broadcast().

export const Mode = { PRIVATE: 1, VEPA: 2, BRIDGE: 4, PASSTHRU: 8, SOURCE: 16 } as const;
export type ModeBit = (typeof Mode)[keyof typeof Mode];
export const MODE_NAMES: Readonly<Record<ModeBit, string>> = {
  1: 'private', 2: 'vepa', 4: 'bridge', 8: 'passthru', 16: 'source',
};

export const Flag = { NOPROMISC: 1, NODST: 2 } as const;

/** Port index of the parent. Children are 1..maxChildren. */
export const PARENT = 0;
export const MAX_CHILDREN = 4096;
/** MACVLAN_DEFAULT_BC_QUEUE_LEN */
export const DEFAULT_BC_QUEUE_LEN = 1000;
export const DEFAULT_BC_CUTOFF = 1;

/**
 * How an egress copy is delivered, which decides how it is counted (lifecycle.md §9) and captured.
 * Kept as small integers in a Uint8Array beside the egress port.
 */
export const Egress = {
  /** X4: transmitted on the parent (the wire). */
  WIRE: 1,
  /** I11: unicast from the parent to its destination child. */
  UNICAST: 2,
  /** I6: flood copy of a group frame that arrived on the parent. */
  FLOOD: 3,
  /** X1: bridge-local flood copy of a group frame a bridge child sent. */
  LOCAL_FLOOD: 4,
  /** I3: a reflected group frame returned to its private/passthru/source origin only. */
  ORIGIN_ONLY: 5,
  /** I2/I7: source-mode copy by the frame's source MAC. */
  SOURCE_COPY: 6,
  /** X2 then I11: bridge child to bridge child, delivered without touching the wire. */
  LOCAL_UNICAST: 7,
} as const;
export type EgressKind = (typeof Egress)[keyof typeof Egress];

/**
 * Why a frame (verdict.reason) or one egress copy (verdict.drop[i]) was not sent.
 * 0 = no drop. Names are the ones `umacvlan show` prints.
 */
export const Drop = {
  NONE: 0,
  /** shorter than an Ethernet header */
  RUNT: 1,
  /** non-GSO frame from a child longer than its MTU + 18 */
  OVERSIZE: 2,
  /** the sending child has no carrier (X0: parent down or without carrier) */
  LINK_DOWN: 3,
  /** unicast for no child: the kernel passes it to the parent's own stack only (I9) */
  NO_DESTINATION: 4,
  /** the modes allow no copy (e.g. a group frame nobody's filter accepts, a PAUSE frame, a private sibling) */
  MODE_FORBIDS: 5,
  /** a source-mode child with nodst lists the frame's source: consumed (I2/I7) */
  NODST: 6,
  /** unicast to a passthru child that is down (I10) */
  PASSTHRU_DOWN: 7,
  /** the broadcast queue would take the frame and its limit is 0 (bcqueuelen 0): dropped, parent rx_dropped +1 */
  QUEUE_FULL: 8,
  /** a bridge-local copy larger than the receiver's MTU + 18 (X1) or the parent's (X2) */
  MTU_EXCEEDED: 9,
  /** the parent is administratively down: bridge-local unicast refused (X2) */
  PARENT_DOWN: 10,
  /** from the wire, tagged with a VLAN the host terminates on the parent: its VLAN upper takes it, not macvlan */
  VLAN_CLAIMED: 11,
  /** a child's virtio-net header claims what its frame is not (core/gso.ts): never forwarded, sender tx_dropped */
  BAD_GSO: 12,
  /** --mac-nat: a child sends from an address another child owns (nat-decide.ts): refused, sender tx_dropped */
  NAT_CONFLICT: 13,
} as const;
export type DropReason = (typeof Drop)[keyof typeof Drop];
export const DROP_NAMES: readonly string[] = [
  'none', 'runt', 'oversize', 'link_down', 'no_destination', 'mode_forbids', 'nodst', 'passthru_down',
  'queue_full', 'mtu_exceeded', 'parent_down',
  'vlan_claimed',
  'bad_gso',
  'nat_conflict',
];

/** What a MAC-NAT verdict asks the worker to tell the control side (Verdict.learnKind) */
export const Learn = {
  NONE: 0,
  /** a child sends from an address nobody owns */
  CLAIM: 1,
  /** a child still uses an address it owns (the worker passes it on at most once a minute per address) */
  SEEN: 2,
  /** a child sends from an address another child owns: refused */
  CONFLICT: 3,
  /** a DHCP ACK on its way to a child: the address is its for the lease */
  LEASE: 4,
} as const;
