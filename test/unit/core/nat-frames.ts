// Frames for the MAC-NAT tests: DHCP, NDP, ARP, IPv4/IPv6, each with its checksum computed here, independently of
// src/wire/checksum.ts (a plain RFC 1071 sum over the pseudo-header and the message), and a checker for the same.

import { arp, eth, ipv4 } from '../../support/packets.js';

export const PMAC = [0x02, 0xcc, 0, 0, 0, 0x01];
export const C1 = [0x02, 0xaa, 0, 0, 0, 0xb1];
export const C2 = [0x02, 0xaa, 0, 0, 0, 0xc1];
export const OUT = [0x02, 0xee, 0, 0, 0, 0x01];
export const BC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
export const macNum = (b: number[]): number => b.reduce((a, x) => a * 256 + x, 0);
const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [...be16(Math.floor(v / 65536)), ...be16(v & 0xffff)];
export const ip4 = (s: string): number[] => s.split('.').map(Number);
/** fd00::N or fe80::N or a solicited-node group */
export const ip6 = (first: number, last: number[]): number[] => [first >> 8, first & 0xff, ...new Array(14 - last.length).fill(0), ...last];

/** RFC 1071 over a byte list, complemented */
export function inetSum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function ip6Packet(src: number[], dst: number[], next: number, l4: number[], csumAt: number): number[] {
  const pseudo = [...src, ...dst, ...be32(l4.length), 0, 0, 0, next];
  const c = inetSum([...pseudo, ...l4]);
  l4[csumAt] = c >>> 8; l4[csumAt + 1] = c & 0xff;
  return [0x60, 0, 0, 0, ...be16(l4.length), next, 255, ...src, ...dst, ...l4];
}

/** An NDP message (type 133–137) with link-layer options [type, mac] after its fixed part */
export function ndp(srcMac: number[], dstMac: number[], src: number[], dst: number[], type: number, target: number[] | null,
  opts: Array<[number, number[]]>): Uint8Array {
  const fixed = type === 135 || type === 136 ? [...(type === 136 ? [0x60, 0, 0, 0] : [0, 0, 0, 0]), ...target!]
    : type === 133 ? [0, 0, 0, 0] : new Array(type === 134 ? 12 : 36).fill(0);
  const icmp = [type, 0, 0, 0, ...fixed];
  for (const [t, mac] of opts) icmp.push(t, 1, ...mac);
  return eth(dstMac, srcMac, 0x86dd, ip6Packet(src, dst, 58, icmp, 2));
}

/** A UDP datagram over IPv4 with its checksum (or 0 when `noCsum`) */
export function udp4(srcMac: number[], dstMac: number[], src: string, dst: string, sport: number, dport: number,
  data: number[], noCsum = false): Uint8Array {
  const u = [...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data];
  if (!noCsum) {
    let c = inetSum([...ip4(src), ...ip4(dst), 0, 17, ...be16(u.length), ...u]);
    if (c === 0) c = 0xffff;
    u[6] = c >>> 8; u[7] = c & 0xff;
  }
  return eth(dstMac, srcMac, 0x0800, ipv4(src, dst, 17, u));
}

/** A BOOTP message: op, chaddr, yiaddr, then the DHCP options (cookie added) */
export function bootp(op: 1 | 2, chaddr: number[], yiaddr: string, options: number[], flags = 0): number[] {
  const b = [op, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, ...be16(flags), 0, 0, 0, 0, ...ip4(yiaddr), 0, 0, 0, 0, 0, 0, 0, 0,
    ...chaddr, ...new Array(10).fill(0), ...new Array(192).fill(0), 0x63, 0x82, 0x53, 0x63, ...options, 255];
  return b;
}

export const dhcpRequest = (child: number[], noCsum = false): Uint8Array =>
  udp4(child, BC, '0.0.0.0', '255.255.255.255', 68, 67, bootp(1, child, '0.0.0.0', [53, 1, 3, 61, 7, 1, ...child]), noCsum);
export const dhcpAck = (child: number[], yiaddr: string, lease: number): Uint8Array =>
  udp4(OUT, BC, '198.18.0.1', '255.255.255.255', 67, 68, bootp(2, child, yiaddr, [53, 1, 5, 51, 4, ...be32(lease)], 0x8000));

export const arpRequest = (sha: number[], spa: string, tpa: string): Uint8Array => eth(BC, sha, 0x0806, arp(sha, spa, tpa));
export function arpReply(dstMac: number[], sha: number[], spa: string, tha: number[], tpa: string): Uint8Array {
  const a = arp(sha, spa, tpa);
  a[7] = 2;
  a.splice(18, 6, ...tha);
  return eth(dstMac, sha, 0x0806, a);
}

/** Does the IPv4 UDP checksum of the frame verify (or is it 0)? */
export function udp4Ok(f: Uint8Array): boolean {
  const ihl = (f[14] & 15) * 4;
  const u = [...f.slice(14 + ihl)];
  if (u[6] === 0 && u[7] === 0) return true;
  return inetSum([...f.slice(26, 34), 0, 17, ...be16(u.length), ...u]) === 0;
}

/** Does the ICMPv6 checksum of the frame verify? */
export function icmp6Ok(f: Uint8Array): boolean {
  const len = (f[18] << 8) | f[19];
  const l4 = [...f.slice(54, 54 + len)];
  return inetSum([...f.slice(22, 54), ...be32(len), 0, 0, 0, 58, ...l4]) === 0;
}

/** Positions where two frames differ */
export function diff(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

export const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
