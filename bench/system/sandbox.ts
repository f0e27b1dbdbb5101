// The bench's network sandbox: five namespaces that live for the whole run (the alternatives' devices come and go
// inside them), made by the project's one sandbox (support/sandbox.ts: names carry our prefix and PID), and
// counters read from inside a namespace without a process spawn.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createSandbox, inNetns, sweepStale, type Sandbox } from '../../support/sandbox.js';
import { quote, type Proc, type Shell } from './sh.js';

export const PREFIX = 'umb';

/** Namespaces: p holds the parent's wire, a and b the two measured children, o the outside host, s the VEPA switch. */
export type NsKey = 'p' | 'a' | 'b' | 'o' | 's';
const NS_KEYS: readonly NsKey[] = ['p', 'a', 'b', 'o', 's'];

export interface Counters {
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly rxDropped: number;
  readonly txDropped: number;
}

/** The bench's namespaces on the project's one sandbox (support/sandbox.ts), plus a process in each for its counters. */
export class BenchSandbox {
  readonly base: string;
  readonly scratch: string;
  private readonly sb: Sandbox;
  private readonly sleepers = new Map<NsKey, Proc>();

  constructor(private readonly sh: Shell) {
    // every command the sandbox runs goes into the report's command list, as the bench's own do
    this.sb = createSandbox(PREFIX, { onCommand: (argv) => sh.commands.push(quote(argv)) });
    this.base = this.sb.prefix;
    this.scratch = `/tmp/${this.base}`;
  }

  ns(key: NsKey): string {
    return `${this.base}-${key}`;
  }

  /** An interface name with our prefix; the suffix is at most 5 characters so the name stays within 15. */
  dev(suffix: string): string {
    return this.sb.name(suffix);
  }

  create(): void {
    mkdirSync(this.scratch, { recursive: true });
    for (const key of NS_KEYS) {
      const ns = this.sb.addNs(`-${key}`);
      // A process that stays in the namespace: /proc/PID/net/* then shows that namespace's counters
      // with a file read, cheap and exact enough to bracket a two-second load window.
      const sleeper = this.sh.start(['ip', 'netns', 'exec', ns, 'sleep', '86400'],
        `${this.scratch}/sleep-${key}.out`, `${this.scratch}/sleep-${key}.err`);
      this.sleepers.set(key, sleeper);
    }
  }

  procNetText(key: NsKey, file: string): string {
    const sleeper = this.sleepers.get(key);
    if (!sleeper) throw new Error(`no process in namespace ${key}`);
    return readFileSync(`/proc/${sleeper.pid}/net/${file}`, 'utf8');
  }

  counters(key: NsKey, dev: string): Counters {
    for (const line of this.procNetText(key, 'dev').split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0 || line.slice(0, colon).trim() !== dev) continue;
      const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
      // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop ...
      return { rxPackets: f[1], rxDropped: f[3], txPackets: f[9], txDropped: f[11] };
    }
    throw new Error(`no device ${dev} in ${this.ns(key)}`);
  }

  /** UDP datagrams that reached the UDP layer of the namespace: to a socket, to no port, or dropped there. */
  udpArrived(key: NsKey): number {
    const lines = this.procNetText(key, 'snmp').split('\n').filter((l) => l.startsWith('Udp: '));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/).map(Number);
    const get = (n: string): number => values[names.indexOf(n)];
    return get('InDatagrams') + get('NoPorts') + get('InErrors');
  }

  /** Removes everything: our processes first (a namespace with a process in it outlives `ip netns del`). */
  destroySync(): string[] {
    this.sh.killAllSync();
    const problems = this.sb.cleanup();
    rmSync(this.scratch, { recursive: true, force: true });
    return problems;
  }
}

/** Namespaces left by an earlier run of this bench whose process is gone (a kill -9, a crash), and their scratch. */
export function removeStale(sh: Shell): string[] {
  const removed = sweepStale(PREFIX, (ns, argv) => sh.run(inNetns(ns, argv), { quiet: true }).stdout);
  for (const ns of removed) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(ns)?.[1];
    if (pid !== undefined) rmSync(`/tmp/${PREFIX}${pid}`, { recursive: true, force: true });
  }
  return removed;
}
