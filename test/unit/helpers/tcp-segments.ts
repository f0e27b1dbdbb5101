// TCP segments as the parent's ring holds them ([virtio-net header][Ethernet][IPv4|IPv6][TCP][payload]), correct
// checksums unless told otherwise, and a transmit list over them: for the GRO tests (core/gro, datapath/gro).

import { PARENT, Egress } from '../../../src/core/constants.js';
import { Tx } from '../../../src/datapath/tx-list.js';

export interface SegSpec {
  v6?: boolean;
  seq?: number;
  pay?: number;
  /** TCP flags byte (default ACK 0x10) */
  flags?: number;
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  ack?: number;
  win?: number;
  /** TCP options, a multiple of 4 bytes */
  opts?: number[];
  sport?: number;
  dport?: number;
  src?: number;
  dst?: number;
  dstMac?: number;
  /** virtio-net flags: 0 none, 2 DATA_VALID, 1 NEEDS_CSUM (at the TCP checksum, whose field is then the pseudo sum) */
  vnet?: number;
  /** payload byte k is (fill + k) & 0xff */
  fill?: number;
}

export const TCP_ACK = 0x10, TCP_PSH = 0x08, TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_URG = 0x20, TCP_CWR = 0x80;

function sum(b: Uint8Array, from: number, to: number, acc = 0): number {
  let s = acc;
  for (let i = from; i < to; i += 2) s += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
  return s;
}
export const fold = (s: number): number => { while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536); return s; };

/** The frame (no vnet header) of a segment; the vnet header's 10 bytes are returned separately */
export function segment(o: SegSpec = {}): { vnet: Uint8Array; frame: Uint8Array } {
  const v6 = o.v6 ?? false;
  const opts = o.opts ?? [];
  const pay = o.pay ?? 1448;
  const thl = 20 + opts.length;
  const l4 = v6 ? 54 : 34;
  const f = new Uint8Array(l4 + thl + pay);
  const dm = o.dstMac ?? 0x0242c6120002;
  for (let k = 0; k < 6; k++) f[k] = Math.floor(dm / 2 ** (8 * (5 - k))) & 0xff;
  f.set([0x02, 0x42, 0xc6, 0x12, 0x00, 0xfe], 6);
  f[12] = v6 ? 0x86 : 0x08; f[13] = v6 ? 0xdd : 0x00;
  const src = o.src ?? 0xc61200fe, dst = o.dst ?? 0xc6120002;
  if (v6) {
    f[14] = 0x60 | ((o.tos ?? 0) >> 4); f[15] = ((o.tos ?? 0) & 0xf) << 4;
    const plen = thl + pay; f[18] = plen >> 8; f[19] = plen & 0xff; f[20] = 6; f[21] = o.ttl ?? 64;
    f[22] = 0xfd; f[37] = src & 0xff; f[36] = (src >> 8) & 0xff; f[38] = 0xfd; f[53] = dst & 0xff; f[52] = (dst >> 8) & 0xff;
  } else {
    f[14] = 0x45; f[15] = o.tos ?? 0; const tl = 20 + thl + pay; f[16] = tl >> 8; f[17] = tl & 0xff;
    const id = o.id ?? 0x1000; f[18] = (id >> 8) & 0xff; f[19] = id & 0xff; f[20] = (o.df ?? true) ? 0x40 : 0;
    f[22] = o.ttl ?? 64; f[23] = 6;
    for (let k = 0; k < 4; k++) { f[26 + k] = (src >>> (24 - 8 * k)) & 0xff; f[30 + k] = (dst >>> (24 - 8 * k)) & 0xff; }
    const c = ~fold(sum(f, 14, 34)) & 0xffff; f[24] = c >> 8; f[25] = c & 0xff;
  }
  const t = l4;
  const sp = o.sport ?? 5299, dp = o.dport ?? 40000;
  f[t] = sp >> 8; f[t + 1] = sp & 0xff; f[t + 2] = dp >> 8; f[t + 3] = dp & 0xff;
  const seq = (o.seq ?? 1000) >>> 0, ack = (o.ack ?? 77) >>> 0;
  for (let k = 0; k < 4; k++) { f[t + 4 + k] = (seq >>> (24 - 8 * k)) & 0xff; f[t + 8 + k] = (ack >>> (24 - 8 * k)) & 0xff; }
  f[t + 12] = (thl / 4) << 4; f[t + 13] = o.flags ?? TCP_ACK;
  const win = o.win ?? 512; f[t + 14] = win >> 8; f[t + 15] = win & 0xff;
  f.set(opts, t + 20);
  for (let k = 0; k < pay; k++) f[t + thl + k] = ((o.fill ?? 0) + k) & 0xff;
  const pseudo = (v6 ? sum(f, 22, 54) : sum(f, 26, 34)) + 6 + thl + pay;
  const vnetFlags = o.vnet ?? 0;
  const c = vnetFlags === 1 ? fold(pseudo) : ~fold(sum(f, t, f.length, pseudo)) & 0xffff;
  f[t + 16] = c >> 8; f[t + 17] = c & 0xff;
  const vnet = new Uint8Array(10);
  vnet[0] = vnetFlags;
  if (vnetFlags === 1) { vnet[6] = l4; vnet[8] = 16; }
  return { vnet, frame: f };
}

/** Whether a frame's TCP checksum is right (its full sum over pseudo header, header and payload is 0xffff) */
export function tcpChecksumOk(f: Uint8Array): boolean {
  const v6 = f[12] === 0x86;
  const l4 = v6 ? 54 : 34;
  const len = f.length - l4;
  const pseudo = (v6 ? sum(f, 22, 54) : sum(f, 26, 34)) + 6 + len;
  return fold(sum(f, l4, f.length, pseudo)) === 0xffff;
}

export const ipv4HeaderOk = (f: Uint8Array): boolean => fold(sum(f, 14, 34)) === 0xffff;

/** One entry of a list: a frame and where it goes */
export interface Entry { port: number; vnet: Uint8Array; frame: Uint8Array; sender?: number; kind?: number }

/** A region holding the frames (each at a 16-byte aligned offset after its vnet header) and a list over it */
export function list(entries: readonly Entry[], pieces = 4096): { tx: Tx; regions: Uint8Array[] } {
  let size = 16;
  for (const e of entries) size += 16 + ((e.frame.length + 10 + 15) & ~15);
  const mem = new Uint8Array(size + 16);
  const tx = new Tx(Math.max(8, entries.length), pieces);
  let at = 16;
  for (const e of entries) {
    mem.set(e.vnet, at); mem.set(e.frame, at + 10);
    const j = tx.count++;
    tx.port[j] = e.port; tx.region[j] = 0; tx.at[j] = at + 10; tx.len[j] = e.frame.length;
    tx.sender[j] = e.sender ?? PARENT; tx.kind[j] = e.kind ?? Egress.UNICAST;
    at += 16 + ((e.frame.length + 10 + 15) & ~15);
  }
  return { tx, regions: [mem, new Uint8Array(0), new Uint8Array(1 << 20)] };
}

/** n contiguous segments of one flow (spec applied to each; seq and IP id advance) */
export function flow(n: number, port: number, o: SegSpec = {}, pay = o.pay ?? 1448): Entry[] {
  const out: Entry[] = [];
  let seq = o.seq ?? 1000;
  for (let k = 0; k < n; k++) {
    const s = segment({ ...o, seq, pay, id: ((o.id ?? 0x1000) + k) & 0xffff, fill: seq & 0xff });
    out.push({ port, ...s });
    seq = (seq + pay) >>> 0;
  }
  return out;
}
