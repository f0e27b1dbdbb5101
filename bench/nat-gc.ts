// The allocation check for the --mac-nat path, in the manner of core-gc.ts: forwardBatch over a table with the MAC-NAT
// on and a mix of NAT frames — from children (IPv4 from owned addresses, an unowned one, DHCP requests, NDP
// advertisements, ARP requests from bridge children that go to a sibling and the wire), from the wire (IPv4, IPv6 and
// ARP replies to the parent's MAC for children's addresses, unowned ones, DHCP ACKs) — over an engine that says every
// frame was sent. Run: npx tsc -p . && node --trace-gc dist/bench/nat-gc.js. No GC may appear between the markers.
// The frames are restored from a pristine copy before each batch (byte by byte: a subarray would allocate), since
// the rewrite changes them in place.

import { makeCounters } from '../src/core/counters.js';
import { Mode, PARENT } from '../src/core/constants.js';
import { addrWords } from '../src/core/nat-address.js';
import { PortTable } from '../src/core/port-table.js';
import { Verdict } from '../src/core/verdict.js';
import { forwardBatch, type BatchState } from '../src/datapath/forward.js';
import { FloodQueue } from '../src/datapath/flood-queue.js';
import { NatLearner, type LearnEvent } from '../src/datapath/nat-forward.js';
import { Rx, Tx } from '../src/datapath/tx-list.js';
import { GcWatch, SinkEngine } from './gc-check.js';

const FRAMES = Number(process.env.UMV_GC_FRAMES ?? 5_000_000);
const BATCH = 256;
const SLOT = 2048;
const VN = 10;
const KIDS = 16;
const PM = [0x02, 0xcc, 0, 0, 0, 1];
const kid = (i: number): number[] => [0x02, 0xaa, 0, 0, 0, i];
const OUT = [0x02, 0xee, 0, 0, 0, 1];
const BC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const num = (m: number[]): number => m.reduce((a, x) => a * 256 + x, 0);

const t = new PortTable(KIDS);
t.setParent({ mac: num(PM), mtu: 1500, up: true, carrier: true, promisc: true });
for (let i = 1; i <= KIDS; i++) {
  t.addChild(i, { mac: num(kid(i)), mode: i <= 8 ? Mode.BRIDGE : Mode.VEPA, flags: 0, mtu: 1500 });
  t.setUp(i, true);
  const w = addrWords(`198.18.0.${i}`)!;
  t.natSet(w[0], w[1], w[2], w[3], i);
  const w6 = addrWords(`fd00::${i}`)!;
  t.natSet(w6[0], w6[1], w6[2], w6[3], i);
}
t.setMacNat(true);

const ip4 = (i: number): number[] => [198, 18, 0, i];
const ip6 = (i: number): number[] => [0xfd, 0, ...new Array(13).fill(0), i];
const u16 = (v: number): number[] => [v >> 8, v & 255];
function udp4(src: number[], dst: number[], sip: number[], dip: number[], sp: number, dp: number, data: number[]): number[] {
  const u = [...u16(sp), ...u16(dp), ...u16(8 + data.length), 0x12, 0x34, ...data];
  return [...dst, ...src, 8, 0, 0x45, 0, ...u16(20 + u.length), 0, 0, 0, 0, 64, 17, 0, 0, ...sip, ...dip, ...u];
}
const bootp = (op: number, ch: number[], yi: number[], opts: number[]): number[] =>
  [op, 1, 6, 0, 1, 2, 3, 4, 0, 0, 0, 0, ...new Array(4).fill(0), ...yi, ...new Array(8).fill(0), ...ch, ...new Array(202).fill(0),
    0x63, 0x82, 0x53, 0x63, ...opts, 255];
const arp = (dst: number[], src: number[], op: number, sha: number[], spa: number[], tha: number[], tpa: number[]): number[] =>
  [...dst, ...src, 8, 6, 0, 1, 8, 0, 6, 4, 0, op, ...sha, ...spa, ...tha, ...tpa];
function na(src: number[], dst: number[], sip: number[], dip: number[], opt: number[]): number[] {
  const icmp = [136, 0, 0x55, 0x66, 0x60, 0, 0, 0, ...sip, 2, 1, ...opt];
  return [...dst, ...src, 0x86, 0xdd, 0x60, 0, 0, 0, ...u16(icmp.length), 58, 255, ...sip, ...dip, ...icmp];
}

/** One frame per kind, by turn: [port, bytes] */
function frameOf(f: number): [number, number[]] {
  const k = 1 + (f % KIDS);
  switch (f % 9) {
    case 0: return [k, udp4(kid(k), OUT, ip4(k), [198, 18, 1, 1], 5000, 7, new Array(200).fill(1))];
    case 1: return [k, udp4(kid(k), OUT, [198, 18, 2, k], [198, 18, 1, 1], 5000, 7, [])];  // unowned: a claim
    case 2: return [k, udp4(kid(k), BC, [0, 0, 0, 0], [255, 255, 255, 255], 68, 67, bootp(1, kid(k), [0, 0, 0, 0], [53, 1, 3]))];
    case 3: return [k, na(kid(k), OUT, ip6(k), ip6(200), [...kid(k)])];
    case 4: return [1 + (f % 8), arp(BC, kid(1 + (f % 8)), 1, kid(1 + (f % 8)), ip4(1 + (f % 8)), [0, 0, 0, 0, 0, 0], [198, 18, 1, 1])];
    case 5: return [PARENT, udp4(OUT, PM, [198, 18, 1, 1], ip4(k), 7, 5000, new Array(300).fill(2))];
    case 6: return [PARENT, na(OUT, PM, ip6(200), ip6(k), [...PM])];
    case 7: return [PARENT, arp(PM, OUT, 2, OUT, [198, 18, 1, 1], PM, ip4(k))];
    default: return [PARENT, f % 2 === 0 ? udp4(OUT, PM, [198, 18, 1, 1], [198, 18, 3, 3], 7, 7, [])
      : udp4(OUT, BC, [198, 18, 1, 1], [255, 255, 255, 255], 67, 68, bootp(2, kid(k), ip4(k), [53, 1, 5, 51, 4, 0, 0, 14, 16]))];
  }
}

const BATCHES = 8;
const n = BATCHES * BATCH;
const pristine = new Uint8Array(n * SLOT);
const mem = new Uint8Array(n * SLOT);
const port = new Int16Array(n), at = new Uint32Array(n), len = new Uint32Array(n);
for (let f = 0; f < n; f++) {
  const [p, bytes] = frameOf(f);
  const a = f * SLOT + VN;
  pristine.set(bytes, a);
  port[f] = p; at[f] = a; len[f] = Math.max(60, bytes.length);
}

const eng = new SinkEngine([mem, mem, new Uint8Array(8 << 20)]);
const v = new Verdict(Verdict.capacityFor(KIDS));
v.defer = true;
let posts = 0;
const s: BatchState = {
  table: t, verdict: v, tx: new Tx(4096), counters: makeCounters(KIDS + 1), regions: eng.regions, capture: null,
  flood: new FloodQueue(eng.regions[2], 2), learner: new NatLearner((_e: LearnEvent) => { posts++; }, () => 1000),
};
const rx = new Rx(BATCH);
function loop(frames: number): void {
  let b = 0;
  for (let k = 0; k < Math.ceil(frames / BATCH); k++) {
    const base = b * BATCH;
    for (let i = 0; i < BATCH; i++) {
      const f = base + i;
      const a = at[f] - VN;
      const e = at[f] + len[f];
      for (let x = a; x < e; x++) mem[x] = pristine[x];
      rx.port[i] = port[f]; rx.region[i] = 0; rx.at[i] = at[f]; rx.len[i] = len[f];
    }
    rx.count = BATCH;
    forwardBatch(s, rx, eng, 0);
    b = b + 1 === BATCHES ? 0 : b + 1;
  }
}

loop(FRAMES / 5);
const gc = new GcWatch('nat-gc');
const ms = gc.measure('loop', `${FRAMES} frames`, () => loop(FRAMES));
console.log(`${FRAMES} frames through forwardBatch with --mac-nat in ${(ms / 1000).toFixed(3)} s: ` +
  `${(ms * 1e6 / FRAMES).toFixed(1)} ns/frame; learn events posted ${posts} (all in the warm-up)`);
gc.report();
