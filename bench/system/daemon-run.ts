// The daemon rows in order, on labs of their own (daemon-lab.ts) in a sandbox the caller owns and removes: run by
// `npm run bench:daemon` (daemon-main.ts) and, once per run, by `npm run bench` (main.ts).
import { loadavg } from 'node:os';
import type { Sandbox } from '../../support/sandbox.js';
import { IMPL_NAME, makeDaemonLab, type DaemonLab, type Impl } from './daemon-lab.js';
import {
  eventLatency, floodingChild, groupFlood, idleMainThread, joinLatency, restartGap, storm, type Counts, type Values,
} from './daemon-rows.js';
import type { Measured } from './daemon-report.js';

export const DAEMON_ROWS = ['join-latency', 'event-latency', 'flooding-child', 'restart', 'group-flood', 'idle-cpu', 'storm'] as const;
export type RowId = typeof DAEMON_ROWS[number];

export const DEFAULT_COUNTS: Counts = { groups: 40_000, latencySamples: 100, pings: 1000, tcpSeconds: 3, floodSeconds: 5 };

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Measures `rows` into `measured` (pushed as they come, so an interrupted run keeps what it has). */
export async function runDaemonRows(sb: Sandbox, rows: ReadonlySet<RowId>, counts: Counts, measured: Measured[]): Promise<void> {
  const labs: DaemonLab[] = [];
  const record = async (row: RowId, impl: Impl, f: () => Promise<Values>): Promise<void> => {
    if (!rows.has(row)) return;
    console.error(`${row}, ${IMPL_NAME[impl]} (load ${load()})`);
    try {
      measured.push({ row, impl, values: await f() });
    } catch (e) {
      measured.push({ row, impl, values: {}, error: (e as Error).message.slice(0, 300) });
    }
  };
  try {
    const small = rows.has('join-latency') || rows.has('event-latency') || rows.has('flooding-child') || rows.has('restart') || rows.has('group-flood');
    for (const impl of ['k', 'u'] as const) {
      if (!small) break;
      const lab = await makeDaemonLab(sb, impl, `${impl}s`, 2);
      labs.push(lab);
      await record('join-latency', impl, () => joinLatency(sb, lab, counts));
      await record('event-latency', impl, () => eventLatency(sb, lab, counts));
      await record('flooding-child', impl, () => floodingChild(sb, lab, counts));
      if (impl === 'u') await record('restart', impl, () => restartGap(sb, lab));
      // last on this lab: it leaves kid 2 all-multicast
      await record('group-flood', impl, () => groupFlood(sb, lab, counts));
      await lab.close();
    }
    for (const impl of ['k', 'u'] as const) {
      if (!rows.has('storm') && !(rows.has('idle-cpu') && impl === 'u')) continue;
      const lab = await makeDaemonLab(sb, impl, `${impl}b`, 64);
      labs.push(lab);
      if (impl === 'u') await record('idle-cpu', impl, () => idleMainThread(lab));
      await record('storm', impl, () => storm(sb, lab, counts));
      await lab.close();
    }
  } finally {
    for (const l of labs) await l.close();
  }
}
