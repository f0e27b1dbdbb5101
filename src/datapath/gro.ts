// Userspace GRO toward a child, the building half: the runs core/gro.ts finds in a transmit list become one gather
// write each (native/send.cc): a merged header, built here in scratch memory, then each segment's payload where it
// already lies (no copy). The entries stay in the list as they were, so counters and capture still see the segments;
// after the send, each one gets its run's result (settle).
//
// The merged frame is what the kernel's GRO would have made of the segments: the first one's headers with the IP
// length (and IPv4 checksum) of the whole, FIN/PSH of the last, a virtio-net header with GSO TCPV4/TCPV6 and gso_size
// = the first segment's payload. Its TCP checksum depends on what the segments' vnet headers said:
//  - DATA_VALID (the parent's stack verified them) or NEEDS_CSUM: NEEDS_CSUM at the TCP checksum, whose field holds
//    the pseudo-header sum, as tcp4_gro_complete leaves it (the child's stack then trusts the payload, as it trusts
//    a GRO packet);
//  - nothing (no one verified them yet): the complete checksum of the merged segment, derived from the segments' own
//    checksum fields without reading a payload byte (RFC 1071 sums add, a payload at an odd offset byte-swapped). So
//    the child still verifies: a damaged segment makes the whole merged frame fail its checksum and be dropped there
//    (TCP sends it again), where the kernel's GRO would drop that segment alone (README, deviations).

import { GATHER_SKIP, type TxGather } from '../io/contract.js';
import { Csum, GroRuns } from '../core/gro.js';
import { fold16, sum16 } from '../wire/checksum.js';
import { ETH } from '../wire/ethernet.js';
import { VNET } from '../wire/virtio-net.js';
import type { Tx } from './tx-list.js';

/** Bytes of scratch per merged header: vnet 10 + Ethernet 14 + IPv6 40 + TCP 60, rounded up */
export const GRO_HEADER_SLOT = 128;
/** Merged frames per send at most: beyond them, segments go one by one */
export const GRO_MAX_RUNS = 4096;
/** Scratch the headers need */
export const GRO_SCRATCH_BYTES = GRO_HEADER_SLOT * GRO_MAX_RUNS;
const GSO_TCPV4 = 1, GSO_TCPV6 = 4, NEEDS_CSUM = 1;
const TCP_FIN_PSH = 0x09;

const swap16 = (x: number): number => ((x & 0xff) << 8) | (x >>> 8);

export class GroStage {
  readonly runs: GroRuns;
  /** Merged frames built and segments they took, since start (for tests and benches) */
  merged = 0;
  segments = 0;

  /**
   * `scratch` is region `scratchRegion` of the engine; the headers go to scratch[base..base+GRO_SCRATCH_BYTES).
   * `ports`: port numbers are below it; `entries`: the transmit list's capacity.
   */
  constructor(ports: number, entries: number, readonly scratch: Uint8Array, readonly scratchRegion: number,
    readonly base: number) {
    if (base + GRO_SCRATCH_BYTES > scratch.length) throw new RangeError('GRO scratch out of the region');
    this.runs = new GroRuns(ports, GRO_MAX_RUNS, entries);
  }

  /** Marks tx's gather arrays for this send (every entry: plain, merged head or skipped) → runs merged */
  plan(tx: Tx, regions: readonly Uint8Array[]): number {
    const g = tx.gather!;
    g.count.fill(0, 0, tx.count);
    if (tx.count < 2) return 0;
    const n = this.runs.find(tx, regions);
    let piece = 0;
    const cap = g.region.length;
    for (let r = 0; r < n; r++) {
      const segs = this.runs.segs[r];
      if (piece + segs + 1 > cap) break;
      this.build(tx, regions, g, r, piece);
      piece += segs + 1;
      this.merged++;
      this.segments += segs;
    }
    return n;
  }

  /** After send(): each absorbed segment gets its run's outcome (its own length, or the run's error) */
  settle(tx: Tx): void {
    const g = tx.gather!;
    const runs = this.runs;
    if (tx.count < 2) return;
    for (let r = 0; r < runs.runs; r++) {
      const h = runs.head[r];
      if (g.count[h] === 0) continue;  // not built (pieces ran out)
      const res = tx.result[h];
      for (let j = h; j >= 0; j = runs.next[j]) tx.result[j] = res >= 0 ? tx.len[j] : res;
    }
  }

  private build(tx: Tx, regions: readonly Uint8Array[], g: TxGather, r: number, first: number): void {
    const runs = this.runs;
    const h = runs.head[r];
    const a = regions[tx.region[h]];
    const ah = tx.at[h];
    const d = this.scratch;
    const at = this.base + r * GRO_HEADER_SLOT + VNET.LEN;
    const v6 = a[ah + ETH.TYPE] === 0x86;
    const ip = ETH.HLEN;
    const l4 = v6 ? ip + 40 : ip + 20;
    const thl = (a[ah + l4 + 12] >> 4) * 4;
    const hdr = l4 + thl;
    for (let k = 0; k < hdr; k++) d[at + k] = a[ah + k];
    const tcpLen = thl + runs.bytes[r];
    const ipLen = l4 - ip + tcpLen;
    if (v6) {
      d[at + ip + 4] = (tcpLen >>> 8) & 0xff; d[at + ip + 5] = tcpLen & 0xff;
    } else {
      d[at + ip + 2] = ipLen >>> 8; d[at + ip + 3] = ipLen & 0xff;
      d[at + ip + 10] = 0; d[at + ip + 11] = 0;
      const c = ~fold16(sum16(d, at + ip, at + ip + 20, 0)) & 0xffff;
      d[at + ip + 10] = c >>> 8; d[at + ip + 11] = c & 0xff;
    }
    const last = runs.last[r];
    d[at + l4 + 13] |= regions[tx.region[last]][tx.at[last] + l4 + 13] & TCP_FIN_PSH;
    // pseudo header: the addresses, the protocol, the TCP length
    const addrs = v6 ? sum16(d, at + ip + 8, at + ip + 40, 0) : sum16(d, at + ip + 12, at + ip + 20, 0);
    d[at + l4 + 16] = 0; d[at + l4 + 17] = 0;
    let check: number;
    const partial = runs.csum[r] !== Csum.NONE;
    if (partial) {
      check = fold16(addrs + 6 + tcpLen);
    } else {
      let s = addrs + 6 + tcpLen + sum16(d, at + l4, at + hdr, 0);
      let off = 0;  // payload bytes before this segment's
      for (let j = h; j >= 0; j = runs.next[j]) {
        const b = regions[tx.region[j]];
        const t = tx.at[j] + l4;
        const pay = tx.len[j] - hdr;
        // what the segment's payload sums to: its checksum closes its pseudo header, header and payload to 0xffff
        const own = ~fold16(addrs + 6 + thl + pay + sum16(b, t, t + thl, 0)) & 0xffff;
        s += (off & 1) === 0 ? own : swap16(own);
        off += pay;
      }
      check = ~fold16(s) & 0xffff;
    }
    d[at + l4 + 16] = check >>> 8; d[at + l4 + 17] = check & 0xff;
    // virtio-net header (little-endian)
    const v = at - VNET.LEN;
    const mss = runs.mss[r];
    d[v + VNET.FLAGS] = partial ? NEEDS_CSUM : 0;
    d[v + VNET.GSO_TYPE] = v6 ? GSO_TCPV6 : GSO_TCPV4;
    d[v + VNET.HDR_LEN] = hdr & 0xff; d[v + VNET.HDR_LEN + 1] = hdr >>> 8;
    d[v + VNET.GSO_SIZE] = mss & 0xff; d[v + VNET.GSO_SIZE + 1] = mss >>> 8;
    d[v + VNET.CSUM_START] = partial ? l4 : 0; d[v + VNET.CSUM_START + 1] = 0;
    d[v + VNET.CSUM_OFFSET] = partial ? 16 : 0; d[v + VNET.CSUM_OFFSET + 1] = 0;
    // the pieces: the header, then every segment's payload where it lies
    g.count[h] = runs.segs[r] + 1;
    g.first[h] = first;
    g.region[first] = this.scratchRegion; g.at[first] = v; g.len[first] = VNET.LEN + hdr;
    let p = first + 1;
    for (let j = h; j >= 0; j = runs.next[j]) {
      if (j !== h) g.count[j] = GATHER_SKIP;
      g.region[p] = tx.region[j]; g.at[p] = tx.at[j] + hdr; g.len[p] = tx.len[j] - hdr;
      p++;
    }
  }
}
