import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEV_MCAST_CAPPED_MS, DEV_MCAST_MAX_MS, DEV_MCAST_MS, PACE_ROUNDS, REREAD_SHARE, cappedGap, rereadPeriod,
} from '../../../src/control/reread-pace.js';

describe('dev_mcast re-read pace (deviation: the join bound grows when a round of reads is costly)', () => {
  it('50 ms while rounds are cheap, and before any is measured', () => {
    expect(rereadPeriod([])).toBe(DEV_MCAST_MS);
    expect(rereadPeriod(new Float64Array(PACE_ROUNDS))).toBe(DEV_MCAST_MS);
    expect(rereadPeriod([0.1, 0.2, 0.5, 0.3])).toBe(DEV_MCAST_MS);
  });

  it('a round that costs c ms every time is followed c / 2 % later: 5 ms (4,096 TAPs in one namespace) → 250 ms', () => {
    expect(REREAD_SHARE).toBe(0.02);
    expect(rereadPeriod(Array(PACE_ROUNDS).fill(5))).toBe(250);
    expect(rereadPeriod(Array(PACE_ROUNDS).fill(1.25))).toBe(63);
    expect(rereadPeriod(Array(PACE_ROUNDS).fill(0.9))).toBe(DEV_MCAST_MS);
  });

  it('one slow round among cheap ones (preempted) does not slow the pace: the cheapest counts', () => {
    expect(rereadPeriod([0.2, 40, 0.2, 0.3, 0.2, 0.2, 0.2, 0.2])).toBe(DEV_MCAST_MS);
    expect(rereadPeriod([3, 40, 3, 3, 3, 3, 3, 3])).toBe(150);
  });

  it('never above a second, however costly', () => {
    expect(rereadPeriod(Array(PACE_ROUNDS).fill(80))).toBe(DEV_MCAST_MAX_MS);
    expect(rereadPeriod(Array(PACE_ROUNDS).fill(20))).toBe(DEV_MCAST_MAX_MS);
    expect(DEV_MCAST_MAX_MS).toBe(1000);
  });

  it('a cost that is not a finite non-negative number counts as cheap', () => {
    for (const bad of [NaN, -1, Infinity, -Infinity]) expect(rereadPeriod([5, bad, 5])).toBe(DEV_MCAST_MS);
  });

  it('always within [50, 1000] ms, and never faster for costlier rounds', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: PACE_ROUNDS }),
      fc.double({ min: 0, max: 100, noNaN: true }), (costs, more) => {
        const p = rereadPeriod(costs);
        expect(p).toBeGreaterThanOrEqual(DEV_MCAST_MS);
        expect(p).toBeLessThanOrEqual(DEV_MCAST_MAX_MS);
        expect(rereadPeriod(costs.map((c) => c + more))).toBeGreaterThanOrEqual(p);
      }));
  });

  it('a capped namespace: 500 ms, or the period when that is longer', () => {
    expect(cappedGap(DEV_MCAST_MS)).toBe(DEV_MCAST_CAPPED_MS);
    expect(cappedGap(800)).toBe(800);
  });
});
