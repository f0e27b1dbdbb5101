// Frame builder and header readers for the reference-model tests. Written apart from src/wire on purpose: the model
// must not share a parser with the core it checks, or one bug would hide in both.

/** ff:ff:ff:ff:ff:ff as a 48-bit number */
export const REF_BROADCAST = 2 ** 48 - 1;
export const TPID_8021Q = 0x8100;
export const ETHERTYPE_TEST = 0x88b5; // IEEE local experimental, the EtherType the spec's verification used
export const ETHERTYPE_PAUSE_REF = 0x8808;

export interface RefFrameSpec {
  dst: number;
  src: number;
  /** EtherType of the payload (after the tag when `vid` is set) */
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
  const hlen = spec.vid === undefined ? 14 : 18;
  const len = spec.len ?? Math.max(60, hlen);
  const out = new Uint8Array(len);
  const head = new Uint8Array(Math.max(len, hlen));
  putMac(head, 0, spec.dst);
  putMac(head, 6, spec.src);
  const type = spec.type ?? ETHERTYPE_TEST;
  if (spec.vid === undefined) {
    head[12] = type >> 8; head[13] = type & 0xff;
  } else {
    head[12] = TPID_8021Q >> 8; head[13] = TPID_8021Q & 0xff;
    head[14] = (spec.vid >> 8) & 0x0f; head[15] = spec.vid & 0xff;
    head[16] = type >> 8; head[17] = type & 0xff;
  }
  for (let i = hlen; i < len; i++) head[i] = spec.fill ?? (i & 0xff);
  out.set(head.subarray(0, len));
  return out;
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
