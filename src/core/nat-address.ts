// Addresses of the MAC-NAT table as text and as the table's four words (nat-table.ts). Control path only. The text is
// wire/ip-address.ts's, read and written as everywhere else; an IPv4 address is held IPv4-mapped, so its text is
// dotted whichever way it was written.

import { formatIp, parseIp } from '../wire/ip-address.js';
import { V4_MAPPED } from './nat-table.js';

export type AddrWords = [number, number, number, number];

/** The words of an IPv4 or IPv6 address in text, or null when it is neither */
export function addrWords(text: string): AddrWords | null {
  const b = parseIp(text);
  return b === null ? null : wordsAt(Uint8Array.from(b), 0, b.length === 4 ? 4 : 16);
}

/** The words read from frame bytes: 4 (IPv4) or 16 (IPv6) bytes at `p` */
export function wordsAt(b: Uint8Array, p: number, len: 4 | 16): AddrWords {
  const w = (q: number): number => (b[q] << 24) | (b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3];
  return len === 4 ? [0, 0, V4_MAPPED, w(p)] : [w(p), w(p + 4), w(p + 8), w(p + 12)];
}


/** Text of an address: dotted IPv4 (an IPv4-mapped one too), or IPv6 with the longest run of zero groups as '::' */
export function addrText(w: AddrWords): string {
  const b: number[] = [];
  for (const x of w) b.push(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
  return formatIp(b);
}
