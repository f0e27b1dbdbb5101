// `npm run bench`: umacvlan beside the kernel's macvlan, a direct veth and vde_switch, measured in one run on one
// sandbox so the machine's noise falls on all of them alike. Root only; never part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ALTERNATIVES, Deployer, OFFLOADS_OFF, umacvlanUnavailable, vdeUnavailable,
  type AltId, type Deployment, type Offloads } from './alternatives.js';
import { frames, reachable, rtt, startEchoServers, tcp, type Ctx } from './measure.js';
import { renderMarkdown, summarize, type RunResults, type Sample, type Settings } from './results.js';
import { BenchSandbox, removeStale } from './sandbox.js';
import { REPO_ROOT } from '../../support/paths.js';
import { Shell, quote } from './sh.js';
import { ensureTools, version } from './tools.js';

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--only ALT,...] [--out PREFIX]

Runs as root. Builds network namespaces (prefix umb<pid>), deploys each alternative in turn on the same topology,
measures, removes everything (also on Ctrl-C), and writes PREFIX.md and PREFIX.json.

  --rounds N    rounds, alternatives alternated inside each (default 5; at least 3 for medians worth reading)
  --quick       3 rounds, 1-second loads, default offloads for TCP only, no scale measure (about 3 minutes)
  --only LIST   a subset of: ${ALTERNATIVES.map((a) => a.id).join(', ')}
  --no-scale    skip the 2/16/64/256-children measure of a full run
  --out PREFIX  output files (default bench/results/latest, or bench/results/quick with --quick)
`;

function settingsFrom(argv: string[]): { settings: Settings; out: string } | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      'no-scale': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick === true;
  const rounds = values.rounds !== undefined ? Number(values.rounds) : quick ? 3 : 5;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) throw new Error(`--rounds: a whole number 1–50, not ${values.rounds}`);
  const known = ALTERNATIVES.map((a) => a.id);
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : known;
  for (const id of only) if (!known.includes(id as AltId)) throw new Error(`--only: unknown alternative ${id}`);
  const settings: Settings = {
    rounds,
    quick,
    tcpSeconds: quick ? 1 : 2,
    framesSeconds: quick ? 1 : 2,
    warmupMs: quick ? 300 : 500,
    rttCount: quick ? 500 : 2000,
    scale: quick || values['no-scale'] ? [] : [2, 16, 64, 256],
    alternatives: known.filter((id) => only.includes(id)),
    defaultOffloadMeasures: quick ? 'tcp' : 'all',
  };
  const out = values.out ?? `bench/results/${quick ? 'quick' : 'latest'}`;
  return { settings, out };
}

function machine(): Record<string, string | number> {
  const first = (argv: string[]): string => version(argv);
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    iperf3: first(['iperf3', '--version']),
    trafgen: first(['trafgen', '--version']),
    vde: first(['vde_switch', '--version']),
    commit: (git.stdout ?? '').trim(),
    loadavgStart: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = xs.length === 0 ? 0 : by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function fmtSample(s: Sample): string {
  const parts: string[] = [];
  if (s.tcpChildBps !== undefined) parts.push(`tcp c→c ${(s.tcpChildBps / 1e9).toFixed(2)}`);
  if (s.tcpOutsideBps !== undefined) parts.push(`c→o ${(s.tcpOutsideBps / 1e9).toFixed(2)} Gb/s`);
  if (s.framesPerSecond !== undefined) parts.push(`${(s.framesPerSecond / 1e3).toFixed(0)} k frames/s`);
  if (s.rttP50Us !== undefined) parts.push(`rtt ${s.rttP50Us.toFixed(0)}/${(s.rttP99Us ?? 0).toFixed(0)} µs`);
  if (s.cpuSecondsPerMillion !== undefined) parts.push(`cpu ${s.cpuSecondsPerMillion.toFixed(2)} s/M`);
  if (s.gcFrames !== undefined) parts.push(`gc worker ${s.gcFrames}+${s.gcTcp ?? '-'}, main ${s.gcMain ?? '?'}`);
  if (s.errors.length > 0) parts.push(`ERRORS: ${s.errors.join('; ')}`);
  return parts.join(', ');
}

async function main(): Promise<number> {
  const parsed = settingsFrom(process.argv.slice(2));
  if (!parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { settings, out } = parsed;
  if (process.getuid?.() !== 0) {
    console.error('npm run bench needs root (network namespaces, TAP devices, AF_PACKET)');
    return 1;
  }
  const root = REPO_ROOT;
  const sh = new Shell();
  const missing = ensureTools(sh);
  for (const m of missing) console.error(`missing after install: ${m}`);
  for (const ns of removeStale(sh)) console.error(`removed a namespace left by an earlier run: ${ns}`);

  const unavailable: Partial<Record<AltId, string>> = {};
  const u = umacvlanUnavailable();
  if (u) unavailable['umacvlan-bridge'] = unavailable['umacvlan-macnat'] = unavailable['umacvlan-vepa'] = u;
  const v = vdeUnavailable();
  if (v) unavailable.vde = v;
  for (const tool of ['iperf3', 'trafgen', 'ethtool', 'python3', 'stdbuf']) {
    if (missing.includes(tool)) throw new Error(`${tool} is missing and could not be installed`);
  }

  const results: RunResults = {
    schema: 'umacvlan-system-bench/1',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${quote(process.argv.slice(2))}` : ''}`,
    startedAt: new Date().toISOString(),
    complete: false,
    machine: machine(),
    settings,
    offloadsOff: OFFLOADS_OFF.join(' '),
    unavailable,
    samples: [],
    scale: [],
    commands: [],
  };
  const outPath = resolve(root, out);
  const write = (): void => {
    summarize(results);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(`${outPath}.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${outPath}.md`, renderMarkdown(results));
  };

  const sb = new BenchSandbox(sh);
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    for (const p of sb.destroySync()) console.error(`cleanup: ${p}`);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    console.error(`\n${sig}: removing the sandbox`);
    results.interrupted = sig;
    results.machine.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
    try {
      if (results.commands.length === 0) results.commands = [...new Set(sh.commands)];
      write();
      console.error(`partial results: ${outPath}.md`);
    } catch (e) {
      console.error(`could not write partial results: ${(e as Error).message}`);
    }
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';
  const ctx: Ctx = { sh, sb, root, clockTicks, python };
  const deployer = new Deployer(sh, sb, root);
  const alts = settings.alternatives.filter((id) => !unavailable[id]);
  for (const [id, why] of Object.entries(unavailable)) {
    if (settings.alternatives.includes(id as AltId)) console.error(`${id}: not available: ${why}`);
  }
  let umacvlanStarted = false;
  const t0 = Date.now();
  try {
    sb.create();
    await startEchoServers(ctx, 6 * 3600);
    for (let round = 1; round <= settings.rounds; round++) {
      for (const offloads of ['off', 'default'] as const) {
        for (const alt of rotate(alts, round - 1)) {
          if (unavailable[alt]) continue;
          const s = await sample(ctx, deployer, settings, round, alt, offloads, 2, 'main');
          if (s.notStarted && alt.startsWith('umacvlan') && !umacvlanStarted) {
            // The daemon has never come up in this run: a missing build, not noise. Say so once, in the table.
            unavailable['umacvlan-bridge'] = unavailable['umacvlan-macnat'] = unavailable['umacvlan-vepa'] = `the daemon does not start: ${s.notStarted}`;
            console.error(`${alt}: not available: ${unavailable[alt]}`);
            continue;
          }
          if (alt.startsWith('umacvlan') && !s.notStarted) umacvlanStarted = true;
          results.samples.push(s);
          console.error(`round ${round}/${settings.rounds} ${offloads.padEnd(7)} ${alt.padEnd(15)} ${fmtSample(s)} (${s.seconds?.toFixed(1)} s)`);
        }
      }
      if (settings.scale.length > 0) {
        const scaleAlts = rotate((['kernel-bridge', 'umacvlan-bridge'] as const).filter((a) => alts.includes(a) && !unavailable[a]),
          round - 1);
        for (const n of settings.scale) {
          for (const alt of scaleAlts) {
            const s = await sample(ctx, deployer, settings, round, alt, 'off', n, 'scale');
            results.scale.push(s);
            console.error(`round ${round}/${settings.rounds} scale ${String(n).padStart(3)} ${alt.padEnd(15)} ${fmtSample(s)} (${s.seconds?.toFixed(1)} s)`);
          }
        }
      }
      if (round === 1) results.commands = [...new Set(sh.commands)];
      write();
    }
    results.complete = true;
  } finally {
    results.finishedAt = new Date().toISOString();
    results.machine.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
    if (results.commands.length === 0) results.commands = [...new Set(sh.commands)];
    write();
    cleanup();
  }
  console.error(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${outPath}.md, ${outPath}.json`);
  return 0;
}

/** One alternative deployed, measured and removed. Every measure is tried; a failure is recorded, not thrown. */
async function sample(ctx: Ctx, deployer: Deployer, settings: Settings, round: number, alt: AltId, offloads: Offloads,
  children: number, kind: 'main' | 'scale'): Promise<Sample> {
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
    lap('deploy');
    const d = dep;
    // The main samples prove their paths by measuring them (the round trips come first and teach a learning switch
    // where b is); a scale sample only counts frames, and no path would look like a rate of zero.
    if (kind === 'scale') {
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
    if (all || kind === 'scale') {
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
    s.seconds = (Date.now() - started) / 1000;
    s.timings = timings;
  }
  return s;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`bench failed: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
