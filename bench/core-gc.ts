// The allocation check for the hot path: decide() + countVerdict() over the core bench's batches in a plain,
// preallocated loop (no harness). Run with --trace-gc (npm run bench:core-gc, after npx tsc -p .): no "Scavenge"
// or "Mark-Compact" line may appear between the two markers. A GC there means something on the path allocates.

import { PerformanceObserver, performance } from 'node:perf_hooks';
import { makeCounters } from '../src/core/counters.js';
import { PortTable } from '../src/core/port-table.js';
import { Verdict } from '../src/core/verdict.js';
import { BATCH, buildTable, buildWorkload, runBatch } from './core.bench.js';

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

// Warm-up: let the JIT optimise everything before the measured loop (compilation itself may allocate).
loop(t, w, v, c, WARMUP_FRAMES);

// Besides --trace-gc's lines, count GC events inside the loop's time window ourselves, so a script can check it.
const gcStarts: number[] = [];
const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcStarts.push(e.startTime); });
obs.observe({ entryTypes: ['gc'] });

const frames = Math.ceil(FRAMES / BATCH) * BATCH;
console.log(`=== core-gc: loop start (${frames} frames) ===`);
const cpu0 = process.cpuUsage();
const w0 = performance.now();
const t0 = process.hrtime.bigint();
const copies = loop(t, w, v, c, frames);
const t1 = process.hrtime.bigint();
const w1 = performance.now();
const cpu = process.cpuUsage(cpu0);
console.log('=== core-gc: loop end ===');
const s = Number(t1 - t0) / 1e9;
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(`${frames} decisions in ${s.toFixed(3)} s: ${(frames / s / 1e6).toFixed(2)} M frames/s, ${((s * 1e9) / frames).toFixed(1)} ns/frame wall, ${((cpuS * 1e9) / frames).toFixed(1)} ns/frame CPU, ${(copies / frames).toFixed(2)} egress copies/frame`);
// GC entries are delivered asynchronously: look once the loop's events have been queued.
setTimeout(() => {
  obs.disconnect();
  const inLoop = gcStarts.filter((x) => x >= w0 && x <= w1).length;
  console.log(`GC events during the loop: ${inLoop}`);
  if (inLoop > 0) process.exitCode = 1;
}, 50);
