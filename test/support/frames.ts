// The one Ethernet frame builder of the tests (unit, reference model, system): a header (dst, src, optional 802.1Q
// tag, EtherType) and a body filled as asked, truncated to `len`. Written apart from src/wire on purpose: the
// reference model checks the core with it, and must not share byte-level code with what it checks.

import { TEST_ETHERTYPE } from '../../support/addresses.js';

export const TPID_8021Q = 0x8100;
/** ff:ff:ff:ff:ff:ff as a 48-bit number */
export const BROADCAST_MAC = 2 ** 48 - 1;

export interface EthSpec {
  dst: number;
  src: number;
  /** EtherType of the payload (after the tag when `tci` is set); default the test EtherType */
  type?: number;
  /** put an 802.1Q tag with this TCI (PCP, DEI, VID) in front of `type` */
  tci?: number;
  /** total length in bytes, header included; a length shorter than the header cuts the header */
  len: number;
  /** body byte at each offset (offsets count from the frame's first byte); default 0 */
  fill?: number | ((offset: number) => number);
}

export function putMac(b: Uint8Array, at: number, mac: number): void {
  let m = mac;
  for (let i = 5; i >= 0; i--) {
    b[at + i] = m % 256;
    m = Math.floor(m / 256);
  }
}

export function getMac(b: Uint8Array, at: number): number {
  let m = 0;
  for (let i = 0; i < 6; i++) m = m * 256 + b[at + i];
  return m;
}

/** Header length for a spec: 14, or 18 with a tag */
export const headerLength = (s: { tci?: number }): number => (s.tci === undefined ? 14 : 18);

/** One frame as the wire would carry it (no FCS). */
export function ethFrame(s: EthSpec): Uint8Array {
  const hlen = headerLength(s);
  const b = new Uint8Array(Math.max(s.len, hlen));
  putMac(b, 0, s.dst);
  putMac(b, 6, s.src);
  const type = s.type ?? TEST_ETHERTYPE;
  let o = 12;
  if (s.tci !== undefined) {
    b[o++] = TPID_8021Q >> 8; b[o++] = TPID_8021Q & 0xff;
    b[o++] = (s.tci >> 8) & 0xff; b[o++] = s.tci & 0xff;
  }
  b[o++] = type >> 8; b[o++] = type & 0xff;
  const fill = s.fill ?? 0;
  for (let i = hlen; i < s.len; i++) b[i] = typeof fill === 'number' ? fill : fill(i);
  return b.length === s.len ? b : b.slice(0, s.len);
}

/**
 * A numbered test frame: test EtherType (optionally behind a tag), a 32-bit number right after the header, then a
 * pattern that depends on the number, so a frame that arrives changed or mixed up with another shows.
 */
export function numberedFrame(dst: number, src: number, len: number, n: number, tci?: number): Uint8Array {
  const f = ethFrame({ dst, src, len, tci, fill: (o) => (o * 7 + n) & 0xff });
  new DataView(f.buffer).setUint32(headerLength({ tci }), n);
  return f;
}

/** Whether bytes [at, at+len) are a test frame (test EtherType, tagged or not) long enough to carry a number */
export function isNumberedFrame(b: Uint8Array, at: number, len: number): boolean {
  if (len < 18) return false;
  const t = (b[at + 12] << 8) | b[at + 13];
  return t === TEST_ETHERTYPE || (t === TPID_8021Q && ((b[at + 16] << 8) | b[at + 17]) === TEST_ETHERTYPE);
}

/** The number numberedFrame put in */
export const numberOf = (b: Uint8Array, at = 0): number =>
  new DataView(b.buffer, b.byteOffset).getUint32(at + (b[at + 12] === 0x81 ? 18 : 14));
