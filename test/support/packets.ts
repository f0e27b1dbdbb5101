// Packets for the capture tests, as byte lists: ARP, IPv4 (UDP, TCP, ICMP), IPv6 (UDP, ICMPv6), in an Ethernet
// frame (plain or 802.1Q) from the one frame builder. Checksums are left 0: nothing here reads them.

import { ethFrame, getMac } from './frames.js';

export const mac = (last: number): number[] => [0x02, 0, 0, 0, 0, last];
export const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const ip4 = (s: string): number[] => s.split('.').map(Number);

const macOf = (bytes: number[]): number => getMac(Uint8Array.from(bytes), 0);

export function eth(dst: number[], src: number[], type: number, payload: number[]): Uint8Array {
  return ethFrame({ dst: macOf(dst), src: macOf(src), type, len: 14 + payload.length, fill: (i) => payload[i - 14] });
}
export function vlanEth(dst: number[], src: number[], vid: number, inner: number, payload: number[]): Uint8Array {
  return ethFrame({ dst: macOf(dst), src: macOf(src), tci: vid, type: inner, len: 18 + payload.length, fill: (i) => payload[i - 18] });
}
export function arp(senderMac: number[], senderIp: string, targetIp: string): number[] {
  return [...be16(1), ...be16(0x0800), 6, 4, ...be16(1), ...senderMac, ...ip4(senderIp), 0, 0, 0, 0, 0, 0, ...ip4(targetIp)];
}
export function ipv4(src: string, dst: string, proto: number, payload: number[], o: { ttl?: number; frag?: number } = {}): number[] {
  const total = 20 + payload.length;
  return [0x45, 0, ...be16(total), 0, 1, ...be16(o.frag ?? 0), o.ttl ?? 64, proto, 0, 0, ...ip4(src), ...ip4(dst), ...payload];
}
export const udp = (sport: number, dport: number, data: number[] = []): number[] =>
  [...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data];
export const tcp = (sport: number, dport: number, flags: number): number[] =>
  [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, ...be16(65535), 0, 0, 0, 0];
export const icmpEcho = (data: number[] = []): number[] => [8, 0, 0, 0, 0, 1, 0, 1, ...data];
export function ipv6(src: number[], dst: number[], next: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...be16(payload.length), next, 64, ...src, ...dst, ...payload];
}
export const v6 = (first: number, last: number): number[] => [first >> 8, first & 0xff, ...new Array(13).fill(0), last];
