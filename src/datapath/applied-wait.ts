// Waiting on the main thread for the worker to apply what was posted to it. The worker stores APPLIED and notifies
// it each time it moves (worker.ts markApplied), so the wait wakes when it does rather than on a timer. A worker
// that has exited will never move it again: its exit must end the wait too, or a caller (a child's TAP closing
// after its detach) would wait forever — and a timer-driven wait would also hold the process open at exit.

import { CTL } from './messages.js';

/** Resolves once ctl[APPLIED] ≥ want, or once `gone()` is true (checked at start and after every wake: whoever
 *  makes it true must `wakeApplied(ctl)`). */
export async function untilApplied(ctl: Int32Array, want: number, gone: () => boolean): Promise<void> {
  for (;;) {
    const applied = Atomics.load(ctl, CTL.APPLIED);
    if (((applied - want) | 0) >= 0 || gone()) return;  // an int32 difference: the counters wrap
    const w = Atomics.waitAsync(ctl, CTL.APPLIED, applied);
    if (w.async) await w.value;
  }
}

/** Wakes every untilApplied() on this block to look again (the worker is gone). */
export function wakeApplied(ctl: Int32Array): void {
  Atomics.notify(ctl, CTL.APPLIED);
}
