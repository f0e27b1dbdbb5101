// `npm run bench:daemon`: the daemon rows (README, "Benchmarks"), umacvlan beside the kernel's macvlan where the
// kernel has the same thing to measure, judged met/short against their targets and written to
// bench/results/daemon.{md,json}. Nothing here asserts: the targets are printed.
//
//   sudo npm run bench:daemon                                   all rows
//   sudo npm run bench:daemon -- --only-rows storm,restart       some of them (names: ROWS below)
//   sudo npm run bench:daemon -- --groups 40000 --samples 100    counts (defaults below); --out PREFIX
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { IMPL_NAME, makeDaemonLab, type DaemonLab, type Impl } from './daemon-lab.js';
import { PREFIX } from './sandbox.js';
import {
  eventLatency, floodingChild, groupFlood, idleMainThread, joinLatency, restartGap, storm, type Counts, type Values,
} from './daemon-rows.js';
import { judge, markdown, type Measured } from './daemon-report.js';

const ROWS = ['join-latency', 'event-latency', 'flooding-child', 'restart', 'group-flood', 'idle-cpu', 'storm'] as const;
type RowId = typeof ROWS[number];

function parse(argv: string[]): { rows: Set<RowId>; counts: Counts; out: string } {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = opt('--only-rows')?.split(',') ?? [...ROWS];
  for (const r of only) if (!(ROWS as readonly string[]).includes(r)) throw new Error(`--only-rows: no row ${r} (rows: ${ROWS.join(', ')})`);
  return {
    rows: new Set(only as RowId[]),
    counts: {
      groups: Number(opt('--groups') ?? 40_000),
      latencySamples: Number(opt('--samples') ?? 100),
      pings: Number(opt('--pings') ?? 1000),
      tcpSeconds: Number(opt('--tcp-seconds') ?? 3),
      floodSeconds: Number(opt('--flood-seconds') ?? 5),
    },
    out: opt('--out') ?? join(REPO_ROOT, 'bench', 'results', 'daemon'),
  };
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<number> {
  if (!isRoot()) { console.error('bench:daemon needs root (network namespaces)'); return 2; }
  const { rows, counts, out } = parse(process.argv.slice(2));
  const measured: Measured[] = [];
  const commands: string[] = [];
  const sb: Sandbox = createSandbox(PREFIX, { onCommand: (a) => { if (commands.length < 400) commands.push(a.join(' ')); } });
  const labs: DaemonLab[] = [];
  const machine: Record<string, string | number> = {
    cores: cpus().length, cpu: cpus()[0]?.model ?? '', kernel: release(), node: process.version, loadavgStart: load(),
    commit: execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  };
  const finish = (partial: boolean): void => {
    machine.loadavgEnd = load();
    const command = ['npm run bench:daemon', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
    const report = { partial, command, machine, counts, rows: measured.map(judge), commands };
    writeFileSync(`${out}.json`, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(`${out}.md`, markdown(report));
    console.log(markdown(report));
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    console.error(`${sig}: removing the sandbox`);
    sb.cleanup();
    for (const l of labs) void l.close();
    finish(true);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

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
    finish(false);
    return 0;
  } finally {
    for (const l of labs) await l.close();
    const problems = sb.cleanup();
    if (problems.length > 0) console.error(`could not remove: ${problems.join('; ')}`);
  }
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e); process.exitCode = 1; });
