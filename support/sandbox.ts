// The one network sandbox of the project (system tests, the bench, the demo): network namespaces and veth pairs
// whose names all start with one prefix + this process's pid, removed again by cleanup() (call it in a finally or
// afterAll: it runs after a failure too). Needs root and iproute2, nothing else.
//
//   const sb = createSandbox('umi');                 // names start with 'umi<pid>'
//   const ext = sb.addNs('ext');                     // netns 'umi<pid>ext', lo up, IPv6 off
//   const [a, b] = sb.addVeth(ext, 'e0', dp, 'p0');  // veth 'umi<pid>e0' in ext <-> 'umi<pid>p0' in dp, both up
//   sb.exec(ext, 'ip addr add 198.18.0.1/24 dev ' + a);
//   const srv = sb.spawn(ext, [...]);                // killed (by its pid) by cleanup() if still running
//   afterAll(() => sb.cleanup());
//
// The rules it keeps for every user: every namespace and interface it makes carries the prefix (interface names are
// checked against the kernel's 15 characters); a command in the root namespace that names eth0, lo, ifb0 or ifb1 is
// refused, so a test cannot reconfigure the machine it runs on; IPv6 is off in a new namespace unless asked for;
// what it spawned it kills by pid, nothing else. Everything is synchronous (execFileSync) except spawn(); commands
// get a 20 s limit so a hung tool cannot hang the caller. createSandbox() first deletes namespaces of the same prefix
// left by a process that no longer exists (one that crashed before its cleanup).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface Sandbox {
  /** prefix + pid: every name this sandbox makes starts with it */
  readonly prefix: string;
  /** prefix + short, checked to fit IFNAMSIZ (15 characters) */
  name(short: string): string;
  /** Creates namespace prefix+short (lo up; IPv6 off unless ipv6 is true) and returns its full name. */
  addNs(short: string, opts?: { ipv6?: boolean }): string;
  /** veth pair prefix+aShort in nsA <-> prefix+bShort in nsB, both up; returns the two full names. */
  addVeth(nsA: string, aShort: string, nsB: string, bShort: string): [string, string];
  /** Runs a shell command line in namespace ns (null: here); returns stdout. Throws with stderr on failure. */
  exec(ns: string | null, cmdline: string): string;
  /** Like exec without a shell: argv as given. */
  run(ns: string | null, argv: readonly string[]): string;
  /** Starts a process in ns; cleanup() kills it (by its pid) if it is still running. */
  spawn(ns: string | null, argv: readonly string[], opts?: { env?: NodeJS.ProcessEnv }): ChildProcess;
  /** Waits for a spawned process to exit (or kills it after timeoutMs) and returns its exit code and output. */
  wait(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Kills what it spawned, deletes its links and namespaces; returns the namespaces it could not delete (with
   *  the reason). Safe to call twice. */
  cleanup(): string[];
}

export interface SandboxOptions {
  /** Told every command before it runs (the bench lists them in its report). */
  onCommand?: (argv: readonly string[]) => void;
}

const IFNAMSIZ = 15;
const CMD_TIMEOUT_MS = 20_000;
/** The root namespace's interfaces the machine itself needs: no sandbox command may name them there. */
const HOST_INTERFACES = new Set(['eth0', 'lo', 'ifb0', 'ifb1']);

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** argv prefixed so it runs in namespace ns (null: in this process's namespace). */
export function inNetns(ns: string | null, argv: readonly string[]): string[] {
  return ns === null ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

function guardHost(ns: string | null, argv: readonly string[]): void {
  if (ns !== null) return;
  const hit = argv.find((a) => HOST_INTERFACES.has(a));
  if (hit !== undefined) throw new Error(`refused: \`${argv.join(' ')}\` names the host's ${hit} in the root namespace`);
}

export function createSandbox(prefix: string, opts: SandboxOptions = {}): Sandbox {
  if (!/^[a-z][a-z0-9]*$/.test(prefix)) throw new Error(`sandbox prefix ${JSON.stringify(prefix)}: lower-case letters and digits`);
  const base = `${prefix}${process.pid}`;
  const namespaces: string[] = [];
  const links: Array<{ ns: string; name: string }> = [];
  const children: ChildProcess[] = [];
  const output = new Map<ChildProcess, { stdout: string; stderr: string }>();

  const run = (ns: string | null, argv: readonly string[]): string => {
    guardHost(ns, argv);
    const full = inNetns(ns, argv);
    opts.onCommand?.(full);
    try {
      return execFileSync(full[0], full.slice(1), { encoding: 'utf8', timeout: CMD_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${full.join(' ')}: ${err.stderr?.trim() || err.message}`);
    }
  };

  const name = (short: string): string => {
    const n = base + short;
    if (n.length > IFNAMSIZ) throw new Error(`interface name ${n} is longer than ${IFNAMSIZ} characters`);
    return n;
  };

  sweepStale(prefix, run);

  const sb: Sandbox = {
    prefix: base,
    name,
    addNs(short, nsOpts = {}) {
      const ns = base + short;
      run(null, ['ip', 'netns', 'add', ns]);
      namespaces.push(ns);
      run(ns, ['ip', 'link', 'set', 'lo', 'up']);
      if (!nsOpts.ipv6) {
        run(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      }
      return ns;
    },
    addVeth(nsA, aShort, nsB, bShort) {
      const a = name(aShort), b = name(bShort);
      run(nsA, ['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
      links.push({ ns: nsA, name: a });
      run(nsA, ['ip', 'link', 'set', a, 'up']);
      run(nsB, ['ip', 'link', 'set', b, 'up']);
      return [a, b];
    },
    exec(ns, cmdline) {
      // A shell line cannot be checked word by word: in the root namespace only argv (run) is allowed.
      if (ns === null) throw new Error('exec in the root namespace is refused: use run() with an argv');
      return run(ns, ['sh', '-c', cmdline]);
    },
    run,
    spawn(ns, argv, spawnOpts = {}) {
      guardHost(ns, argv);
      const full = inNetns(ns, argv);
      opts.onCommand?.(full);
      const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: spawnOpts.env ?? process.env });
      const out = { stdout: '', stderr: '' };
      child.stdout?.on('data', (d: Buffer) => { out.stdout += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { out.stderr += d.toString(); });
      output.set(child, out);
      children.push(child);
      return child;
    },
    wait(child, timeoutMs) {
      const out = output.get(child) ?? { stdout: '', stderr: '' };
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) { resolve({ code: child.exitCode, ...out }); return; }
        const t = setTimeout(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, timeoutMs);
        child.once('exit', (code) => { clearTimeout(t); resolve({ code, ...out }); });
      });
    },
    cleanup() {
      for (const c of children.splice(0)) {
        if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
          try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      }
      for (const l of links.splice(0)) {
        try { run(l.ns, ['ip', 'link', 'del', l.name]); } catch { /* gone with its namespace or its peer */ }
      }
      const problems: string[] = [];
      for (const ns of namespaces.splice(0)) {
        try { run(null, ['ip', 'netns', 'del', ns]); } catch (e) { problems.push((e as Error).message); }
      }
      return problems;
    },
  };
  return sb;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Deletes namespaces named prefix + pid + … whose pid is gone, and returns their names. Only this prefix: others'
 *  sandboxes are theirs. The short part may begin with digits, so each leading run of 3+ digits is a possible pid:
 *  all must be dead. */
export function sweepStale(prefix: string, run: (ns: string | null, argv: readonly string[]) => string): string[] {
  const removed: string[] = [];
  let list: string;
  try { list = run(null, ['ip', 'netns', 'list']); } catch { return removed; }
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns.startsWith(prefix)) continue;
    const digits = /^\d+/.exec(ns.slice(prefix.length))?.[0] ?? '';
    if (digits.length < 3) continue;
    let live = false;
    for (let k = 3; k <= digits.length && !live; k++) {
      const pid = Number(digits.slice(0, k));
      live = pid === process.pid || alive(pid);
    }
    if (live) continue;
    try { run(null, ['ip', 'netns', 'del', ns]); removed.push(ns); } catch { /* raced with someone else's sweep */ }
  }
  return removed;
}
