// `npm run bench`: umacvlan beside the kernel's macvlan, a direct veth and vde_switch, measured in one run on one
// sandbox so the machine's noise falls on all of them alike. Root only; never part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ALTERNATIVES, Deployer, OFFLOADS_OFF, umacvlanUnavailable, vdeUnavailable,
  type AltId, type Deployment, type Offloads } from './alternatives.js';
import { startEchoServers, type Ctx } from './measure.js';
import { renderMarkdown } from './results.js';
import { summarize } from './results-summary.js';
import type { RunResults, Sample, Settings } from './results-types.js';
import { BenchSandbox, PREFIX, removeStale } from './sandbox.js';
import { fmtSample, sample } from './sample.js';
import { onceRows, readBaseline } from './once.js';
import { DAEMON_ROWS, DEFAULT_COUNTS, runDaemonRows } from './daemon-run.js';
import { judge, type Measured } from './daemon-report.js';
import { createSandbox, type Sandbox } from '../../support/sandbox.js';
import { REPO_ROOT } from '../../support/paths.js';
import { Shell, quote } from './sh.js';
import { ensureTools, version } from './tools.js';
import { benchFailed } from './fail.js';

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--only ALT,...] [--scale-max N] [--scale-only] [--out PREFIX]

Runs as root. Builds network namespaces (prefix umb<pid>), deploys each alternative in turn on the same topology,
measures, removes everything (also on Ctrl-C), and writes PREFIX.md and PREFIX.json.

  --rounds N       rounds, alternatives alternated inside each (default 5; at least 3 for medians worth reading)
  --quick          3 rounds, 1-second loads, default offloads for TCP only, no sparse RTT, no scale measure, no
                   once-per-run rows (about 3 minutes)
  --only LIST      a subset of: ${ALTERNATIVES.map((a) => a.id).join(', ')}
  --no-scale       skip the 2/16/64/256-children measure of a full run
  --scale-max N    largest scale step: 256 (default), 1024 or 4096 (steps above 256 measured once; 4096 takes minutes)
  --scale-only     the scale measure alone (kernel macvlan and umacvlan, bridge): no rounds of the main table, no
                   once-per-run rows, no daemon rows; --rounds N gives min(N, 2) rounds of the steps up to 256
  --no-daemon-rows skip the daemon rows (\`npm run bench:daemon\`'s, measured once per run; --quick skips them too)
  --out PREFIX     output files (default bench/results/latest, bench/results/quick with --quick,
                   bench/results/scale-N with --scale-only --scale-max N)

An error ends the bench with one line on stderr and exit status 1 (UMV_DEBUG=1 adds the stack); a measure that fails
is recorded in the report's Errors section and the run goes on.

A default run takes 14–15 minutes on 2 quiet cores: 5 rounds × 12 samples of ~7 s (7 min), sparse round trips on 4 of
them in the first 3 rounds (2 × 3.2 s each: 1.3 min), 2 rounds of scale steps (2 × 8 samples, ~1.7 min with the start-up,
SIGTERM and idle measures), then once: 2 idle-CPU windows (10 s), --mac-nat and capture on (~35 s), and the daemon rows
(~3.5 min).
`;

function settingsFrom(argv: string[]): { settings: Settings; out: string } | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      'no-scale': { type: 'boolean', default: false },
      'scale-max': { type: 'string' },
      'scale-only': { type: 'boolean', default: false },
      'no-daemon-rows': { type: 'boolean', default: false },
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
  const scaleMax = values['scale-max'] !== undefined ? Number(values['scale-max']) : 256;
  if (![256, 1024, 4096].includes(scaleMax)) throw new Error(`--scale-max: 256, 1024 or 4096, not ${values['scale-max']}`);
  const scaleOnly = values['scale-only'] === true;
  if (scaleOnly && (quick || values['no-scale'])) throw new Error('--scale-only: not with --quick or --no-scale (they skip the scale measure)');
  if (scaleOnly && values.only) throw new Error('--scale-only: measures kernel-bridge and umacvlan-bridge; --only does not apply');
  const settings: Settings = {
    rounds,
    quick,
    tcpSeconds: quick ? 1 : 2,
    framesSeconds: quick ? 1 : 2,
    warmupMs: quick ? 300 : 500,
    rttCount: quick ? 500 : 2000,
    scale: quick || values['no-scale'] ? [] : [2, 16, 64, 256, 1024, 4096].filter((n) => n <= scaleMax),
    alternatives: scaleOnly ? ['kernel-bridge', 'umacvlan-bridge'] : known.filter((id) => only.includes(id)),
    defaultOffloadMeasures: quick ? 'tcp' : 'all',
    sparseRounds: quick ? 0 : Math.min(rounds, 3),
    idleSeconds: 10,
    scaleRounds: Math.min(rounds, 2),
    once: !quick && !scaleOnly,
    daemonRows: !quick && !scaleOnly && !values['no-daemon-rows'],
    scaleOnly,
  };
  const out = values.out ?? `bench/results/${quick ? 'quick' : scaleOnly ? `scale-${scaleMax}` : 'latest'}`;
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

  const baseline = readBaseline(root);
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
    baselineRttP50Us: baseline,
  };
  const outPath = resolve(root, out);
  const write = (): void => {
    summarize(results);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(`${outPath}.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${outPath}.md`, renderMarkdown(results));
  };

  const sb = new BenchSandbox(sh);
  let daemonSb: Sandbox | undefined;
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    for (const p of [...sb.destroySync(), ...daemonSb?.cleanup() ?? []]) console.error(`cleanup: ${p}`);
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
  // A measure's stray rejection is that measure's failure, not the end of a 15-minute run (and of its clean-up).
  process.on('unhandledRejection', (e) => console.error(`unhandled in a measure: ${(e as Error)?.message ?? String(e)}`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';
  const ctx: Ctx = { sh, sb, root, clockTicks, python };
  const deployer = new Deployer(sh, sb, root);
  // The once-per-run rows are measured after the rounds (once.ts), not in them.
  const alts = settings.alternatives.filter((id) => !unavailable[id] && !ALTERNATIVES.find((a) => a.id === id)?.once);
  for (const [id, why] of Object.entries(unavailable)) {
    if (settings.alternatives.includes(id as AltId)) console.error(`${id}: not available: ${why}`);
  }
  let umacvlanStarted = false;
  const t0 = Date.now();
  try {
    sb.create();
    await startEchoServers(ctx, 6 * 3600);
    const rounds = settings.scaleOnly ? settings.scaleRounds : settings.rounds;
    for (let round = 1; round <= rounds; round++) {
      for (const offloads of settings.scaleOnly ? [] : ['off', 'default'] as const) {
        for (const alt of rotate(alts, round - 1)) {
          if (unavailable[alt]) continue;
          const idle = round === 1 && offloads === 'off' && settings.once && (alt === 'umacvlan-bridge' || alt === 'umacvlan-vepa');
          const s = await sample(ctx, deployer, settings, round, alt, offloads, 2, 'main', { idle });
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
      if (settings.scale.length > 0 && round <= settings.scaleRounds) {
        const scaleAlts = rotate((['kernel-bridge', 'umacvlan-bridge'] as const).filter((a) => alts.includes(a) && !unavailable[a]),
          round - 1);
        // Steps above 256 take minutes: once, in the first round.
        for (const n of settings.scale.filter((k) => k <= 256 || round === 1)) {
          for (const alt of scaleAlts) {
            const s = await sample(ctx, deployer, settings, round, alt, 'off', n, 'scale', { scaleExtras: round === 1 });
            results.scale.push(s);
            console.error(`round ${round}/${settings.rounds} scale ${String(n).padStart(3)} ${alt.padEnd(15)} ${fmtSample(s)} (${s.seconds?.toFixed(1)} s)`);
          }
        }
      }
      if (round === 1) results.commands = [...new Set(sh.commands)];
      write();
    }
    if (settings.once && !unavailable['umacvlan-bridge']) await onceRows(ctx, deployer, settings, results, write);
    if (settings.daemonRows) {
      console.error('daemon rows (once; as npm run bench:daemon)');
      daemonSb = createSandbox(PREFIX, { onCommand: (a) => sh.commands.push(quote(a)) });
      results.daemonRows = [];
      const measured: Measured[] = [];
      try {
        await runDaemonRows(daemonSb, new Set(DAEMON_ROWS), DEFAULT_COUNTS, measured);
      } finally {
        results.daemonRows = measured.map(judge);
        for (const p of daemonSb.cleanup()) console.error(`cleanup: ${p}`);
        daemonSb = undefined;
      }
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

main().then((code) => process.exit(code), (e: unknown) => {
  benchFailed('npm run bench', e);
  process.exit(1);
});
