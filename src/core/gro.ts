// Userspace GRO toward a child: which frames of a transmit list may be delivered to their TAP as one GSO frame.
//
// The kernel's macvlan hands a child the frames its parent received; with the parent's GRO off (or a wire that does
// not coalesce: a veth with offloads off, a hairpin bridge that segments) those are segments, each one a TAP write
// and one pass through the child's receive stack here. This rule finds runs of TCP segments of one flow for one TAP,
// by the kernel's own GRO conditions (net/ipv4/tcp_offload.c tcp_gro_receive, inet_gro_receive and inet_gro_flush,
// ipv6_gro_receive): same Ethernet header, IPv4 without options or fragments and with a good header checksum (or
// IPv6 whose next header is TCP), TTL/TOS/DF (IPv6: first word and hop limit) and addresses equal, IP IDs
// incrementing or (DF set) fixed, ports, ack, data offset, flags other than FIN/PSH, window and options equal,
// sequence numbers contiguous, every payload 1..mss (mss: the first one's), only the last shorter or with FIN/PSH,
// no SYN/RST/URG/CWR, the whole IP packet at most 65535 bytes. Besides: the same virtio-net checksum state (none,
// DATA_VALID, or NEEDS_CSUM at the TCP checksum) and no GSO on any of them; at most GRO_MAX_SEGS segments.
// Pure: reads frame bytes and the list, writes only its own arrays. Building the merged frame is datapath/gro.ts's.

import { ETH } from '../wire/ethernet.js';
import { VNET } from '../wire/virtio-net.js';
import { fold16, sum16 } from '../wire/checksum.js';
import { PARENT } from './constants.js';

/** What the rule reads of a transmit list (datapath/tx-list.ts Tx) */
export interface GroList {
  count: number;
  readonly port: Int16Array;
  readonly region: Uint8Array;
  readonly at: Uint32Array;
  readonly len: Uint32Array;
  readonly kind: Uint8Array;
  readonly sender: Int16Array;
}

/** Segments one merged frame takes at most (a 64 KiB frame of 1448-byte segments is 45) */
export const GRO_MAX_SEGS = 64;
/** The checksum state a run shares: none (the child verifies), DATA_VALID (the parent's stack did), NEEDS_CSUM */
export const Csum = { NONE: 0, VALID: 1, PARTIAL: 2 } as const;
const VNET_F_DATA_VALID = 2;
const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_URG = 0x20, TCP_CWR = 0x80;
/** A run may not start with these: the kernel flushes such a segment at once */
const NOT_HEAD = TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_URG | TCP_CWR;
const IP_MAX = 65535;
const be16 = (b: Uint8Array, i: number): number => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) | 0;

function same(a: Uint8Array, i: number, b: Uint8Array, j: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

/** A parsed segment: offsets from the Ethernet header. Filled by parseSegment, one at a time. */
export const seg = { l4: 0, thl: 0, pay: 0, v6: 0, csum: 0, seq: 0, flags: 0, id: 0 };

/**
 * True, with `seg` filled, when b[at..at+len) (virtio-net header before it) is a TCP segment GRO could take:
 * untagged IPv4 (no options, no fragment, good header checksum, total length = the frame's) or IPv6 (next header
 * TCP, payload length = the frame's), a whole TCP header, no GSO. Anything short, odd or lying → false.
 */
export function parseSegment(b: Uint8Array, at: number, len: number): boolean {
  if (at < VNET.LEN || at + len > b.length || len < ETH.HLEN + 40) return false;
  const v = at - VNET.LEN;
  if (b[v + VNET.GSO_TYPE] !== 0) return false;
  const type = be16(b, at + ETH.TYPE);
  const ip = at + ETH.HLEN;
  let l4: number;
  if (type === 0x0800) {
    if (b[ip] !== 0x45 || be16(b, ip + 2) !== len - ETH.HLEN || (be16(b, ip + 6) & 0x3fff) !== 0 || b[ip + 9] !== 6) return false;
    if (fold16(sum16(b, ip, ip + 20, 0)) !== 0xffff) return false;
    l4 = ETH.HLEN + 20;
    seg.v6 = 0;
    seg.id = be16(b, ip + 4);
  } else if (type === 0x86dd) {
    if ((b[ip] >> 4) !== 6 || be16(b, ip + 4) + 40 !== len - ETH.HLEN || b[ip + 6] !== 6) return false;
    if (len < ETH.HLEN + 60) return false;
    l4 = ETH.HLEN + 40;
    seg.v6 = 1;
    seg.id = 0;
  } else {
    return false;
  }
  const thl = (b[at + l4 + 12] >> 4) * 4;
  if (thl < 20 || l4 + thl > len) return false;
  const flags = b[v + VNET.FLAGS];
  if (flags === 0) seg.csum = Csum.NONE;
  else if (flags === VNET_F_DATA_VALID) seg.csum = Csum.VALID;
  else if (flags === 1 && (b[v + VNET.CSUM_START] | (b[v + VNET.CSUM_START + 1] << 8)) === l4 &&
    (b[v + VNET.CSUM_OFFSET] | (b[v + VNET.CSUM_OFFSET + 1] << 8)) === 16) seg.csum = Csum.PARTIAL;
  else return false;
  seg.l4 = l4;
  seg.thl = thl;
  seg.pay = len - l4 - thl;
  seg.seq = be32(b, at + l4 + 4);
  seg.flags = b[at + l4 + 13];
  return true;
}

/**
 * The runs of one transmit list. A run is a head entry and the entries chained after it (`next`), all to the same
 * child port, in list order; only runs of two or more segments are kept (`runs` of them). Sized once.
 */
export class GroRuns {
  runs = 0;
  /** per run: its head (first entry), last entry, segments, mss, payload bytes so far, next sequence number */
  readonly head: Int32Array;
  readonly last: Int32Array;
  readonly segs: Int32Array;
  readonly mss: Int32Array;
  readonly bytes: Int32Array;
  readonly csum: Uint8Array;
  private readonly nextSeq: Int32Array;
  /** per run: -1 until the second segment says whether its IPv4 IDs are fixed (1) or incrementing (0) */
  private readonly fixedId: Int8Array;
  /** per entry: the next entry of its run, -1 at the end */
  readonly next: Int32Array;
  /** per port: the run still open for it, -1 none */
  private readonly open: Int32Array;
  private opened = 0;

  constructor(readonly ports: number, readonly maxRuns: number, entries: number) {
    this.head = new Int32Array(maxRuns); this.last = new Int32Array(maxRuns); this.segs = new Int32Array(maxRuns);
    this.mss = new Int32Array(maxRuns); this.bytes = new Int32Array(maxRuns); this.csum = new Uint8Array(maxRuns);
    this.nextSeq = new Int32Array(maxRuns); this.fixedId = new Int8Array(maxRuns);
    this.next = new Int32Array(entries);
    this.open = new Int32Array(ports).fill(-1);
  }

  /** Finds the runs of tx[0..count) (regions: the engine's memory). Runs of one segment are dropped at the end. */
  find(tx: GroList, regions: readonly Uint8Array[]): number {
    this.opened = 0;
    const n = tx.count;
    for (let j = 0; j < n; j++) {
      const p = tx.port[j];
      this.next[j] = -1;
      if (p <= PARENT || p >= this.ports) continue;
      const r = this.open[p];
      const b = regions[tx.region[j]];
      const ok = tx.sender[j] === PARENT && b !== undefined && parseSegment(b, tx.at[j], tx.len[j]);
      if (r >= 0 && ok && this.follows(tx, regions, r, j)) {
        this.next[this.last[r]] = j;
        this.last[r] = j;
        this.segs[r]++;
        this.bytes[r] += seg.pay;
        this.nextSeq[r] = (this.nextSeq[r] + seg.pay) | 0;
        if (seg.pay < this.mss[r] || (seg.flags & (TCP_FIN | TCP_PSH)) !== 0 || this.segs[r] >= GRO_MAX_SEGS) this.open[p] = -1;
        continue;
      }
      this.open[p] = -1;  // a frame of something else for this port ends its run: the order to one TAP stays
      if (!ok || seg.pay === 0 || (seg.flags & NOT_HEAD) !== 0 || this.opened >= this.maxRuns) continue;
      const q = this.opened++;
      this.head[q] = j; this.last[q] = j; this.segs[q] = 1; this.mss[q] = seg.pay; this.bytes[q] = seg.pay;
      this.csum[q] = seg.csum; this.nextSeq[q] = (seg.seq + seg.pay) | 0; this.fixedId[q] = -1;
      this.open[p] = q;
    }
    // close what is open and keep the runs of two or more, in order
    let k = 0;
    for (let q = 0; q < this.opened; q++) {
      this.open[tx.port[this.head[q]]] = -1;
      if (this.segs[q] < 2) continue;
      if (k !== q) {
        this.head[k] = this.head[q]; this.last[k] = this.last[q]; this.segs[k] = this.segs[q];
        this.mss[k] = this.mss[q]; this.bytes[k] = this.bytes[q]; this.csum[k] = this.csum[q];
      }
      k++;
    }
    this.runs = k;
    return k;
  }

  /** Whether entry j (parsed into `seg`) continues run r (tcp_gro_receive's and inet_gro_flush's conditions) */
  private follows(tx: GroList, regions: readonly Uint8Array[], r: number, j: number): boolean {
    const h = this.head[r];
    if (tx.kind[j] !== tx.kind[h] || seg.csum !== this.csum[r]) return false;
    if (seg.seq !== this.nextSeq[r] || seg.pay < 1 || seg.pay > this.mss[r]) return false;
    const a = regions[tx.region[h]];
    const ah = tx.at[h];
    const b = regions[tx.region[j]];
    const bj = tx.at[j];
    const l4 = seg.l4;
    const thl = seg.thl;
    if (l4 + thl + this.bytes[r] + seg.pay - ETH.HLEN > IP_MAX) return false;
    // the same Ethernet header (so the same IP version, l4) and the same TCP header length
    if (!same(a, ah, b, bj, ETH.HLEN) || ((a[ah + l4 + 12] >> 4) * 4) !== thl) return false;
    const ip = ETH.HLEN;
    if (seg.v6 === 0) {
      if (a[ah + ip + 1] !== b[bj + ip + 1] || a[ah + ip + 8] !== b[bj + ip + 8]) return false;  // TOS, TTL
      if ((a[ah + ip + 6] & 0x40) !== (b[bj + ip + 6] & 0x40) || !same(a, ah + ip + 12, b, bj + ip + 12, 8)) return false;
      const id0 = be16(a, ah + ip + 4);
      const k = this.segs[r];
      if (this.fixedId[r] < 0) {
        if (seg.id === id0 && (b[bj + ip + 6] & 0x40) !== 0) this.fixedId[r] = 1;
        else if (seg.id === ((id0 + 1) & 0xffff)) this.fixedId[r] = 0;
        else return false;
      } else if (seg.id !== (this.fixedId[r] === 1 ? id0 : (id0 + k) & 0xffff)) {
        return false;
      }
    } else if (!same(a, ah + ip, b, bj + ip, 4) || a[ah + ip + 7] !== b[bj + ip + 7] ||
      !same(a, ah + ip + 8, b, bj + ip + 8, 32)) {
      return false;
    }
    const t = l4;
    // ports, ack; data offset and the reserved bits; flags but FIN/PSH; window; options
    return same(a, ah + t, b, bj + t, 4) && same(a, ah + t + 8, b, bj + t + 8, 5) &&
      (a[ah + t + 13] & ~(TCP_FIN | TCP_PSH)) === (seg.flags & ~(TCP_FIN | TCP_PSH)) &&
      same(a, ah + t + 14, b, bj + t + 14, 2) && same(a, ah + t + 20, b, bj + t + 20, thl - 20);
  }
}
