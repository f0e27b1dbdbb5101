// The measuring tools of the daemon rows, each a bounded process in a sandbox namespace: the bench's UDP ping-pong
// (udp_pingpong.py), the daemon probes (daemon_probe.py), iperf3; and the daemon's CPU and memory read from /proc.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../../support/paths.js';
import type { Sandbox } from '../../support/sandbox.js';
import { sleep } from '../../support/time.js';

const PINGPONG = join(REPO_ROOT, 'bench', 'system', 'udp_pingpong.py');
const PROBE = join(REPO_ROOT, 'bench', 'system', 'daemon_probe.py');
const PING_PORT = 7071;
const IPERF_PORT = 5211;
export const STREAM_PORT = 7072;

/** The last JSON line a finished process printed (throws with its stderr when there is none). */
async function jsonOf<T>(sb: Sandbox, p: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  const r = await sb.wait(p, timeoutMs);
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`${what} exited ${r.code} without a result: ${r.stderr.trim().slice(-400)}`);
  return JSON.parse(line) as T;
}

async function listening(p: ChildProcess, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`${what}: not listening after 5 s`)), 5000);
    p.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('listening')) { clearTimeout(t); resolve(); } });
    p.once('exit', () => { clearTimeout(t); reject(new Error(`${what} exited before listening`)); });
  });
}

/** The echo server of the RTT measures, stopping by itself after `seconds`. */
export async function echoServer(sb: Sandbox, ns: string, seconds: number): Promise<ChildProcess> {
  const p = sb.spawn(ns, ['python3', PINGPONG, 'serve', '--bind', '0.0.0.0', '--port', String(PING_PORT), '--seconds', String(seconds)]);
  await listening(p, 'udp_pingpong serve');
  return p;
}

export interface Rtt { readonly p50Us: number; readonly p99Us: number; readonly received: number; readonly lost: number }

/** One datagram in flight, `count` round trips after 20 of warm-up, at most `seconds`. */
export function startRtt(sb: Sandbox, ns: string, to: string, count: number, seconds: number): Promise<Rtt> {
  const p = sb.spawn(ns, ['python3', PINGPONG, 'ping', '--to', to, '--port', String(PING_PORT), '--count', String(count),
    '--warmup', '20', '--seconds', String(seconds), '--timeout-ms', '1000']);
  return jsonOf<{ received: number; lost: number; p50_us: number | null; p99_us: number | null }>(sb, p, (seconds + 10) * 1000, 'ping')
    .then((j) => {
      if (j.p50_us === null || j.p99_us === null) throw new Error(`no echo from ${to} (${j.lost} lost)`);
      return { p50Us: j.p50_us, p99Us: j.p99_us, received: j.received, lost: j.lost };
    });
}

export function startProbe<T>(sb: Sandbox, ns: string, args: readonly string[], timeoutMs: number): { proc: ChildProcess; done: Promise<T> } {
  const proc = sb.spawn(ns, ['python3', PROBE, ...args]);
  const done = jsonOf<T>(sb, proc, timeoutMs, `daemon_probe ${args[0]}`);
  // A probe that fails while the row awaits something else must fail the row where it awaits `done`, not the process.
  done.catch(() => undefined);
  return { proc, done };
}

/** A listening stream receiver; `done` resolves with its counts when it ends (after `seconds`). */
export async function streamReceiver(sb: Sandbox, ns: string, addr: string, seconds: number):
  Promise<{ done: Promise<{ received: number; longest_gap_ms: number }> }> {
  const p = sb.spawn(ns, ['python3', PROBE, 'stream', 'recv', addr, String(STREAM_PORT), String(seconds)]);
  // wrapped: an async function returning the promise itself would wait for the receiver to end
  const done = jsonOf<{ received: number; longest_gap_ms: number }>(sb, p, (seconds + 10) * 1000, 'stream recv');
  done.catch(() => undefined);  // see startProbe
  await listening(p, 'stream recv');
  return { done };
}

/** TCP receiver's rate (bit/s) of one bounded iperf3 transfer. */
export async function tcpRate(sb: Sandbox, from: string, toNs: string, to: string, seconds: number): Promise<number> {
  const srv = sb.spawn(toNs, ['iperf3', '-s', '-1', '-B', to, '-p', String(IPERF_PORT)]);
  await sleep(400);
  const cli = sb.spawn(from, ['iperf3', '-c', to, '-p', String(IPERF_PORT), '-t', String(seconds), '-J', '--connect-timeout', '3000']);
  const r = await sb.wait(cli, (seconds + 20) * 1000);
  await sb.wait(srv, 5000);
  const j = JSON.parse(r.stdout) as { error?: string; end?: { sum_received?: { bits_per_second: number } } };
  if (j.error !== undefined || j.end?.sum_received === undefined) throw new Error(`iperf3: ${j.error ?? r.stderr}`);
  return j.end.sum_received.bits_per_second;
}

const TICK_HZ = 100; // USER_HZ: the unit of /proc/PID/stat's times on Linux

/** User + system CPU seconds of a process (all threads), or of one of its threads. A thread's is its schedstat
 *  run time, in nanoseconds: a thread that wakes briefly 20 times a second is charged ticks only by chance. */
export function cpuSeconds(pid: number, tid?: number): number {
  if (tid !== undefined) return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK_HZ;
}

/** Share of one core used over windowMs (0.05 = 5 %). */
export async function cpuShare(pid: number, windowMs: number, tid?: number): Promise<number> {
  const c0 = cpuSeconds(pid, tid);
  const t0 = performance.now();
  await sleep(windowMs);
  return (cpuSeconds(pid, tid) - c0) / ((performance.now() - t0) / 1000);
}

export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
