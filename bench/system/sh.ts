// Running commands for the system bench: every command is recorded (the report lists the exact commands),
// every long-running process is tracked by PID so that cleanup ends exactly the processes this bench started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { sleepSync } from '../../support/time.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Kill the command after this long; every command here is bounded. */
  readonly timeoutMs?: number;
  readonly input?: string;
  /** Return a non-zero exit instead of throwing. */
  readonly allowFail?: boolean;
  /** Keep the command out of the report (polling loops would flood it). */
  readonly quiet?: boolean;
}

/** A process started in the background; its output goes to files so reading it never depends on our event loop. */
export interface Proc {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly stdoutFile: string;
  readonly stderrFile: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number) when the process has ended. */
  readonly exited: Promise<number>;
  exitCode: number | undefined;
}

export class CommandError extends Error {
  constructor(readonly argv: readonly string[], readonly result: RunResult) {
    super(`${argv.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function quote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export class Shell {
  /** Every command run, in order, as a shell would take it. */
  readonly commands: string[] = [];
  private readonly live = new Set<Proc>();

  private note(argv: readonly string[], quiet: boolean | undefined): void {
    if (!quiet) this.commands.push(quote(argv));
  }

  run(argv: readonly string[], opts: RunOptions = {}): RunResult {
    this.note(argv, opts.quiet);
    const r = spawnSync(argv[0], argv.slice(1), {
      encoding: 'utf8',
      input: opts.input,
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    const code = r.status ?? 128 + (r.signal ? SIGNALS[r.signal] ?? 1 : 1);
    const result: RunResult = { code, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
    if (code !== 0 && !opts.allowFail) throw new CommandError(argv, result);
    return result;
  }

  /** Like run(), without blocking the event loop (so Ctrl-C is handled while a load runs). */
  runAsync(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.note(argv, opts.quiet);
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
      child.on('error', (e) => { stderr += String(e); });
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        const code = status ?? 128 + (signal ? SIGNALS[signal] ?? 1 : 1);
        const result = { code, stdout, stderr };
        if (code !== 0 && !opts.allowFail) reject(new CommandError(argv, result));
        else resolve(result);
      });
    });
  }

  /**
   * Starts a background process with stdout and stderr in files. stdin is a pipe kept open
   * (vde_switch reads its console there and would stop at end of file).
   */
  start(argv: readonly string[], stdoutFile: string, stderrFile: string): Proc {
    this.note(argv, false);
    const out = openSync(stdoutFile, 'w');
    const err = openSync(stderrFile, 'w');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', out, err] });
    closeSync(out);
    closeSync(err);
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
    let settle: (code: number) => void = () => {};
    const exited = new Promise<number>((resolve) => { settle = resolve; });
    const proc: Proc = { pid: child.pid, argv, stdoutFile, stderrFile, child, exited, exitCode: undefined };
    child.on('error', () => {});
    child.on('exit', (status, signal) => {
      proc.exitCode = status ?? 128 + (signal ? SIGNALS[signal] ?? 1 : 1);
      this.live.delete(proc);
      settle(proc.exitCode);
    });
    this.live.add(proc);
    return proc;
  }

  /**
   * Ends one process we started, and the processes it forked (trafgen sends from a forked worker that a signal to
   * its parent does not stop): the signal, then SIGKILL after graceMs. Returns the exit code.
   */
  async stop(proc: Proc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number> {
    if (proc.exitCode !== undefined) return proc.exitCode;
    const pids = [...descendants(proc.pid), proc.pid];
    signalAll(pids, signal);
    const timer = setTimeout(() => signalAll([...descendants(proc.pid), ...pids], 'SIGKILL'), graceMs);
    const code = await proc.exited;
    clearTimeout(timer);
    // A worker whose parent is gone is reparented away from it: end the ones we knew of.
    const left = pids.filter(alive);
    if (left.length > 0) {
      signalAll(left, 'SIGKILL');
    }
    return code;
  }

  /** Synchronous last resort for signal handlers: SIGTERM every live process of ours, wait a little, SIGKILL. */
  killAllSync(): void {
    const pids = [...this.live].flatMap((p) => [...descendants(p.pid), p.pid]);
    for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
    const until = Date.now() + 3000;
    while (Date.now() < until && pids.some(alive)) sleepSync(20);
    for (const pid of pids) { if (alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }
    while (pids.some(alive) && Date.now() < until + 2000) sleepSync(20);
  }
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

/** Every process whose chain of parents leads to pid (read from /proc: no pgrep, no names). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie of ours (not yet reaped) still answers kill 0.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
