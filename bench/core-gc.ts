// The allocation check for the hot path: decide() + countVerdict() over the core bench's batches in a plain,
// preallocated loop (no harness); then the datapath's batch (forwardBatch: the GSO header check, the flood queue
// filling, overflowing and draining, the transmit list) over an engine that only says every frame was sent; then TCP
// segments from the parent to a child through forwardBatch with userspace GRO (the rule, the merged headers and
// their checksums, the gather list, the results spread back: datapath/gro.ts). Run with
// --trace-gc (npm run bench:core-gc, after npx tsc -p .): no "Scavenge" or "Mark-Compact" line may appear between the
// two markers. A GC there means something on the path allocates.

import { makeCounters } from '../src/core/counters.js';
import { PortTable } from '../src/core/port-table.js';
import { Verdict } from '../src/core/verdict.js';
import { BATCH, buildTable, buildWorkload, runBatch } from './core.bench.js';
import { forwardBatch, type BatchState } from '../src/datapath/forward.js';
import { FloodQueue } from '../src/datapath/flood-queue.js';
import { Rx, Tx } from '../src/datapath/tx-list.js';
import { GcWatch, SinkEngine } from './gc-check.js';
import { GRO_MAX_RUNS, GRO_SCRATCH_BYTES, GroStage } from '../src/datapath/gro.js';
import { Mode } from '../src/core/constants.js';
import { groLoad } from './gro-load.js';

const FRAMES = Number(process.env.UMV_GC_FRAMES ?? 20_000_000);
const WARMUP_FRAMES = 2_000_000;

function loop(t: PortTable, w: ReturnType<typeof buildWorkload>, v: Verdict, c: Float64Array, frames: number): number {
  const batches = Math.ceil(frames / BATCH);
  let copies = 0;
  let b = 0;
  for (let k = 0; k < batches; k++) {
    copies += runBatch(t, w, b, v, c);
    b = b + 1 === w.batches ? 0 : b + 1;
  }
  return copies;
}

const t = buildTable();
// A VLAN upper's tag that the workload's frames do not carry: every frame from the wire goes through the tag lookup.
t.setVlanClaimed(0x8100, 4000, true);
const w = buildWorkload(16);
const v = new Verdict();
const c = makeCounters(t.maxChildren + 1);

const eng = new SinkEngine([w.mem, w.mem, new Uint8Array(8 << 20)]);
const fv = new Verdict();
fv.defer = true;
const s: BatchState = {
  table: t, verdict: fv, tx: new Tx(65536), counters: c, regions: eng.regions, capture: null,
  flood: new FloodQueue(eng.regions[2], 2),
};
const rx = new Rx(BATCH);
function datapathLoop(frames: number): number {
  const batches = Math.ceil(frames / BATCH);
  let b = 0;
  for (let k = 0; k < batches; k++) {
    const base = b * BATCH;
    for (let i = 0; i < BATCH; i++) {
      rx.port[i] = w.port[base + i]; rx.region[i] = 0; rx.at[i] = w.at[base + i]; rx.len[i] = w.len[base + i];
    }
    rx.count = BATCH;
    forwardBatch(s, rx, eng, 0);
    b = b + 1 === w.batches ? 0 : b + 1;
  }
  return batches * BATCH;
}

// GRO: one child (VEPA), TCP segments from the parent, BATCH per poll: 45 per merged frame, then the rest
const gt = new PortTable(4);
gt.setParent({ mac: 0x02_42_c6_12_00_f0, mtu: 1500, up: true, carrier: true, promisc: true });
gt.addChild(1, { mac: 0x02_42_c6_12_00_02, mode: Mode.VEPA, flags: 0, mtu: 1500 });
gt.setUp(1, true);
const gl = groLoad(BATCH, 0x02_42_c6_12_00_fe, 0x02_42_c6_12_00_02);
const geng = new SinkEngine([gl.mem, gl.mem, new Uint8Array(GRO_SCRATCH_BYTES)]);
const gs: BatchState = {
  table: gt, verdict: new Verdict(16), tx: new Tx(65536, 65536 + GRO_MAX_RUNS), counters: makeCounters(5),
  regions: geng.regions, capture: null, gro: new GroStage(5, 65536, geng.regions[2], 2, 0),
};
const grx = new Rx(BATCH);
function groLoop(frames: number): number {
  const batches = Math.ceil(frames / BATCH);
  for (let k = 0; k < batches; k++) {
    for (let i = 0; i < BATCH; i++) { grx.port[i] = 0; grx.region[i] = 0; grx.at[i] = gl.at[i]; grx.len[i] = gl.len[i]; }
    grx.count = BATCH;
    forwardBatch(gs, grx, geng, 0);
  }
  return batches * BATCH;
}

// Warm-up: let the JIT optimise everything before the measured loop (compilation itself may allocate).
loop(t, w, v, c, WARMUP_FRAMES);
datapathLoop(WARMUP_FRAMES / 4);
groLoop(WARMUP_FRAMES / 8);

const gc = new GcWatch('core-gc');
const frames = Math.ceil(FRAMES / BATCH) * BATCH;
const cpu0 = process.cpuUsage();
let copies = 0;
const ms = gc.measure('loop', `${frames} frames`, () => { copies = loop(t, w, v, c, frames); });
const cpu = process.cpuUsage(cpu0);
const secs = ms / 1000;
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(`${frames} decisions in ${secs.toFixed(3)} s: ${(frames / secs / 1e6).toFixed(2)} M frames/s, ${((secs * 1e9) / frames).toFixed(1)} ns/frame wall, ${((cpuS * 1e9) / frames).toFixed(1)} ns/frame CPU, ${(copies / frames).toFixed(2)} egress copies/frame`);
const dpFrames = Math.ceil(FRAMES / 4 / BATCH) * BATCH;
gc.measure('datapath loop', `${dpFrames} frames`, () => datapathLoop(dpFrames), () => ` (${s.flood!.count} frames left queued)`);
const groFrames = Math.ceil(FRAMES / 8 / BATCH) * BATCH;
const groMs = gc.measure('GRO loop', `${groFrames} TCP segments`, () => groLoop(groFrames),
  () => ` (${gs.gro!.merged} merged frames of ${gs.gro!.segments} segments so far)`);
console.log(`GRO: ${((groMs * 1e6) / groFrames).toFixed(1)} ns per segment (decide, count, merge, settle)`);
gc.report();
