// Ethernet II header as an offset table; every reader takes (buf, at) and never slices or copies.
// MACs are 48-bit numbers (exact in a double): compare with ===, hash, index — no strings on the hot path.

export const ETH = { DST: 0, SRC: 6, TYPE: 12, HLEN: 14 } as const;
/** The kernel's bound on a frame from a child: MTU + Ethernet header + one VLAN tag + FCS (`__dev_forward_skb`). */
export const ETH_OVERHEAD = 18;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_VLAN = 0x8100;
/** Where an outer VLAN tag's TCI sits (after the TPID at ETH.TYPE), and the VID bits in it */
export const VLAN_TCI = 14;
export const VLAN_VID_MASK = 0x0fff;
export const ETHERTYPE_PAUSE = 0x8808;
/** IEEE 802 local experimental EtherType 1: what `trace` frames and every test frame carry (nothing else in a
 *  sandbox sends it, so a counter of these counts only the test's own frames). */
export const ETHERTYPE_EXPERIMENTAL = 0x88b5;
export const BROADCAST = 0xffff_ffff_ffff;

export function macAt(b: Uint8Array, at: number): number {
  const hi = (b[at] << 8) | b[at + 1];
  const lo = ((b[at + 2] << 24) | (b[at + 3] << 16) | (b[at + 4] << 8) | b[at + 5]) >>> 0;
  return hi * 0x1_0000_0000 + lo;
}
/** The MAC at `at` as two small integers: the upper 16 bits... */
export const macHiAt = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
/** ...and the lower 32 bits as a *signed* int32. The hot path compares and hashes MACs as this (hi, lo) pair:
 *  both stay small integers in V8, while a 48-bit double passed to a function that is not inlined is boxed as a
 *  heap number, i.e. allocated. (mac | 0) gives the same lo for a MAC held as a number. */
export const macLoAt = (b: Uint8Array, at: number): number =>
  (b[at + 2] << 24) | (b[at + 3] << 16) | (b[at + 4] << 8) | b[at + 5];
/** Upper 16 bits of a MAC held as a number */
export const macHi = (mac: number): number => Math.floor(mac / 0x1_0000_0000);
/** Lower 32 bits of a MAC held as a number, signed (as macLoAt) */
export const macLo = (mac: number): number => mac | 0;
export const BROADCAST_HI = 0xffff;
export const BROADCAST_LO = -1;
export const dstMac = (b: Uint8Array, at: number): number => macAt(b, at + ETH.DST);
export const srcMac = (b: Uint8Array, at: number): number => macAt(b, at + ETH.SRC);
/** I/G bit of the destination: multicast *and* broadcast (`is_multicast_ether_addr`). */
export const isGroupDst = (b: Uint8Array, at: number): boolean => (b[at + ETH.DST] & 1) === 1;
export const etherType = (b: Uint8Array, at: number): number => (b[at + ETH.TYPE] << 8) | b[at + ETH.TYPE + 1];

/** I/G bit of a MAC held as a number: bit 40 (the low bit of the first octet). */
export const isGroupMac = (mac: number): boolean => Math.floor(mac / 0x100_0000_0000) % 2 === 1;

export function writeMac(b: Uint8Array, at: number, mac: number): void {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  b[at] = hi >>> 8; b[at + 1] = hi & 0xff;
  b[at + 2] = lo >>> 24; b[at + 3] = (lo >>> 16) & 0xff; b[at + 4] = (lo >>> 8) & 0xff; b[at + 5] = lo & 0xff;
}

// Text forms are for the control path only.
const MAC_RE = /^([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})$/;
/** Parses "02:aa:00:00:00:01" (either case); returns -1 when it is not a MAC. */
export function parseMac(s: string): number {
  const m = MAC_RE.exec(s);
  if (!m) return -1;
  let v = 0;
  for (let i = 1; i <= 6; i++) v = v * 256 + parseInt(m[i], 16);
  return v;
}
export function formatMac(mac: number): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const byte = Math.floor(mac / 2 ** (8 * i)) % 256;
    s += (s ? ':' : '') + byte.toString(16).padStart(2, '0');
  }
  return s;
}
