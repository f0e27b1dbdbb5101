// The MAC-NAT steps of the decision (README "--mac-nat", forwarding.md §7): which child owns the destination of a
// frame sent to the parent's MAC, whether a child may send from its source address, and what a DHCP ACK on its way
// to a child says. Pure: reads the table and the frame's headers, writes the verdict. Nothing here changes bytes
// (nat-rewrite.ts does, in the datapath) and nothing allocates.

import { ETH, ETHERTYPE_IPV4, etherType, macHiAt, macLoAt } from '../wire/ethernet.js';
import { ARP, ETHERTYPE_ARP, isEthIpv4Arp } from '../wire/arp.js';
import { ETHERTYPE_IPV6, IP6 } from '../wire/ndp.js';
import {
  BOOTP, BOOTREPLY, DHCPACK, DHCP_CLIENT_PORT, DHCP_COOKIE, DHCP_SERVER_PORT, IP4, OPT_END, OPT_LEASE, OPT_MSG_TYPE,
  OPT_PAD, PROTO_UDP, UDP, ip4FirstFragment, ip4HeaderLength,
} from '../wire/dhcp.js';
import { Learn, Mode } from './constants.js';
import type { VerdictApi } from './contract.js';
import type { PortTable } from './port-table.js';

const L3 = ETH.HLEN;

/** Resets the NAT fields of a verdict (decide() calls it only while NAT is on) */
export function natClear(v: VerdictApi): void {
  v.natIn = false;
  v.natUnowned = false;
  v.learnKind = Learn.NONE;
  v.learnSlot = 0;
  v.learnEntry = -1;
  v.learnLease = 0;
}

/** True when the frame's destination MAC is the parent's */
export function toParentMac(t: PortTable, b: Uint8Array, at: number): boolean {
  const mac = t.mac[0];
  return macHiAt(b, at + ETH.DST) === Math.floor(mac / 0x1_0000_0000) && macLoAt(b, at + ETH.DST) === (mac | 0);
}

/** The child owning the frame's IPv4/IPv6 destination (or an ARP packet's target address), or -1 */
export function natOwner(t: PortTable, b: Uint8Array, at: number, len: number): number {
  const type = etherType(b, at);
  const p = at + L3;
  if (type === ETHERTYPE_IPV4) {
    if (len < L3 + IP4.MIN || ip4HeaderLength(b, p) === 0) return -1;
    return t.nat.ownerOf(t.nat.find4(b, p + IP4.DST));
  }
  if (type === ETHERTYPE_IPV6) return len < L3 + IP6.HLEN ? -1 : t.nat.ownerOf(t.nat.find6(b, p + IP6.DST));
  if (type === ETHERTYPE_ARP) return isEthIpv4Arp(b, p, len - L3) ? t.nat.ownerOf(t.nat.find4(b, p + ARP.TPA)) : -1;
  return -1;
}

/**
 * A unicast frame to the parent's MAC that macvlan's own rules left to the parent's stack (I9): the child owning
 * its destination address gets it, to be rewritten for it; otherwise it stays the parent stack's (`nat_unowned`).
 * Returns the copy's row count.
 */
export function natDeliver(t: PortTable, b: Uint8Array, at: number, len: number, v: VerdictApi, unicast: number,
  none: number): number {
  const c = natOwner(t, b, at, len);
  if (c <= 0 || t.used[c] === 0 || t.up[c] === 0 || t.mode[c] === Mode.SOURCE) {
    v.natUnowned = true;
    return v.n;
  }
  v.port[v.n] = c;
  v.kind[v.n] = unicast;
  v.drop[v.n] = 0;
  v.n++;
  v.natIn = true;
  v.toHost = false;
  if (v.reason === none) v.reason = 0;
  return v.n;
}

function allZero(b: Uint8Array, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[p + i] !== 0) return false;
  return true;
}

/**
 * Whether child `from` may send from the frame's source address (IPv4, IPv6, or an ARP packet's sender address):
 * false when another child owns it (a refused claim, `nat_conflict`). Writes what the control side should hear:
 * a claim of an address nobody owns, that the owner still uses it, or the conflict.
 */
export function natSourceOk(t: PortTable, from: number, b: Uint8Array, at: number, len: number, v: VerdictApi): boolean {
  const type = etherType(b, at);
  const p = at + L3;
  let a = -1;
  let n = 4;
  if (type === ETHERTYPE_IPV4) {
    if (len >= L3 + IP4.MIN && ip4HeaderLength(b, p) !== 0) a = p + IP4.SRC;
  } else if (type === ETHERTYPE_IPV6) {
    if (len >= L3 + IP6.HLEN) { a = p + IP6.SRC; n = 16; }
  } else if (type === ETHERTYPE_ARP) {
    if (isEthIpv4Arp(b, p, len - L3)) a = p + ARP.SPA;
  }
  if (a < 0 || allZero(b, a, n)) return true;  // no address, or "none yet" (DHCP, DAD, ARP probes)
  const e = n === 4 ? t.nat.find4(b, a) : t.nat.find6(b, a);
  const owner = t.nat.ownerOf(e);
  v.learnSlot = from;
  v.learnAt = a;
  v.learnLen = n;
  if (owner === from) {
    v.learnKind = Learn.SEEN;
    v.learnEntry = e;
    return true;
  }
  v.learnKind = owner < 0 ? Learn.CLAIM : Learn.CONFLICT;
  return owner < 0;
}

const be16 = (b: Uint8Array, p: number): number => (b[p] << 8) | b[p + 1];

/**
 * A DHCP ACK from the wire: if its client hardware address is a child's, the verdict says the child owns `yiaddr`
 * for the lease (option 51; 0 when absent). Bounded walk over the options within the frame.
 */
export function natDhcpAck(t: PortTable, b: Uint8Array, at: number, len: number, v: VerdictApi): void {
  const p = at + L3;
  if (etherType(b, at) !== ETHERTYPE_IPV4 || len < L3 + IP4.MIN) return;
  const ihl = ip4HeaderLength(b, p);
  if (ihl === 0 || b[p + IP4.PROTO] !== PROTO_UDP || !ip4FirstFragment(b, p)) return;
  const u = p + ihl;
  const m = u + UDP.HLEN;
  const end = at + len;
  if (m + BOOTP.OPTIONS > end) return;
  if (be16(b, u + UDP.SPORT) !== DHCP_SERVER_PORT || be16(b, u + UDP.DPORT) !== DHCP_CLIENT_PORT) return;
  if (b[m + BOOTP.OP] !== BOOTREPLY || b[m + BOOTP.HLEN] !== 6) return;
  if (((b[m + BOOTP.COOKIE] << 24) | (b[m + BOOTP.COOKIE + 1] << 16) | (b[m + BOOTP.COOKIE + 2] << 8)
    | b[m + BOOTP.COOKIE + 3]) !== (DHCP_COOKIE | 0)) return;
  let ack = false;
  let lease = 0;
  for (let o = m + BOOTP.OPTIONS; o < end;) {
    const code = b[o];
    if (code === OPT_END) break;
    if (code === OPT_PAD) { o++; continue; }
    if (o + 2 > end) return;
    const l = b[o + 1];
    if (o + 2 + l > end) return;
    if (code === OPT_MSG_TYPE && l === 1) ack = b[o + 2] === DHCPACK;
    else if (code === OPT_LEASE && l === 4) lease = b[o + 2] * 0x100_0000 + ((b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]);
    o += 2 + l;
  }
  if (!ack || allZero(b, m + BOOTP.YIADDR, 4)) return;
  const c = t.lookupHL(macHiAt(b, m + BOOTP.CHADDR), macLoAt(b, m + BOOTP.CHADDR));
  if (c <= 0) return;
  v.learnKind = Learn.LEASE;
  v.learnSlot = c;
  v.learnAt = m + BOOTP.YIADDR;
  v.learnLen = 4;
  v.learnLease = lease;
}
