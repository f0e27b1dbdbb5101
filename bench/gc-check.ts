// What the allocation checks of the hot path (core-gc.ts, nat-gc.ts) share: an engine whose sends all succeed, so
// that what is measured is the work around the I/O, and the count of GC events inside each measured loop. Both run
// under --trace-gc, whose "Scavenge"/"Mark-Compact" lines show the same thing to a reader; the count here lets a
// script check it (the process exits 1 when a loop saw a collection).

import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { EngineApi, EngineStats, RxBatch, TxList } from '../src/io/contract.js';

/** An engine that only says every frame was sent */
export class SinkEngine implements EngineApi {
  readonly parentIfindex = 1;
  constructor(readonly regions: readonly Uint8Array[]) {}
  poll(_rx: RxBatch, _timeoutMs: number): number { return 0; }
  send(tx: TxList): number {
    for (let j = 0; j < tx.count; j++) tx.result[j] = tx.len[j];
    return tx.count;
  }
  attachTap(): void {}
  detachTap(): void {}
  membership(): void {}
  stats(): EngineStats { return { ringDrops: 0, rxErrors: 0, rxTruncated: 0, poolEmpty: 0, skipped: 0, ringTruncated: 0, ringTooBig: 0 }; }
  portError(): number { return 0; }
  portStats(): boolean { return false; }
  close(): void {}
}

/**
 * GC events seen while each measured loop ran. Start it after the warm-up (compilation itself may allocate); each
 * `measure` prints `=== NAME: LABEL start (HOW) ===` and `=== NAME: LABEL end ===` around its loop.
 */
export class GcWatch {
  private readonly starts: number[] = [];
  private readonly obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) this.starts.push(e.startTime); });
  private readonly windows: Array<{ label: string; from: number; to: number }> = [];

  constructor(private readonly name: string) {
    this.obs.observe({ entryTypes: ['gc'] });
  }

  /** Runs `loop` between the markers; returns its wall time in ms. `end` adds to the end marker. */
  measure(label: string, how: string, loop: () => void, end = (): string => ''): number {
    console.log(`=== ${this.name}: ${label} start (${how}) ===`);
    const from = performance.now();
    loop();
    const to = performance.now();
    console.log(`=== ${this.name}: ${label} end${end()} ===`);
    this.windows.push({ label, from, to });
    return to - from;
  }

  /** Once the loops are done: `GC events during the LABEL: N` for each; exit status 1 if any saw one. */
  report(): void {
    // GC entries are delivered asynchronously: look once the loops' events have been queued.
    setTimeout(() => {
      this.obs.disconnect();
      let any = 0;
      for (const w of this.windows) {
        const n = this.starts.filter((x) => x >= w.from && x <= w.to).length;
        console.log(`GC events during the ${w.label}: ${n}`);
        any += n;
      }
      if (any > 0) process.exitCode = 1;
    }, 50);
  }
}
