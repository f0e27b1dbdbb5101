// The bench's network sandbox: five namespaces that live for the whole run (the alternatives' devices come and go
// inside them), names that carry our prefix and PID, counters read from inside a namespace without a process spawn.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { Shell, alive, type Proc } from './sh.js';

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

export class Sandbox {
  readonly base: string;
  readonly scratch: string;
  private readonly sleepers = new Map<NsKey, Proc>();
  private created: NsKey[] = [];

  constructor(private readonly sh: Shell, pid = process.pid) {
    this.base = `${PREFIX}${pid}`;
    this.scratch = `/tmp/${this.base}`;
  }

  ns(key: NsKey): string {
    return `${this.base}-${key}`;
  }

  /** An interface name with our prefix; the suffix is at most 5 characters so the name stays within 15. */
  dev(suffix: string): string {
    const name = this.base + suffix;
    if (name.length > 15) throw new Error(`interface name too long: ${name}`);
    return name;
  }

  create(): void {
    mkdirSync(this.scratch, { recursive: true });
    for (const key of NS_KEYS) {
      const ns = this.ns(key);
      this.sh.run(['ip', 'netns', 'add', ns]);
      this.created.push(key);
      this.sh.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      this.sh.run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw',
        'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
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
    const problems: string[] = [];
    this.sh.killAllSync();
    for (const key of this.created) {
      const r = this.sh.run(['ip', 'netns', 'del', this.ns(key)], { allowFail: true });
      if (r.code !== 0) problems.push(`ip netns del ${this.ns(key)}: ${r.stderr.trim()}`);
    }
    this.created = [];
    rmSync(this.scratch, { recursive: true, force: true });
    return problems;
  }
}

/** Namespaces left by an earlier run of this bench whose process is gone (a kill -9, a crash). */
export function removeStale(sh: Shell): string[] {
  const removed: string[] = [];
  const list = sh.run(['ip', 'netns', 'list'], { quiet: true }).stdout;
  for (const line of list.split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-[a-z])\\b`).exec(line);
    if (!m || alive(Number(m[2]))) continue;
    sh.run(['ip', 'netns', 'del', m[1]], { allowFail: true });
    rmSync(`/tmp/${PREFIX}${m[2]}`, { recursive: true, force: true });
    removed.push(m[1]);
  }
  return removed;
}
