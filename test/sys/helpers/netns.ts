// A network sandbox for root tests: namespaces and veth pairs whose names all start with one prefix + this
// process's pid, removed again by cleanup() (call it in afterAll; it runs even after a failed test).
//
//   const sb = createSandbox('umi');                 // names start with 'umi<pid>'
//   const ext = sb.addNs('ext');                     // netns 'umi<pid>ext', lo up, IPv6 off
//   const [a, b] = sb.addVeth(ext, 'e0', dp, 'p0');  // veth 'umi<pid>e0' in ext <-> 'umi<pid>p0' in dp, both up
//   sb.exec(ext, 'ip addr add 198.18.0.1/24 dev ' + a);
//   const srv = sb.spawn(ext, ['iperf3', '-s', '-1']);  // killed by cleanup() if still running
//   afterAll(() => sb.cleanup());
//
// Everything is synchronous (execFileSync) except spawn(); commands get a 20 s limit so a hung tool cannot hang
// the suite. Interface names are checked against the kernel's 15-character limit when made. createSandbox() first
// deletes namespaces of the same prefix left by a process that no longer exists (one that crashed before its
// afterAll); a short name may start with digits, so every leading digit run that could be the pid must be dead.

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
  spawn(ns: string | null, argv: readonly string[]): ChildProcess;
  /** Waits for a spawned process to exit (or kills it after timeoutMs) and returns its exit code and output. */
  wait(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Kills what it spawned, deletes its links and namespaces. Safe to call twice. */
  cleanup(): void;
}

const IFNAMSIZ = 15;
const CMD_TIMEOUT_MS = 20_000;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function createSandbox(prefix: string): Sandbox {
  const base = `${prefix}${process.pid}`;
  const namespaces: string[] = [];
  const links: Array<{ ns: string; name: string }> = [];
  const children: ChildProcess[] = [];
  const output = new Map<ChildProcess, { stdout: string; stderr: string }>();

  const inNs = (ns: string | null, argv: readonly string[]): string[] =>
    ns === null ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];

  const run = (ns: string | null, argv: readonly string[]): string => {
    const full = inNs(ns, argv);
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
    addNs(short, opts = {}) {
      const ns = base + short;
      run(null, ['ip', 'netns', 'add', ns]);
      namespaces.push(ns);
      run(ns, ['ip', 'link', 'set', 'lo', 'up']);
      if (!opts.ipv6) {
        run(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
        run(ns, ['sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
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
      return run(ns, ['sh', '-c', cmdline]);
    },
    run,
    spawn(ns, argv) {
      const full = inNs(ns, argv);
      const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
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
        const done = (code: number | null) => { clearTimeout(t); resolve({ code, ...out }); };
        if (child.exitCode !== null || child.signalCode !== null) { resolve({ code: child.exitCode, ...out }); return; }
        const t = setTimeout(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, timeoutMs);
        child.once('exit', (code) => done(code));
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
      for (const ns of namespaces.splice(0)) {
        try { run(null, ['ip', 'netns', 'del', ns]); } catch { /* already deleted */ }
      }
    },
  };
  return sb;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Deletes namespaces named prefix + pid + … whose pid is gone. Only this prefix: others' sandboxes are theirs.
 *  The short part may begin with digits, so each leading run of 3+ digits is a possible pid: all must be dead. */
function sweepStale(prefix: string, run: (ns: string | null, argv: readonly string[]) => string): void {
  let list: string;
  try { list = run(null, ['ip', 'netns', 'list']); } catch { return; }
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
    try { run(null, ['ip', 'netns', 'del', ns]); } catch { /* raced with someone else's sweep */ }
  }
}
