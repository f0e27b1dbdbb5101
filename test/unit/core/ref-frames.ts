// Frame builder and header readers for the reference-model tests: the tests' one frame builder (test/support/frames.ts),
// which is written apart from src/wire on purpose: the model must not share a parser with the core it checks, or one
// bug would hide in both.

import { BROADCAST_MAC, ethFrame, getMac, headerLength, putMac } from '../../support/frames.js';

export { getMac, putMac };
/** ff:ff:ff:ff:ff:ff as a 48-bit number */
export const REF_BROADCAST = BROADCAST_MAC;
export const ETHERTYPE_PAUSE_REF = 0x8808;

export interface RefFrameSpec {
  dst: number;
  src: number;
  /** EtherType of the payload (after the tag when `vid` is set); default the test EtherType */
  type?: number;
  /** put an 802.1Q tag with this VID in front of `type` */
  vid?: number;
  /** total length in bytes; at least the header, padded with `fill` */
  len?: number;
  /** payload byte value; default: a counting pattern */
  fill?: number;
}

/** One frame as the wire would carry it (no FCS). Always at least 14 bytes unless `len` asks for fewer. */
export function buildFrame(spec: RefFrameSpec): Uint8Array {
  const tci = spec.vid === undefined ? undefined : spec.vid & 0x0fff;
  const len = spec.len ?? Math.max(60, headerLength({ tci }));
  return ethFrame({ dst: spec.dst, src: spec.src, type: spec.type, tci, len, fill: spec.fill ?? ((i) => i & 0xff) });
}

/** I/G bit: the low bit of the first octet on the wire */
export const refIsGroup = (mac: number): boolean => Math.floor(mac / 2 ** 40) % 2 === 1;

/** "02:aa:00:00:00:01" for failure messages */
export function macText(mac: number): string {
  const parts: string[] = [];
  let m = mac;
  for (let i = 0; i < 6; i++) {
    parts.unshift((m % 256).toString(16).padStart(2, '0'));
    m = Math.floor(m / 256);
  }
  return parts.join(':');
}
