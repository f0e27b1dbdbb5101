// The VLANs the host itself terminates on the parent: one bit per (tag protocol, VID). In the kernel a VLAN upper of
// the parent takes a frame with its tag before macvlan's rx_handler runs (__netif_receive_skb_core calls
// vlan_do_receive first), so macvlan never sees it; our packet socket sees it first, and decide() drops it instead
// (reason `vlan_claimed`). Frames with a VID nobody claims reach macvlan tagged, as they do here.

/** The tag protocols a VLAN upper can have (IFLA_VLAN_PROTOCOL) */
export const VLAN_PROTO = { Q: 0x8100, AD: 0x88a8 } as const;
export type VlanProto = (typeof VLAN_PROTO)[keyof typeof VLAN_PROTO];

const VIDS = 4096;
const WORDS = VIDS / 32;

/** One bitmap of 4096 VIDs per protocol, in one Uint32Array: 802.1Q words first, then 802.1ad. */
export class VlanClaims {
  readonly bits = new Uint32Array(2 * WORDS);
  /** how many bits are set: an empty set lets decide() skip reading the tag */
  count = 0;

  /** Hot path: does the host claim this tag? Any other TPID is not a VLAN tag the kernel would strip. */
  has(tpid: number, vid: number): boolean {
    const base = tpid === VLAN_PROTO.Q ? 0 : tpid === VLAN_PROTO.AD ? WORDS : -1;
    if (base < 0) return false;
    return (this.bits[base + (vid >>> 5)] & (1 << (vid & 31))) !== 0;
  }

  set(proto: VlanProto, vid: number, on: boolean): void {
    if (proto !== VLAN_PROTO.Q && proto !== VLAN_PROTO.AD) throw new RangeError(`not a VLAN protocol: 0x${Number(proto).toString(16)}`);
    if (!Number.isInteger(vid) || vid < 0 || vid >= VIDS) throw new RangeError(`VID ${vid} out of 0..4095`);
    const w = (proto === VLAN_PROTO.Q ? 0 : WORDS) + (vid >>> 5);
    const bit = 1 << (vid & 31);
    const was = (this.bits[w] & bit) !== 0;
    if (was === on) return;
    this.bits[w] = on ? this.bits[w] | bit : this.bits[w] & ~bit;
    this.count += on ? 1 : -1;
  }

  /** Control path: every claimed (protocol, VID), for snapshots and display */
  list(): Array<{ proto: VlanProto; vid: number }> {
    const out: Array<{ proto: VlanProto; vid: number }> = [];
    for (const proto of [VLAN_PROTO.Q, VLAN_PROTO.AD]) {
      for (let vid = 0; vid < VIDS; vid++) if (this.has(proto, vid)) out.push({ proto, vid });
    }
    return out;
  }
}
