// One alternative deployed, measured and removed: the unit every round, scale step and once-per-run row is made of.
import type { AltId, Deployer, Deployment, Offloads } from './alternatives.js';
import { frames, idleCpu, reachable, rssBytes, rtt, tcp, type Ctx } from './measure.js';
import type { Sample, Settings } from './results-types.js';
import { sleep } from '../../support/time.js';

/** Sparse round trips: one every 10 ms, as interactive traffic comes; measured with offloads off on these. */
export const SPARSE = { count: 300, gapMs: 10 } as const;
const SPARSE_ALTS: readonly AltId[] = ['kernel-bridge', 'umacvlan-bridge', 'kernel-vepa', 'umacvlan-vepa', 'umacvlan-macnat'];
/** The paced load of the capture row: below the 100 k frames/s under which a capture must lose nothing. */
export const CAPTURE_PACED_RATE = '50000pps';

export type SampleKind = 'main' | 'scale' | 'capture';

export interface SampleOptions {
  /** measure the idle CPU of the forwarder (10 s; once per run per alternative) */
  readonly idle?: boolean;
  /** scale: also start-up, SIGTERM, RSS per child and the main thread's idle CPU */
  readonly scaleExtras?: boolean;
  /** capture: the paced load only (its losses alone: the capture's counts are read once, at SIGTERM) */
  readonly paced?: boolean;
}

/** Every measure is tried; a failure is recorded, not thrown. */
export async function sample(ctx: Ctx, deployer: Deployer, settings: Settings, round: number, alt: AltId, offloads: Offloads,
  children: number, kind: SampleKind, opts: SampleOptions = {}): Promise<Sample> {
  const s: Sample = { round, alt, offloads, children, errors: [] };
  const started = Date.now();
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const lap = (what: string): void => {
    const now = Date.now();
    timings[what] = (now - mark) / 1000;
    mark = now;
  };
  const attempt = async (what: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      s.errors.push(`${what}: ${(e as Error).message}`);
    }
    lap(what);
  };
  let dep: Deployment | undefined;
  try {
    dep = await deployer.deploy(alt, offloads, children);
    s.features = { ...dep.features };
    s.startupSeconds = dep.startupSeconds;
    lap('deploy');
    const d = dep;
    const pid = d.forwarders[0]?.proc.pid;
    if (kind === 'scale' && opts.scaleExtras && pid !== undefined) {
      await attempt('idle main thread', async () => {
        // The extra children were brought up just after ready (alternatives.ts): the daemon hears of each (a link
        // event, a dev_mcast entry) and settles for a moment per thousand before it is idle
        await sleep(1000 + 2 * children);
        s.rssKiB = rssBytes(pid) / 1024;
        // `ip netns exec` execs the daemon in place: its PID is its main thread's TID
        s.idleMainPct = (await idleCpu(pid, 3, pid)) * 100;
      });
    }
    // The main samples prove their paths by measuring them (the round trips come first and teach a learning switch
    // where b is); a scale or capture sample only counts frames, and no path would look like a rate of zero.
    if (kind === 'scale') {
      // a and b know each other's MAC: an ARP request is a broadcast, and a kernel macvlan in bridge mode hands a
      // child's broadcast to every sibling at once through the CPU's backlog (net.core.netdev_max_backlog, 1,000
      // here): past about a thousand siblings b's copy is dropped and b is never found. The frames counted carry
      // fixed MACs anyway; the same entries for both alternatives.
      for (const [x, y] of [[d.a, d.b], [d.b, d.a]]) {
        ctx.sh.run(['ip', '-n', ctx.sb.ns(x.ns), 'neigh', 'replace', y.ip, 'lladdr', y.mac, 'dev', x.dev, 'nud', 'permanent']);
      }
    }
    if (kind !== 'main') {
      await reachable(ctx, d.a, d.b);
      lap('reachable');
    }
    const all = kind === 'main' && (offloads === 'off' || settings.defaultOffloadMeasures === 'all');
    if (all) {
      await attempt('rtt', async () => {
        const r = await rtt(ctx, d.a, d.b, settings.rttCount, 10);
        s.rttP50Us = r.p50Us;
        s.rttP99Us = r.p99Us;
        s.rttLost = r.lost;
      });
    }
    if (kind === 'main' && offloads === 'off' && (round <= settings.sparseRounds || round === 0) && SPARSE_ALTS.includes(alt)) {
      const seconds = (SPARSE.count + 20) * SPARSE.gapMs / 1000 + 5;
      await attempt('sparse rtt child→child', async () => {
        const r = await rtt(ctx, d.a, d.b, SPARSE.count, seconds, SPARSE.gapMs);
        s.sparseP50Us = r.p50Us;
        s.sparseP99Us = r.p99Us;
      });
      await attempt('sparse rtt child→outside', async () => {
        const r = await rtt(ctx, d.aOut, d.outside, SPARSE.count, seconds, SPARSE.gapMs);
        s.sparseOutP50Us = r.p50Us;
        s.sparseOutP99Us = r.p99Us;
      });
    }
    if (kind === 'capture' && opts.paced) {
      await attempt('frames, paced', async () => {
        s.pacedFramesPerSecond = (await frames(ctx, d, settings.framesSeconds, settings.warmupMs, CAPTURE_PACED_RATE)).delivered;
      });
    }
    if (all || kind === 'scale' || (kind === 'capture' && !opts.paced)) {
      await attempt('frames', async () => {
        const r = await frames(ctx, d, settings.framesSeconds, settings.warmupMs);
        s.framesPerSecond = r.delivered;
        s.framesOnDevice = r.receivedOnDevice;
        s.framesOffered = r.offered;
        s.cpuSecondsPerMillion = r.cpuSecondsPerMillion;
        s.gcFrames = r.usage.gcEvents;
        if (r.usage.gcMain !== undefined) s.gcMain = (s.gcMain ?? 0) + r.usage.gcMain;
        if (r.usage.gcEvents || r.usage.gcMain) s.gcByIsolate = { ...r.usage.gcByIsolate };
      });
    }
    if (kind === 'main') {
      let gcTcp: number | undefined;
      await attempt('tcp child→child', async () => {
        const r = await tcp(ctx, d, d.a, d.b, settings.tcpSeconds);
        s.tcpChildBps = r.bitsPerSecond;
        s.tcpChildRetransmits = r.retransmits;
        if (r.usage.gcEvents !== undefined) gcTcp = (gcTcp ?? 0) + r.usage.gcEvents;
        if (r.usage.gcMain !== undefined) s.gcMain = (s.gcMain ?? 0) + r.usage.gcMain;
      });
      await attempt('tcp child→outside', async () => {
        const r = await tcp(ctx, d, d.aOut, d.outside, settings.tcpSeconds);
        s.tcpOutsideBps = r.bitsPerSecond;
        s.tcpOutsideRetransmits = r.retransmits;
        if (r.usage.gcEvents !== undefined) gcTcp = (gcTcp ?? 0) + r.usage.gcEvents;
        if (r.usage.gcMain !== undefined) s.gcMain = (s.gcMain ?? 0) + r.usage.gcMain;
      });
      s.gcTcp = gcTcp;
    }
    if (opts.idle && pid !== undefined) {
      await attempt('idle cpu', async () => {
        await sleep(1000);  // the loads' last frames and timers settle
        s.idleCpuPct = (await idleCpu(pid, settings.idleSeconds)) * 100;
      });
    }
    for (const f of d.forwarders) {
      if (f.proc.exitCode !== undefined) s.errors.push(`${f.name} exited ${f.proc.exitCode} during the measures`);
    }
  } catch (e) {
    s.errors.push((e as Error).message);
    if (!dep) s.notStarted = (e as Error).message.replace(/^exited \d+ while waiting for umacvlan to print ready: /, '').slice(0, 240);
  } finally {
    lap('measures');
    s.errors.push(...await deployer.teardown());
    lap('teardown');
    if (dep?.startupSeconds !== undefined) s.stopSeconds = deployer.lastStopSeconds;
    if (kind === 'capture' && dep) {
      const lost = captureLost(deployer.lastLog ?? '');
      if (lost === undefined) s.errors.push('no "capture stopped" line in the daemon\'s log');
      else if (opts.paced) { if (s.pacedFramesPerSecond !== undefined) s.captureLostPaced = lost; }
      else s.captureLostFull = lost;
    }
    s.seconds = (Date.now() - started) / 1000;
    s.timings = timings;
  }
  return s;
}

/** Frames the capture lost (ring drops + the writer's), from the daemon's `capture stopped: {json}` log line. */
export function captureLost(log: string): number | undefined {
  const m = /capture stopped: (\{.*\})\s*$/m.exec(log);
  if (!m) return undefined;
  try {
    const st = JSON.parse(m[1]) as Record<string, unknown>;
    let lost = 0;
    for (const [k, v] of Object.entries(st)) if (typeof v === 'number' && /drop|lost/i.test(k)) lost += v;
    return lost;
  } catch {
    return undefined;
  }
}

/** One line of progress for the console. */
export function fmtSample(s: Sample): string {
  const parts: string[] = [];
  if (s.tcpChildBps !== undefined) parts.push(`tcp c→c ${(s.tcpChildBps / 1e9).toFixed(2)}`);
  if (s.tcpOutsideBps !== undefined) parts.push(`c→o ${(s.tcpOutsideBps / 1e9).toFixed(2)} Gb/s`);
  if (s.framesPerSecond !== undefined) parts.push(`${(s.framesPerSecond / 1e3).toFixed(0)} k frames/s`);
  if (s.rttP50Us !== undefined) parts.push(`rtt ${s.rttP50Us.toFixed(0)}/${(s.rttP99Us ?? 0).toFixed(0)} µs`);
  if (s.sparseP50Us !== undefined) parts.push(`sparse c→c ${s.sparseP50Us.toFixed(0)}/${(s.sparseP99Us ?? 0).toFixed(0)} µs`);
  if (s.sparseOutP50Us !== undefined) parts.push(`sparse c→o ${s.sparseOutP50Us.toFixed(0)}/${(s.sparseOutP99Us ?? 0).toFixed(0)} µs`);
  if (s.idleCpuPct !== undefined) parts.push(`idle ${s.idleCpuPct.toFixed(2)} %`);
  if (s.startupSeconds !== undefined && s.children > 2) parts.push(`start ${s.startupSeconds.toFixed(1)} s, stop ${s.stopSeconds?.toFixed(1) ?? '?'} s`);
  if (s.rssKiB !== undefined) parts.push(`rss ${(s.rssKiB / 1024).toFixed(0)} MiB, main idle ${s.idleMainPct?.toFixed(2) ?? '?'} %`);
  if (s.cpuSecondsPerMillion !== undefined) parts.push(`cpu ${s.cpuSecondsPerMillion.toFixed(2)} s/M`);
  if (s.gcFrames !== undefined) parts.push(`gc worker ${s.gcFrames}+${s.gcTcp ?? '-'}, main ${s.gcMain ?? '?'}`);
  if (s.errors.length > 0) parts.push(`ERRORS: ${s.errors.join('; ')}`);
  return parts.join(', ');
}
