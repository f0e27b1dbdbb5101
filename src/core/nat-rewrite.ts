// The MAC-NAT rewrites, in place over one frame's bytes (README "--mac-nat", forwarding.md §7). Out to the wire:
// every hardware address of the child becomes the parent's (Ethernet source, ARP sender, NDP link-layer options),
// and a DHCPv4 request asks for a broadcast answer. In from the wire: the parent's MAC becomes the child's (Ethernet
// destination, ARP target, NDP options). Checksums are patched incrementally; a frame whose virtio-net header says
// NEEDS_CSUM keeps its partial checksum when the rewritten bytes lie in the range the device will sum.
// Pure over (table, bytes); nothing allocates.

import { ETH, ETHERTYPE_IPV4, etherType, macHiAt, macLoAt } from '../wire/ethernet.js';
import { ARP, ETHERTYPE_ARP, isEthIpv4Arp } from '../wire/arp.js';
import { ETHERTYPE_IPV6, ICMP6, IP6, ND_OPT_SLLA, ND_OPT_TLLA, PROTO_ICMPV6, ndpOptionsOffset } from '../wire/ndp.js';
import {
  BOOTP, BOOTP_BROADCAST, BOOTREQUEST, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, IP4, PROTO_UDP, UDP, ip4FirstFragment,
  ip4HeaderLength,
} from '../wire/dhcp.js';
import { VNET, VNET_F_NEEDS_CSUM } from '../wire/virtio-net.js';
import { udp4CsumReplace16, writeMacCsum } from '../wire/checksum.js';
import type { PortTable } from './port-table.js';

const L3 = ETH.HLEN;
const hiOf = (mac: number): number => Math.floor(mac / 0x1_0000_0000);

/**
 * Where the checksum at `csumAt` may be patched for bytes changed at `changed`: -1 when the frame's virtio-net
 * header asks the device to compute it over a range that starts at or before them (the partial sum stays right).
 */
function csumFor(b: Uint8Array, at: number, changed: number, csumAt: number): number {
  const h = at - VNET.LEN;
  if ((b[h + VNET.FLAGS] & VNET_F_NEEDS_CSUM) === 0) return csumAt;
  const start = at + (b[h + VNET.CSUM_START] | (b[h + VNET.CSUM_START + 1] << 8));
  return start <= changed ? -1 : csumAt;
}

/**
 * NDP link-layer options (source/target) whose address is (fromHi, fromLo) — any address when `any` — become
 * (toHi, toLo), the ICMPv6 checksum patched. Returns whether one changed.
 */
function ndpOptions(b: Uint8Array, at: number, len: number, any: boolean, fromHi: number, fromLo: number,
  toHi: number, toLo: number): boolean {
  const p = at + L3;
  if (len < L3 + IP6.HLEN + 4 || b[p + IP6.NEXT] !== PROTO_ICMPV6) return false;
  const icmp = p + IP6.HLEN;
  const first = ndpOptionsOffset(b[icmp + ICMP6.TYPE]);
  if (first < 0 || b[icmp + ICMP6.CODE] !== 0) return false;
  const payload = (b[p + 4] << 8) | b[p + 5];
  const end = Math.min(at + len, icmp + payload);
  let changed = false;
  for (let o = icmp + first; o + 2 <= end;) {
    const units = b[o + 1];
    if (units === 0 || o + units * 8 > end) break;  // malformed: the receiver drops it, we leave it
    const type = b[o];
    if ((type === ND_OPT_SLLA || type === ND_OPT_TLLA) && units === 1
      && (any || (macHiAt(b, o + 2) === fromHi && macLoAt(b, o + 2) === fromLo))) {
      writeMacCsum(b, o + 2, toHi, toLo, csumFor(b, at, o + 2, icmp + ICMP6.CSUM));
      changed = true;
    }
    o += units * 8;
  }
  return changed;
}

const be16 = (b: Uint8Array, p: number): number => (b[p] << 8) | b[p + 1];

/** A DHCPv4 request (client port to server port, BOOTREQUEST) gets the broadcast flag, the UDP checksum patched */
function dhcpBroadcast(b: Uint8Array, at: number, len: number): void {
  const p = at + L3;
  if (len < L3 + IP4.MIN) return;
  const ihl = ip4HeaderLength(b, p);
  if (ihl === 0 || b[p + IP4.PROTO] !== PROTO_UDP || !ip4FirstFragment(b, p)) return;
  const u = p + ihl;
  const m = u + UDP.HLEN;
  if (m + BOOTP.FLAGS + 2 > at + len) return;
  if (be16(b, u + UDP.SPORT) !== DHCP_CLIENT_PORT || be16(b, u + UDP.DPORT) !== DHCP_SERVER_PORT) return;
  if (b[m + BOOTP.OP] !== BOOTREQUEST) return;
  const f = m + BOOTP.FLAGS;
  const old = be16(b, f);
  if ((old & BOOTP_BROADCAST) !== 0) return;
  const now = old | BOOTP_BROADCAST;
  b[f] = now >>> 8;
  const c = csumFor(b, at, f, u + UDP.CSUM);
  if (c >= 0) udp4CsumReplace16(b, c, old, now);
}

/** Out to the wire from a child: the frame at b[at..at+len) made to carry only the parent's MAC */
export function natRewriteOut(t: PortTable, b: Uint8Array, at: number, len: number): void {
  const pm = t.mac[0];
  const pHi = hiOf(pm);
  const pLo = pm | 0;
  writeMacCsum(b, at + ETH.SRC, pHi, pLo, -1);
  const type = etherType(b, at);
  if (type === ETHERTYPE_ARP) {
    if (isEthIpv4Arp(b, at + L3, len - L3)) writeMacCsum(b, at + L3 + ARP.SHA, pHi, pLo, -1);
  } else if (type === ETHERTYPE_IPV6) {
    ndpOptions(b, at, len, true, 0, 0, pHi, pLo);
  } else if (type === ETHERTYPE_IPV4) {
    dhcpBroadcast(b, at, len);
  }
}

/** In from the wire, for child `to`: the parent's MAC in the frame becomes the child's */
export function natRewriteIn(t: PortTable, to: number, b: Uint8Array, at: number, len: number): void {
  const pm = t.mac[0];
  const pHi = hiOf(pm);
  const pLo = pm | 0;
  const cm = t.mac[to];
  const cHi = hiOf(cm);
  const cLo = cm | 0;
  writeMacCsum(b, at + ETH.DST, cHi, cLo, -1);
  const type = etherType(b, at);
  if (type === ETHERTYPE_ARP) {
    const p = at + L3;
    if (isEthIpv4Arp(b, p, len - L3) && macHiAt(b, p + ARP.THA) === pHi && macLoAt(b, p + ARP.THA) === pLo) {
      writeMacCsum(b, p + ARP.THA, cHi, cLo, -1);
    }
  } else if (type === ETHERTYPE_IPV6) {
    ndpOptions(b, at, len, false, pHi, pLo, cHi, cLo);
  }
}
