// The one daemon launcher: `umacvlan run ARGS` (the built CLI, the same build users run) inside a sandbox
// namespace, ready when it says `ready` on stderr, stopped by signal; and the client run once in a namespace.
//
//   const d = await startDaemon(sb, parentNs, ['--parent', p, '--child', `${c}:02:ee:00:00:00:01:bridge`, '--netns', `${c}=${ns}`]);
//   d.cli(['show', '--json'])                // `umacvlan show --json --control PATH` in the daemon's namespace
//   const { code, stderr } = await d.stop()  // SIGTERM, waits for the exit (SIGKILL after 15 s)
//
// The daemon is spawned through the sandbox, so sb.cleanup() kills it (by pid) if a test ends without stop().

import { execFileSync, type ChildProcess } from 'node:child_process';
import { CLI, ensureBuilt } from './paths.js';
import { inNetns, type Sandbox } from './sandbox.js';

export interface CliResult { code: number; stdout: string; stderr: string }
export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface RunningDaemon<Control extends string | null = string> {
  readonly proc: ChildProcess;
  /** the --control path given to it (null: the caller's own arguments chose) */
  readonly controlPath: Control;
  /** stderr so far */
  stderr(): string;
  /** Runs a client command against this daemon (in its namespace, with its control path). */
  cli(args: readonly string[]): CliResult;
  /** SIGTERM (or the given signal) and wait for the exit */
  stop(signal?: NodeJS.Signals): Promise<Exit & { stderr: string }>;
  /** Resolves when the process exits */
  readonly exited: Promise<Exit>;
}

export interface DaemonOptions {
  /** A control socket of its own under /run/umacvlan-test (the default), or none added (the args choose). */
  ownControl?: boolean;
  timeoutMs?: number;
  /** node's own options, before the CLI (e.g. --trace-gc) */
  nodeArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs the CLI once in a namespace (null: here) and returns exit code + output (for commands that end by themselves). */
export function runCli(ns: string | null, args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  const argv = inNetns(ns, [process.execPath, CLI, ...args]);
  try {
    const stdout = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'], env });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/**
 * Starts `umacvlan run [--control PATH] ARGS` in namespace ns and waits for `ready` on stderr. Rejects with the
 * daemon's stderr if it exits first or is not ready within timeoutMs (then it is killed).
 */
export function startDaemon(sb: Sandbox, ns: string, args: readonly string[],
  opts?: DaemonOptions & { ownControl?: true }): Promise<RunningDaemon<string>>;
export function startDaemon(sb: Sandbox, ns: string, args: readonly string[],
  opts: DaemonOptions & { ownControl: false }): Promise<RunningDaemon<null>>;
export async function startDaemon(sb: Sandbox, ns: string, args: readonly string[],
  opts: DaemonOptions = {}): Promise<RunningDaemon<string | null>> {
  ensureBuilt();
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const controlPath = opts.ownControl === false ? null
    : `/run/umacvlan-test/${sb.prefix}-${Math.random().toString(36).slice(2, 8)}.sock`;
  const control = controlPath === null ? [] : ['--control', controlPath];
  const proc = sb.spawn(ns, [process.execPath, ...(opts.nodeArgs ?? []), CLI, 'run', ...control, ...args], { env: opts.env });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<Exit>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`daemon not ready within ${timeoutMs} ms:\n${err}`));
    }, timeoutMs);
    const onData = (): void => {
      if (/^ready$/m.test(err)) { clearTimeout(timer); proc.stderr!.off('data', onData); resolve(); }
    };
    proc.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`daemon exited (${code ?? signal}) before ready:\n${err}`)); });
  });
  return {
    proc, controlPath, exited,
    stderr: () => err,
    cli: (a) => runCli(ns, controlPath === null ? a : [...a, '--control', controlPath]),
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await Promise.race([exited, new Promise<null>((res) => setTimeout(() => res(null), 15_000))]);
      if (r === null) { proc.kill('SIGKILL'); return { ...(await exited), stderr: err }; }
      return { ...r, stderr: err };
    },
  };
}
