// Waiting, the one way: sleep (async), sleepSync (blocks the thread: for synchronous retry loops), until (polls).

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Polls `probe` until it returns true or timeoutMs passes; returns the last answer. */
export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}
