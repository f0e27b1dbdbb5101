// `npm run bench:daemon`: the daemon rows (README, "Benchmarks"), umacvlan beside the kernel's macvlan where the
// kernel has the same thing to measure, judged met/short against their targets and written to
// bench/results/daemon.{md,json}. Nothing here asserts: the targets are printed.
//
//   sudo npm run bench:daemon                                   all rows
//   sudo npm run bench:daemon -- --only-rows storm,restart       some of them (DAEMON_ROWS, daemon-run.ts)
//   sudo npm run bench:daemon -- --groups 40000 --samples 100    counts (DEFAULT_COUNTS, daemon-run.ts); --out PREFIX
import { benchFailed } from './fail.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { PREFIX } from './sandbox.js';
import type { Counts } from './daemon-rows.js';
import { judge, markdown, type Measured } from './daemon-report.js';
import { DAEMON_ROWS as ROWS, DEFAULT_COUNTS, runDaemonRows, type RowId } from './daemon-run.js';

function parse(argv: string[]): { rows: Set<RowId>; counts: Counts; out: string } {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = opt('--only-rows')?.split(',') ?? [...ROWS];
  for (const r of only) if (!(ROWS as readonly string[]).includes(r)) throw new Error(`--only-rows: no row ${r} (rows: ${ROWS.join(', ')})`);
  const d = DEFAULT_COUNTS;
  return {
    rows: new Set(only as RowId[]),
    counts: {
      groups: Number(opt('--groups') ?? d.groups),
      latencySamples: Number(opt('--samples') ?? d.latencySamples),
      pings: Number(opt('--pings') ?? d.pings),
      tcpSeconds: Number(opt('--tcp-seconds') ?? d.tcpSeconds),
      floodSeconds: Number(opt('--flood-seconds') ?? d.floodSeconds),
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
    finish(true);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    await runDaemonRows(sb, rows, counts, measured);
    finish(false);
    return 0;
  } finally {
    const problems = sb.cleanup();
    if (problems.length > 0) console.error(`could not remove: ${problems.join('; ')}`);
  }
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => benchFailed('npm run bench:daemon', e));
