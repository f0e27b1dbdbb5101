// The daemon rows: what happens to forwarding when a child or the outside misbehaves, how fast a change inside a
// child takes effect, what the daemon costs idle, and the gap of a restart. Each returns its measured values per
// implementation; daemon-main.ts judges them against the targets.
import type { ChildProcess } from 'node:child_process';
import type { Sandbox } from '../../support/sandbox.js';
import { sleep } from '../../support/time.js';
import type { DaemonLab } from './daemon-lab.js';
import {
  cpuShare, echoServer, rssMb, startProbe, startRtt, streamReceiver, tcpRate, STREAM_PORT,
} from './daemon-probes.js';

/** Ends an echo server this row started (by its own handle), so the next row can bind the port. */
async function stopServer(sb: Sandbox, srv: ChildProcess): Promise<void> {
  srv.kill('SIGTERM');
  await sb.wait(srv, 3000);
}

export type Values = Record<string, number | string>;

export interface Counts {
  readonly groups: number;
  readonly latencySamples: number;
  readonly pings: number;
  readonly tcpSeconds: number;
  readonly floodSeconds: number;
}

interface Latency { samples: number; timeouts: number; skipped: number; median_us: number | null; p90_us: number | null;
  max_us: number | null; steady_median_us: number | null }

function latencyValues(j: Latency): Values {
  return { medianUs: j.median_us ?? 'none', p90Us: j.p90_us ?? 'none', maxUs: j.max_us ?? 'none',
    steadyMedianUs: j.steady_median_us ?? 'none', samples: j.samples, timeouts: j.timeouts, skippedGroups: j.skipped };
}

/** `ip maddr add` in kid 1 → first frame to the group from the outside delivered to it. */
export async function joinLatency(sb: Sandbox, lab: DaemonLab, c: Counts): Promise<Values> {
  const k = lab.kids[0];
  const p = startProbe<Latency>(sb, k.ns, ['latency', 'join', k.name, lab.ext, lab.extIf, '-', String(c.latencySamples)], 180_000);
  return latencyValues(await p.done);
}

/** Kid 1 set up from inside → first unicast from the outside delivered to it. */
export async function eventLatency(sb: Sandbox, lab: DaemonLab, c: Counts): Promise<Values> {
  const k = lab.kids[0];
  const p = startProbe<Latency>(sb, k.ns, ['latency', 'up', k.name, lab.ext, lab.extIf, k.mac, String(c.latencySamples)], 180_000);
  const v = latencyValues(await p.done);
  // The probe leaves the child up; its address route comes back with it, but give ARP a moment for later rows.
  await sleep(100);
  return v;
}

/** Kid 2 floods broadcasts; kid 1's RTT to the outside, without and with the flood. */
export async function floodingChild(sb: Sandbox, lab: DaemonLab, c: Counts): Promise<Values> {
  const [q, f] = lab.kids;
  const srv = await echoServer(sb, lab.ext, c.floodSeconds * 3 + 30);
  await startRtt(sb, q.ns, lab.extIp, 20, 5);
  const quiet = await startRtt(sb, q.ns, lab.extIp, c.pings, c.floodSeconds);
  const flood = startProbe<{ sent: number }>(sb, f.ns, ['flood', f.name, f.mac, String(c.floodSeconds + 1), '20000000'], (c.floodSeconds + 30) * 1000);
  await sleep(500);
  const loud = await startRtt(sb, q.ns, lab.extIp, c.pings, c.floodSeconds);
  const sent = (await flood.done).sent;
  await stopServer(sb, srv);
  return { quietP99Us: quiet.p99Us, floodP99Us: loud.p99Us, ratio: loud.p99Us / quiet.p99Us, floodP50Us: loud.p50Us,
    floodLost: loud.lost, floodFramesSent: sent };
}

/** SIGTERM and the same command again under a paced UDP stream kid 1 → kid 2: frames lost, longest silence. */
export async function restartGap(sb: Sandbox, lab: DaemonLab): Promise<Values> {
  const [a, b] = lab.kids;
  const RATE = 1000, SECONDS = 4;
  const rx = await streamReceiver(sb, b.ns, b.ip, SECONDS + 3);
  const tx = startProbe<{ sent: number; errors: number }>(sb, a.ns, ['stream', 'send', b.ip, String(STREAM_PORT), String(RATE), String(RATE * SECONDS)], (SECONDS + 20) * 1000);
  await sleep(1000);
  const t0 = performance.now();
  await lab.restart();
  const readyMs = performance.now() - t0;
  const sent = (await tx.done).sent;
  const r = await rx.done;
  return { sent, lost: sent - r.received, rate: RATE, longestGapMs: r.longest_gap_ms, termToReadyMs: Math.round(readyMs) };
}

/** Kid 2 joins `groups` groups while kid 1 pings the outside; the daemon's memory and its CPU once settled. */
export async function groupFlood(sb: Sandbox, lab: DaemonLab, c: Counts): Promise<Values> {
  const [a, j] = lab.kids;
  const srv = await echoServer(sb, lab.ext, 240);
  await startRtt(sb, a.ns, lab.extIp, 20, 5);
  const pid = lab.daemon?.proc.pid;
  let rssPeak = 0;
  const sampler = pid === undefined ? undefined : setInterval(() => { rssPeak = Math.max(rssPeak, rssMb(pid)); }, 100);
  const t0 = performance.now();
  const join = startProbe<{ joined: number; seconds: number }>(sb, j.ns, ['join', j.name, String(c.groups)], 180_000);
  let ended = false;
  join.done.then(() => { ended = true; }, () => { ended = true; });  // a failed join is reported below, where it is awaited
  // Round trips in slices while the joins go on (and one slice after): the worst slice's p99 is the row's.
  let worstP99 = 0, lost = 0, slices = 0;
  do {
    const r = await startRtt(sb, a.ns, lab.extIp, 500, 5);
    worstP99 = Math.max(worstP99, r.p99Us);
    lost += r.lost;
    slices++;
  } while (!ended && performance.now() - t0 < 170_000);
  const joined = await join.done;
  const v: Values = { groups: joined.joined, joinSeconds: joined.seconds, siblingP99Ms: worstP99 / 1000, siblingLost: lost, rttSlices: slices };
  if (pid !== undefined) {
    await sleep(2000);
    v.cpuSettledPct = (await cpuShare(pid, 3000)) * 100;
    clearInterval(sampler);
    v.rssPeakMb = Math.max(rssPeak, rssMb(pid));
    v.show = lab.cli(['show', j.name]).split('\n').find((l) => l.includes('groups'))?.trim() ?? '';
  }
  await stopServer(sb, srv);
  return v;
}

/** 64 kids in 64 namespaces, idle: the daemon's main thread (its control and netlink side) over a window. */
export async function idleMainThread(lab: DaemonLab): Promise<Values> {
  const pid = lab.daemon?.proc.pid;
  if (pid === undefined) throw new Error('no daemon process');
  await sleep(2000);
  return { children: lab.kids.length, mainThreadPct: (await cpuShare(pid, 10_000, pid)) * 100, processPct: (await cpuShare(pid, 3000)) * 100 };
}

/** A broadcast storm from the outside onto every kid; TCP kid 1 → kid 2 without and with it. */
export async function storm(sb: Sandbox, lab: DaemonLab, c: Counts): Promise<Values> {
  const [a, b] = lab.kids;
  const quiet = await tcpRate(sb, a.ns, b.ns, b.ip, c.tcpSeconds);
  const flood = startProbe<{ sent: number }>(sb, lab.ext, ['flood', lab.extIf, '02:ee:7f:00:00:02', String(c.tcpSeconds + 3), '50000000'], (c.tcpSeconds + 40) * 1000);
  await sleep(500);
  const loud = await tcpRate(sb, a.ns, b.ns, b.ip, c.tcpSeconds);
  const sent = (await flood.done).sent;
  return { children: lab.kids.length, quietGbps: quiet / 1e9, stormGbps: loud / 1e9, ratio: loud / quiet, stormFramesSent: sent };
}
