// Starts the built daemon (dist/src/main.js) inside a sandbox namespace and talks to it, for root tests.
//
//   const d = await startDaemon(sb, parentNs, ['--parent', p, '--child', `${c}:02:aa:00:00:00:01:bridge`, '--netns', `${c}=${ns}`]);
//   await d.cli(['show', '--json'])          // runs `umacvlan show --json` in the daemon's namespace
//   const { code, stderr } = await d.stop()  // SIGTERM, waits for the exit
//
// Run `npx tsc -p .` first (test/run.sh does): the tests exercise the same build users run.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Sandbox } from './netns.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(root, 'dist', 'src', 'main.js');
export const ECHO = join(root, 'dist', 'demo', 'echo.js');

export interface RunningDaemon {
  readonly proc: ChildProcess;
  readonly controlPath: string;
  /** stderr so far */
  stderr(): string;
  /** Runs a client command against this daemon (in its namespace) and returns its exit code and output. */
  cli(args: readonly string[]): { code: number; stdout: string; stderr: string };
  /** SIGTERM (or the given signal) and wait for the exit */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves when the process exits on its own */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function ensureBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -p .\` (npm test does)`);
}

/** Runs the CLI once in a namespace and returns exit code + output (for commands that end by themselves). */
export function runCli(ns: string | null, args: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number; stdout: string; stderr: string } {
  const argv = ns === null ? [process.execPath, CLI, ...args] : ['ip', 'netns', 'exec', ns, process.execPath, CLI, ...args];
  try {
    const stdout = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'], env });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/**
 * Starts `umacvlan run ARGS` in namespace ns with its own control socket under the sandbox prefix, and waits for
 * `ready` on stderr. Rejects with the daemon's stderr if it exits first or is not ready within timeoutMs.
 */
export async function startDaemon(sb: Sandbox, ns: string, args: readonly string[],
  opts: { timeoutMs?: number; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningDaemon> {
  ensureBuilt();
  const controlPath = `/run/umacvlan-test/${sb.prefix}-${Math.random().toString(36).slice(2, 8)}.sock`;
  const full = ['ip', 'netns', 'exec', ns, process.execPath, ...(opts.nodeArgs ?? []), CLI, 'run', '--control', controlPath, ...args];
  const proc = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  proc.stdout!.on('data', () => { /* drained so the daemon never blocks on a full pipe */ });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`daemon not ready within ${opts.timeoutMs ?? 20_000} ms:\n${err}`)); }, opts.timeoutMs ?? 20_000);
    const onData = (): void => { if (/^ready$/m.test(err)) { clearTimeout(timer); proc.stderr!.off('data', onData); resolve(); } };
    proc.stderr!.on('data', onData);
    void exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`daemon exited with ${code} before ready:\n${err}`)); });
  });
  return {
    proc, controlPath, exited,
    stderr: () => err,
    cli: (a) => runCli(ns, [...a, '--control', controlPath]),
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await Promise.race([exited, new Promise<null>((res) => setTimeout(() => res(null), 15_000))]);
      if (r === null) { proc.kill('SIGKILL'); const k = await exited; return { ...k, stderr: err }; }
      return { ...r, stderr: err };
    },
  };
}

/** UDP echo probe from ns to addr:port (the project's own ping); true when every probe came back. */
export function udpPing(sb: Sandbox, ns: string, addr: string, count = 3, timeoutMs = 3000, port = 7): { ok: boolean; received: number; rttUs: number[] } {
  try {
    const out = sb.run(ns, [process.execPath, ECHO, 'ping', addr, String(port), String(count), String(timeoutMs)]);
    const r = JSON.parse(out) as { received: number; rttUs: number[] };
    return { ok: r.received >= count, received: r.received, rttUs: r.rttUs };
  } catch (e) {
    const m = /\{.*\}/.exec((e as Error).message);
    const r = m ? (JSON.parse(m[0]) as { received: number; rttUs: number[] }) : { received: 0, rttUs: [] };
    return { ok: false, received: r.received, rttUs: r.rttUs };
  }
}

/** Starts a UDP echo server in ns (stopped by sb.cleanup or after `seconds`). */
export function udpEchoServer(sb: Sandbox, ns: string, addr: string, seconds = 60, port = 7): ChildProcess {
  return sb.spawn(ns, [process.execPath, ECHO, 'serve', addr, String(port), String(seconds)]);
}
