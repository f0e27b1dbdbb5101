// ns/frame of the forwarding core: decide() + countVerdict() over batches of 256 frames laid out like the ring
// ([vnet header][frame] slots in one Uint8Array), on a 64-child port with mixed modes.
// Run: npx tsc -p . && node dist/bench/core.bench.js   (npm run bench:core)

import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { Flag, Mode, PARENT } from '../src/core/constants.js';
import type { ModeBit } from '../src/core/constants.js';
import { Col, countVerdict, makeCounters } from '../src/core/counters.js';
import { decide } from '../src/core/decide.js';
import { PortTable } from '../src/core/port-table.js';
import { Verdict } from '../src/core/verdict.js';
import { BROADCAST, writeMac } from '../src/wire/ethernet.js';
import { VNET, isGso } from '../src/wire/virtio-net.js';

export const BATCH = 256;
export const CHILDREN = 64;
const SLOT = 2048;

const PARENT_MAC = 0x02cc_0000_0001;
const childMac = (i: number): number => 0x02aa_0000_0000 + i;
const EXT = (k: number): number => 0x02ee_0000_0000 + k;
const GROUP = (k: number): number => 0x0100_5e00_0000 + k;

/** 64 children: 24 bridge, 16 vepa, 12 private, 8 source (2 with nodst), 4 vepa DOWN; groups and allow-lists. */
export function buildTable(): PortTable {
  const t = new PortTable();
  t.setParent({ mac: PARENT_MAC, mtu: 1500, up: true, carrier: true, promisc: true });
  for (let i = 1; i <= CHILDREN; i++) {
    const mode: ModeBit = i <= 24 ? Mode.BRIDGE : i <= 40 ? Mode.VEPA : i <= 52 ? Mode.PRIVATE : i <= 60 ? Mode.SOURCE : Mode.VEPA;
    t.addChild(i, { mac: childMac(i), mode, flags: i === 59 || i === 60 ? Flag.NODST : 0, mtu: 1500 });
    if (i % 3 === 0) t.joinGroup(i, GROUP(1));
    if (i % 5 === 0) t.joinGroup(i, GROUP(2));
    if (i % 16 === 0) t.setAllmulti(i, true);
    if (mode === Mode.SOURCE) { t.sourceAdd(i, EXT(100 + (i % 4))); t.sourceAdd(i, EXT(200 + i)); }
    if (i <= 60) t.setUp(i, true);
  }
  return t;
}

export interface Workload {
  /** the "ring": BATCH × batches slots of SLOT bytes, each [vnet header][frame] */
  mem: Uint8Array;
  port: Int16Array;
  at: Uint32Array;
  len: Uint32Array;
  batches: number;
}

type Kind = 'p-uni' | 'p-unknown' | 'p-bcast' | 'p-mcast' | 'p-source' | 'c-wire' | 'c-local' | 'c-bcast';

/** The mix of one batch (256 entries): mostly unicast, a tenth broadcast, some multicast, both directions. */
export const MIX: Array<[Kind, number]> = [
  ['p-uni', 96], ['p-unknown', 16], ['p-bcast', 16], ['p-mcast', 16], ['p-source', 8],
  ['c-wire', 64], ['c-local', 32], ['c-bcast', 8],
];

/** Frames of one kind only, or the MIX when `only` is undefined. Deterministic (a fixed LCG). */
export function buildWorkload(batches: number, only?: Kind): Workload {
  const n = batches * BATCH;
  const w: Workload = {
    mem: new Uint8Array(n * SLOT), port: new Int16Array(n), at: new Uint32Array(n), len: new Uint32Array(n), batches,
  };
  let seed = 12345;
  const rnd = (k: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % k; };
  const kinds: Kind[] = [];
  for (const [k, c] of MIX) for (let j = 0; j < c; j++) kinds.push(only ?? k);
  for (let f = 0; f < n; f++) {
    const kind = kinds[(f + rnd(BATCH)) % BATCH];
    const at = f * SLOT + VNET.LEN;
    const len = 64 + rnd(1400);
    let from = PARENT;
    let dst = 0;
    let src = EXT(rnd(50));
    switch (kind) {
      case 'p-uni': dst = childMac(1 + rnd(52)); break;
      case 'p-unknown': dst = EXT(900 + rnd(10)); break;
      case 'p-bcast': dst = BROADCAST; if (rnd(4) === 0) src = childMac(1 + rnd(52)); break;
      case 'p-mcast': dst = GROUP(1 + rnd(3)); break;
      case 'p-source': dst = rnd(2) === 0 ? BROADCAST : childMac(25 + rnd(16)); src = EXT(100 + rnd(4)); break;
      case 'c-wire': from = 25 + rnd(28); dst = EXT(rnd(50)); src = childMac(from); break;
      case 'c-local': from = 1 + rnd(24); dst = childMac(1 + rnd(24)); src = childMac(from); break;
      case 'c-bcast': from = 1 + rnd(24); dst = rnd(2) === 0 ? BROADCAST : GROUP(1); src = childMac(from); break;
    }
    writeMac(w.mem, at, dst);
    writeMac(w.mem, at + 6, src);
    w.mem[at + 12] = 0x08;
    w.mem[at + 13] = 0x00;
    w.port[f] = from;
    w.at[f] = at;
    w.len[f] = len;
  }
  return w;
}

/** One batch through the core, exactly as the datapath's loop does it. Returns the egress copies (a checksum). */
export function runBatch(t: PortTable, w: Workload, batch: number, v: Verdict, c: Float64Array): number {
  let copies = 0;
  const end = (batch + 1) * BATCH;
  const mem = w.mem;
  for (let f = batch * BATCH; f < end; f++) {
    const at = w.at[f];
    const len = w.len[f];
    const from = w.port[f];
    copies += decide(t, from, mem, at, len, isGso(mem, at), v);
    countVerdict(c, v, from, len);
  }
  return copies;
}

async function main(): Promise<void> {
  const t = buildTable();
  const v = new Verdict();
  const c = makeCounters(t.maxChildren + 1);
  const tasks: Array<[string, Workload]> = [
    ['mixed', buildWorkload(16)],
    ['parent unicast', buildWorkload(4, 'p-uni')],
    ['parent broadcast (~55 copies)', buildWorkload(4, 'p-bcast')],
    ['parent multicast', buildWorkload(4, 'p-mcast')],
    ['child to wire', buildWorkload(4, 'c-wire')],
    ['bridge-local unicast', buildWorkload(4, 'c-local')],
  ];
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  let sink = 0;
  for (const [name, w] of tasks) {
    let b = 0;
    bench.add(name, () => {
      sink += runBatch(t, w, b, v, c);
      b = b + 1 === w.batches ? 0 : b + 1;
    });
  }
  await bench.run();
  // Wall-clock latency (tinybench) is inflated when the machine is shared; CPU time of a plain loop is less so.
  const cpuNs = new Map<string, number>();
  for (const [name, w] of tasks) {
    const batches = 4000;
    const before = process.cpuUsage();
    for (let k = 0; k < batches; k++) sink += runBatch(t, w, k % w.batches, v, c);
    const used = process.cpuUsage(before);
    cpuNs.set(name, ((used.user + used.system) * 1e3) / (batches * BATCH));
  }
  console.log(`core: decide + countVerdict, batches of ${BATCH} frames, ${CHILDREN} children (node ${process.version}, load ${loadavg()[0].toFixed(1)})`);
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') { console.log(`${task.name}: ${r.state}`); continue; }
    const ns = (r.latency.mean * 1e6) / BATCH;
    const mfps = 1e3 / ns;
    console.log(`${task.name.padEnd(32)} ${ns.toFixed(1).padStart(8)} ns/frame wall ±${r.latency.rme.toFixed(1).padStart(4)}%  ${mfps.toFixed(2).padStart(6)} Mframes/s   ${(cpuNs.get(task.name) ?? 0).toFixed(1).padStart(7)} ns/frame CPU`);
  }
  console.log(`(egress copies checksum ${sink}; parent rx_dropped ${c[Col.RX_DROPPED]})`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
}
