// How often the namespaces' /proc/net/dev_mcast files are re-read (ns-watch.ts). A link-layer join is announced by
// nothing, so the files are polled; the kernel writes each file anew on every read, one line per interface and
// address of the namespace, so a round costs in proportion to the interfaces: ~0.1 ms for a few TAPs, ~5 ms for
// 4,096 in one namespace (bench/results/profile.md). A fixed 50 ms period made that 10 % of a core at 4,096, taken
// from the forwarding. So the period is 50 ms while a round is cheap and stretches to keep the re-reads at about
// REREAD_SHARE of a core (2 %: a round stays at 50 ms up to ~1 ms, e.g. 64 namespaces of one TAP), up to
// DEV_MCAST_MAX_MS: join latency grows only where the kernel would make us pay for it.
// Pure: the schedule measures, this decides.

/** The period while a round of re-reads is cheap (the join latency a user sees with a usual number of TAPs) */
export const DEV_MCAST_MS = 50;
/** While a TAP of the namespace is over its group cap: its namespace at most this often */
export const DEV_MCAST_CAPPED_MS = 500;
/** The longest period, however costly a round: a join still takes effect within a second */
export const DEV_MCAST_MAX_MS = 1000;
/** The share of one core the re-reads may take: a round that costs c ms is followed by the next c / share ms later */
export const REREAD_SHARE = 0.02;
/** How many recent rounds the cost is taken from */
export const PACE_ROUNDS = 8;

/**
 * The period before the next round, from the wall-clock costs (ms) of the last PACE_ROUNDS rounds (0: not yet
 * measured). The cheapest of them is the cost: a round the scheduler preempted took longer than its work, and one
 * slow sample must not slow the pace; a round that is costly every time is. Never below DEV_MCAST_MS, never above
 * DEV_MCAST_MAX_MS; a cost that is not a finite positive number counts as cheap.
 */
export function rereadPeriod(costs: ArrayLike<number>): number {
  let cheapest = Infinity;
  for (let i = 0; i < costs.length; i++) {
    const c = costs[i];
    if (!(c >= 0) || !Number.isFinite(c)) return DEV_MCAST_MS;
    if (c < cheapest) cheapest = c;
  }
  if (!Number.isFinite(cheapest)) return DEV_MCAST_MS;
  const p = cheapest / REREAD_SHARE;
  return p <= DEV_MCAST_MS ? DEV_MCAST_MS : p >= DEV_MCAST_MAX_MS ? DEV_MCAST_MAX_MS : Math.round(p);
}

/** The capped namespaces' gap at a period: the slower of the two */
export const cappedGap = (period: number): number => (period > DEV_MCAST_CAPPED_MS ? period : DEV_MCAST_CAPPED_MS);
