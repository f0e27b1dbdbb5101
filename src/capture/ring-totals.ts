// src/capture/ring-totals.ts — the consumer's totals of the ring's per-port counters. The producer's counters are
// Uint32 words in the shared buffer; these are doubles kept by the consumer alone, grown by the (mod 2^32)
// difference since the last fold, so a port may pass 2^32 frames as long as it is folded at least that often.

export interface RingCounts { seen: number; accepted: number; dropped: number }

export class RingTotals {
  private readonly last: Uint32Array;
  private readonly totals: Float64Array;

  constructor(private readonly maxPorts: number) {
    this.last = new Uint32Array(3 * maxPorts);
    this.totals = new Float64Array(3 * maxPorts);
  }

  /** Folds the producer's three counter arrays (seen, accepted, dropped; maxPorts each) into the totals. */
  fold(seen: Uint32Array, accepted: Uint32Array, dropped: Uint32Array): void {
    const m = this.maxPorts;
    for (let p = 0; p < m; p++) {
      this.add(p, Atomics.load(seen, p));
      this.add(m + p, Atomics.load(accepted, p));
      this.add(2 * m + p, Atomics.load(dropped, p));
    }
  }

  private add(i: number, now: number): void {
    this.totals[i] += (now - this.last[i]) >>> 0;
    this.last[i] = now;
  }

  of(port: number): RingCounts {
    const m = this.maxPorts;
    return { seen: this.totals[port], accepted: this.totals[m + port], dropped: this.totals[2 * m + port] };
  }
}
