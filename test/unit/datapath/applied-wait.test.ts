// The main thread's wait for the worker to apply what was posted (datapath/applied-wait.ts): it ends when APPLIED
// reaches what was posted — stored from another thread, as the worker does — and when the worker is gone, which a
// child's TAP close after its detach waits on while the daemon stops.

import { describe, test, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { untilApplied, wakeApplied } from '../../../src/datapath/applied-wait.js';
import { CTL } from '../../../src/datapath/messages.js';

const block = (): Int32Array => new Int32Array(new SharedArrayBuffer(12));
/** whether p has settled after the event loop ran for `ms` */
async function settledWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; });
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

describe('untilApplied', () => {
  test('resolves at once when everything posted is applied', async () => {
    const ctl = block();
    Atomics.store(ctl, CTL.APPLIED, 5);
    expect(await settledWithin(untilApplied(ctl, 5, () => false), 0)).toBe(true);
    expect(await settledWithin(untilApplied(ctl, 3, () => false), 0)).toBe(true);
  });

  test('waits for APPLIED to reach what was posted, stored and notified by another thread', async () => {
    const ctl = block();
    const wait = untilApplied(ctl, 2, () => false);
    const w = new Worker(`
      const { workerData: ctl } = require('node:worker_threads');
      Atomics.store(ctl, ${CTL.APPLIED}, 1); Atomics.notify(ctl, ${CTL.APPLIED});
      setTimeout(() => { Atomics.store(ctl, ${CTL.APPLIED}, 2); Atomics.notify(ctl, ${CTL.APPLIED}); }, 30);`,
    { eval: true, workerData: ctl });
    try {
      expect(await settledWithin(wait, 10)).toBe(false);  // 1 of 2: still waiting
      expect(await settledWithin(wait, 200)).toBe(true);
    } finally { await w.terminate(); }
  });

  test('a worker that exited ends the wait though APPLIED never moves', async () => {
    const ctl = block();
    let gone = false;
    const wait = untilApplied(ctl, 7, () => gone);
    expect(await settledWithin(wait, 20)).toBe(false);
    gone = true;
    wakeApplied(ctl);
    expect(await settledWithin(wait, 20)).toBe(true);
  });

  test('a wake that changes nothing keeps waiting', async () => {
    const ctl = block();
    const wait = untilApplied(ctl, 1, () => false);
    wakeApplied(ctl);
    expect(await settledWithin(wait, 20)).toBe(false);
    Atomics.store(ctl, CTL.APPLIED, 1);
    wakeApplied(ctl);
    expect(await settledWithin(wait, 20)).toBe(true);
  });

  test('the counters wrap at 2^31 as Atomics.add leaves them', async () => {
    const ctl = block();
    Atomics.store(ctl, CTL.APPLIED, 0x7fffffff);
    const wrapped = (0x7fffffff + 1) | 0;  // the next POSTED after 2^31 - 1
    const wait = untilApplied(ctl, wrapped, () => false);
    expect(await settledWithin(wait, 10)).toBe(false);
    Atomics.store(ctl, CTL.APPLIED, wrapped);
    wakeApplied(ctl);
    expect(await settledWithin(wait, 20)).toBe(true);
  });
});
