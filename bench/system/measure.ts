// The four measures, each bounded in time and count: TCP throughput (iperf3), 64-byte UDP frames per second
// delivered at the receiver (trafgen as the generator), UDP round trips (our own ping-pong), and around each load
// the forwarder's CPU time (/proc/PID/stat) and its GC events (--trace-gc lines written during the window).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Deployment, Endpoint, Forwarder } from './alternatives.js';
import type { BenchSandbox, NsKey } from './sandbox.js';
import type { Proc, Shell } from './sh.js';
import { sleep } from '../../support/time.js';

export interface Ctx {
  readonly sh: Shell;
  readonly sb: BenchSandbox;
  readonly root: string;
  readonly clockTicks: number;
  /** The Python interpreter itself, not a version manager's shim (pyenv's adds a second or more per start). */
  readonly python: string;
}

const IPERF_PORT = 5201;
const PING_PORT = 7001;
const SINK_PORT = 9;

export interface RttResult { readonly p50Us: number; readonly p99Us: number; readonly lost: number; readonly received: number }
export interface LoadUsage {
  /** CPU seconds of all forwarder processes together during the window. */
  readonly cpuSeconds: number | undefined;
  /**
   * --trace-gc events during the window in the isolates other than the main thread's: the data-path worker
   * (undefined: not a Node forwarder). The main thread's isolate is the first in the log: it loads the modules
   * and collects garbage before any worker exists.
   */
  readonly gcEvents: number | undefined;
  /** The same in the main (control) thread's isolate. */
  readonly gcMain: number | undefined;
  readonly gcByIsolate: Readonly<Record<string, number>>;
}
export interface TcpResult { readonly bitsPerSecond: number; readonly retransmits: number; readonly usage: LoadUsage }
export interface FramesResult {
  /** UDP datagrams that reached the receiver's UDP layer, per second: the headline. */
  readonly delivered: number;
  /** The receiving interface's rx_packets per second (before IP and UDP). */
  readonly receivedOnDevice: number;
  /** What the sender's interface took in, per second (tx_packets + tx_dropped). */
  readonly offered: number;
  readonly seconds: number;
  readonly usage: LoadUsage;
  readonly cpuSecondsPerMillion: number | undefined;
}

function inNs(sb: BenchSandbox, key: NsKey, ...argv: string[]): string[] {
  return ['ip', 'netns', 'exec', sb.ns(key), ...argv];
}

/** Snapshots the forwarders' CPU time and GC log at both ends of a load window. */
class UsageMeter {
  private cpu0 = 0;
  private gc0: Map<string, number> = new Map();

  constructor(private readonly ctx: Ctx, private readonly forwarders: readonly Forwarder[]) {}

  private cpuTicks(): number {
    let sum = 0;
    for (const f of this.forwarders) sum += procTicks(f.proc.pid);
    return sum;
  }

  private mainIsolate: string | undefined;

  private gcCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const f of this.forwarders) {
      if (!f.gcLog) continue;
      for (const m of readFileSync(f.gcLog, 'utf8').matchAll(GC_LINE)) {
        this.mainIsolate ??= m[1];
        counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
      }
    }
    return counts;
  }

  begin(): void {
    this.cpu0 = this.cpuTicks();
    this.gc0 = this.gcCounts();
  }

  end(): LoadUsage {
    const cpu = this.forwarders.length > 0 ? (this.cpuTicks() - this.cpu0) / this.ctx.clockTicks : undefined;
    const hasGc = this.forwarders.some((f) => f.gcLog);
    const gc1 = this.gcCounts();
    const gcByIsolate: Record<string, number> = {};
    let gcEvents = 0;
    let gcMain = 0;
    for (const [isolate, n] of gc1) {
      const d = n - (this.gc0.get(isolate) ?? 0);
      if (d > 0) gcByIsolate[isolate === this.mainIsolate ? `${isolate} (main)` : isolate] = d;
      if (isolate === this.mainIsolate) gcMain += d;
      else gcEvents += d;
    }
    return { cpuSeconds: cpu, gcEvents: hasGc ? gcEvents : undefined, gcMain: hasGc ? gcMain : undefined, gcByIsolate };
  }
}

// V8's --trace-gc line: "[PID:ISOLATE] 1234 ms: Scavenge ..." (newer V8 adds ":CONTEXT" after the isolate).
const GC_LINE = /^\[\d+:(0x[0-9a-f]+)(?::\d+)?\]\s+[\d.]+ ms: (?:Scavenge|Minor Mark|Mark)/gm;

/** CPU ticks (user + system) of a process (all its threads) or of one of its threads. */
export function procTicks(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15 of proc(5))
  } catch {
    return 0;
  }
}

/** Nanoseconds on a CPU (/proc/.../schedstat: exact, where stat's ticks charge a thread that wakes briefly only by
 *  chance) of every thread of a process, or of one of them. */
export function runNs(pid: number, tid?: number): number {
  let sum = 0;
  let tids: string[];
  try {
    tids = tid === undefined ? readdirSync(`/proc/${pid}/task`) : [String(tid)];
  } catch {
    return 0;
  }
  for (const t of tids) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch { /* a thread that ended meanwhile */ }
  }
  return sum;
}

/** Share of one core (0.01 = 1 %) a process, or one of its threads, used over `seconds` of doing nothing asked. A
 *  thread that ends inside the window takes its time with it: idle daemons start none. */
export async function idleCpu(pid: number, seconds: number, tid?: number): Promise<number> {
  const t0 = performance.now();
  const c0 = runNs(pid, tid);
  await sleep(seconds * 1000);
  return (runNs(pid, tid) - c0) / 1e9 / ((performance.now() - t0) / 1000);
}

export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Whether something listens on the port inside the namespace (read from /proc, no spawn). */
async function waitListening(ctx: Ctx, key: NsKey, proto: 'tcp' | 'udp', port: number, proc: Proc): Promise<void> {
  const until = Date.now() + 5000;
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const re = proto === 'tcp' ? new RegExp(`:${hex} 00000000:0000 0A `) : new RegExp(`:${hex} 00000000:0000 07 `);
  while (!re.test(ctx.sb.procNetText(key, proto))) {
    if (proc.exitCode !== undefined) throw new Error(`${proc.argv[4]} server exited ${proc.exitCode}: ${readTail(proc.stderrFile)}`);
    if (Date.now() > until) throw new Error(`${proc.argv[4]} server not listening after 5 s`);
    await sleep(10);
  }
}

/**
 * The echo servers of the round-trip measure, one in b and one in o for the whole run (bound to 0.0.0.0, so they
 * serve every alternative's addresses): the measure then pays only the pinger's start-up.
 */
export async function startEchoServers(ctx: Ctx, seconds: number): Promise<void> {
  for (const key of ['b', 'o'] as const) {
    const server = ctx.sh.start(inNs(ctx.sb, key, ctx.python, `${ctx.root}/bench/system/udp_pingpong.py`, 'serve',
      '--bind', '0.0.0.0', '--port', String(PING_PORT), '--seconds', String(seconds)),
    `${ctx.sb.scratch}/pong-${key}.out`, `${ctx.sb.scratch}/pong-${key}.err`);
    await waitListening(ctx, key, 'udp', PING_PORT, server);
  }
}

/** Round trips of one datagram in flight: back to back (gapMs 0), or one every gapMs (sparse, as interactive traffic
 *  comes: each then pays the forwarder's wake-up). */
export async function rtt(ctx: Ctx, from: Endpoint, to: Endpoint, count: number, seconds: number, gapMs = 0): Promise<RttResult> {
  const script = `${ctx.root}/bench/system/udp_pingpong.py`;
  const warmup = gapMs > 0 ? Math.min(20, count) : Math.min(100, count);
  const r = await ctx.sh.runAsync(inNs(ctx.sb, from.ns, ctx.python, script, 'ping', '--to', to.ip, '--port', String(PING_PORT),
    '--count', String(count), '--warmup', String(warmup), '--seconds', String(seconds), '--gap-ms', String(gapMs)),
  { timeoutMs: (seconds + 10) * 1000 });
  const j = JSON.parse(r.stdout) as { received: number; lost: number; p50_us: number | null; p99_us: number | null };
  if (j.received === 0 || j.p50_us === null || j.p99_us === null) throw new Error(`no echo from ${to.ip} (${j.lost} lost)`);
  return { p50Us: j.p50_us, p99Us: j.p99_us, lost: j.lost, received: j.received };
}

/** A few round trips to prove the path works (and to fill ARP caches and a learning switch) before any load. */
export async function reachable(ctx: Ctx, from: Endpoint, to: Endpoint): Promise<void> {
  await rtt(ctx, from, to, 20, 5);
}

export async function tcp(ctx: Ctx, dep: Deployment, client: Endpoint, server: Endpoint, seconds: number): Promise<TcpResult> {
  const srv = ctx.sh.start(inNs(ctx.sb, server.ns, 'iperf3', '-s', '-1', '-B', server.ip, '-p', String(IPERF_PORT)),
    `${ctx.sb.scratch}/iperf-s.out`, `${ctx.sb.scratch}/iperf-s.err`);
  try {
    await waitListening(ctx, server.ns, 'tcp', IPERF_PORT, srv);
    const meter = new UsageMeter(ctx, dep.forwarders);
    meter.begin();
    const r = await ctx.sh.runAsync(inNs(ctx.sb, client.ns, 'iperf3', '-c', server.ip, '-B', client.ip, '-p', String(IPERF_PORT),
      '-t', String(seconds), '-J', '--connect-timeout', '3000'), { timeoutMs: (seconds + 20) * 1000, allowFail: true });
    const usage = meter.end();
    const j = JSON.parse(r.stdout || '{}') as {
      error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } };
    };
    if (r.code !== 0 || j.error || !j.end?.sum_received) {
      throw new Error(`iperf3 failed: ${j.error ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
    }
    return { bitsPerSecond: j.end.sum_received.bits_per_second, retransmits: j.end.sum_sent?.retransmits ?? 0, usage };
  } finally {
    await ctx.sh.stop(srv, 'SIGTERM', 2000);
  }
}

/** A 60-byte Ethernet/IPv4/UDP frame (64 bytes on a wire with its FCS), as a trafgen packet config. */
export function udpFrameConfig(from: Endpoint, to: Endpoint): string {
  const mac = (m: string): number[] => m.split(':').map((h) => parseInt(h, 16));
  const ip = (a: string): number[] => a.split('.').map(Number);
  const payload = 18;
  const ipHeader = [0x45, 0, 0, 20 + 8 + payload, 0, 0, 0x40, 0, 64, 17, 0, 0, ...ip(from.ip), ...ip(to.ip)];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ipHeader[i] << 8) | ipHeader[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const csum = ~sum & 0xffff;
  ipHeader[10] = csum >>> 8;
  ipHeader[11] = csum & 0xff;
  // UDP checksum 0: "none", valid for IPv4, so the receiver's stack accepts every frame without a software sum.
  const udp = [0x9c, 0x40, 0, SINK_PORT, 0, 8 + payload, 0, 0];
  const bytes = [...mac(to.mac), ...mac(from.mac), 0x08, 0x00, ...ipHeader, ...udp, ...new Array<number>(payload).fill(0)];
  if (bytes.length !== 60) throw new Error(`frame is ${bytes.length} bytes`);
  return `{ ${bytes.map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')} }\n`;
}

/**
 * 64-byte frames from a to b as fast as one trafgen process sends them. Counted at the receiver over a window that
 * starts after a warm-up, so start-up and tear-down of the generator do not enter the rate.
 */
export async function frames(ctx: Ctx, dep: Deployment, seconds: number, warmupMs: number, rate?: string): Promise<FramesResult> {
  const { a, b } = dep;
  const cfg = `${ctx.sb.scratch}/udp64.cfg`;
  writeFileSync(cfg, udpFrameConfig(a, b));
  // Bounded in count as well as in time: one trafgen process on this kind of machine sends well under 4 M frames/s.
  const maxFrames = Math.ceil(4e6 * (seconds + warmupMs / 1000 + 2));
  const gen = ctx.sh.start(inNs(ctx.sb, a.ns, 'trafgen', '--dev', a.dev, '--conf', cfg, '--cpus', '1',
    '--num', String(maxFrames), '--no-sock-mem', '--notouch-irq', '--no-cpu-stats', ...(rate ? ['--rate', rate] : [])),
  `${ctx.sb.scratch}/trafgen.out`, `${ctx.sb.scratch}/trafgen.err`);
  const guard = setTimeout(() => { void ctx.sh.stop(gen, 'SIGKILL', 0); }, (seconds + warmupMs / 1000 + 15) * 1000);
  try {
    await sleep(warmupMs);
    if (gen.exitCode !== undefined) throw new Error(`trafgen exited ${gen.exitCode}: ${readTail(gen.stderrFile)}`);
    const meter = new UsageMeter(ctx, dep.forwarders);
    const snap = (): { t: number; udp: number; rx: number; tx: number } => {
      const t = performance.now();
      const udp = ctx.sb.udpArrived(b.ns);
      const rx = ctx.sb.counters(b.ns, b.dev).rxPackets;
      const s = ctx.sb.counters(a.ns, a.dev);
      return { t, udp, rx, tx: s.txPackets + s.txDropped };
    };
    meter.begin();
    const s0 = snap();
    await sleep(seconds * 1000);
    const s1 = snap();
    const usage = meter.end();
    if (gen.exitCode !== undefined) throw new Error(`trafgen stopped during the window: ${readTail(gen.stderrFile)}`);
    const dt = (s1.t - s0.t) / 1000;
    const deliveredCount = s1.udp - s0.udp;
    return {
      delivered: deliveredCount / dt,
      receivedOnDevice: (s1.rx - s0.rx) / dt,
      offered: (s1.tx - s0.tx) / dt,
      seconds: dt,
      usage,
      cpuSecondsPerMillion: usage.cpuSeconds !== undefined && deliveredCount > 0
        ? usage.cpuSeconds / (deliveredCount / 1e6) : undefined,
    };
  } finally {
    clearTimeout(guard);
    await ctx.sh.stop(gen, 'SIGINT', 3000);
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}
