// The Internet checksum (RFC 1071) and its incremental update (RFC 1624) over a Uint8Array, in place.
// Used by the MAC-NAT rewrites: a rewritten field inside a checksummed message is fixed without summing it again.

/** Ones' complement sum of b[from..to) as big-endian 16-bit words (an odd last byte is padded), added to `acc` */
export function sum16(b: Uint8Array, from: number, to: number, acc: number): number {
  let s = acc;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < to) s += b[i] << 8;
  return s;
}

/** A sum folded to 16 bits (not complemented) */
export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The checksum field at `csumAt` after the 16-bit word `oldWord` of the covered data became `newWord`
 * (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')). The data's own bytes are already written by the caller.
 */
export function csumReplace16(b: Uint8Array, csumAt: number, oldWord: number, newWord: number): void {
  const hc = (b[csumAt] << 8) | b[csumAt + 1];
  const s = fold16((~hc & 0xffff) + (~oldWord & 0xffff) + newWord);
  const out = ~s & 0xffff;
  b[csumAt] = out >>> 8;
  b[csumAt + 1] = out & 0xff;
}

/** The same for a UDP-over-IPv4 checksum: 0 means "none" and stays 0, and a computed 0 is sent as 0xffff */
export function udp4CsumReplace16(b: Uint8Array, csumAt: number, oldWord: number, newWord: number): void {
  if (b[csumAt] === 0 && b[csumAt + 1] === 0) return;
  csumReplace16(b, csumAt, oldWord, newWord);
  if (b[csumAt] === 0 && b[csumAt + 1] === 0) { b[csumAt] = 0xff; b[csumAt + 1] = 0xff; }
}

/**
 * Writes the MAC (hi 16, lo 32 signed) at `at` and, when `csumAt` >= 0, updates the checksum there for the three
 * words it replaced. `at` must be at an even distance from the checksummed message's start.
 */
export function writeMacCsum(b: Uint8Array, at: number, hi: number, lo: number, csumAt: number): void {
  const w0 = hi & 0xffff;
  const w1 = (lo >>> 16) & 0xffff;
  const w2 = lo & 0xffff;
  if (csumAt >= 0) {
    csumReplace16(b, csumAt, (b[at] << 8) | b[at + 1], w0);
    csumReplace16(b, csumAt, (b[at + 2] << 8) | b[at + 3], w1);
    csumReplace16(b, csumAt, (b[at + 4] << 8) | b[at + 5], w2);
  }
  b[at] = w0 >>> 8; b[at + 1] = w0 & 0xff;
  b[at + 2] = w1 >>> 8; b[at + 3] = w1 & 0xff;
  b[at + 4] = w2 >>> 8; b[at + 5] = w2 & 0xff;
}
