// What a child's virtio-net header may claim before its frame is forwarded (forwarding.md §6, "GSO from a child").
// A TAP takes whatever header the child's side writes; the parent's driver and the siblings' stacks trust it. The
// kernel's macvlan never sees such a header (the child's skb is built by its own stack), so this is umacvlan's check:
// what is inconsistent is dropped before the decision and counted `bad_gso`. Pure: reads the header and the table.

import { ETH } from '../wire/ethernet.js';
import { VNET, VNET_F_NEEDS_CSUM, VNET_GSO_NONE } from '../wire/virtio-net.js';
import { PARENT } from './constants.js';
import type { PortTable } from './port-table.js';

/** VIRTIO_NET_HDR_GSO_*: TCPV4 1, UDP 3, TCPV6 4, UDP_L4 5; ECN 0x80 may be or'ed in */
const GSO_ECN = 0x80;
const GSO_KNOWN = (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5);
/** GSO_MAX_SIZE: the largest frame a parent takes for segmentation (plus the Ethernet header and one tag) */
export const GSO_MAX_FRAME = 65536 + ETH.HLEN + 4;
/** The smallest network plus transport header a segment carries (IPv4 without options, UDP) */
const MIN_L3L4 = 28;

const le16 = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8);

/**
 * True when the header before the frame at `at` (length `len`, Ethernet header included) is one the wire may get:
 * hdr_len and csum_start + csum_offset + 2 within the frame, a known GSO type, and each segment (gso_size plus the
 * headers before the transport header and at least 8 bytes of it) within the parent's MTU; the whole GSO frame at
 * most GSO_MAX_FRAME. A header without GSO and without NEEDS_CSUM is always fine (the plain MTU check is decide()'s).
 */
export function vnetSane(t: PortTable, b: Uint8Array, at: number, len: number): boolean {
  const v = at - VNET.LEN;
  const flags = b[v + VNET.FLAGS];
  const type = b[v + VNET.GSO_TYPE];
  let l3l4 = MIN_L3L4;
  if ((flags & VNET_F_NEEDS_CSUM) !== 0) {
    const start = le16(b, v + VNET.CSUM_START);
    if (start < ETH.HLEN || start + le16(b, v + VNET.CSUM_OFFSET) + 2 > len) return false;
    if (start - ETH.HLEN + 8 > l3l4) l3l4 = start - ETH.HLEN + 8;
  }
  if (le16(b, v + VNET.HDR_LEN) > len) return false;
  if (type === VNET_GSO_NONE) return true;
  const base = type & ~GSO_ECN;
  if (base > 5 || ((GSO_KNOWN >>> base) & 1) === 0) return false;
  const size = le16(b, v + VNET.GSO_SIZE);
  return size > 0 && size + l3l4 <= t.mtu[PARENT] && len <= GSO_MAX_FRAME;
}
