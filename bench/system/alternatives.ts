// The alternatives compared, each deployed on the same sandbox and removed again before the next one:
// the same two children (a, b), the same outside host (o) behind the parent's wire, the same addresses.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { BenchSandbox, NsKey } from './sandbox.js';
import type { Proc, Shell } from './sh.js';
import { sleep } from '../../support/time.js';
import { CLI } from '../../support/paths.js';

export type AltId = 'veth' | 'kernel-bridge' | 'umacvlan-bridge' | 'vde' | 'kernel-vepa' | 'umacvlan-vepa'
  | 'umacvlan-macnat' | 'umacvlan-capture';
export type Offloads = 'off' | 'default';

/** `once`: measured once per bench, after the rounds, offloads off (the rows other work adds beside the main ones). */
export const ALTERNATIVES: readonly { readonly id: AltId; readonly label: string; readonly once?: true }[] = [
  { id: 'veth', label: 'direct veth (upper bound)' },
  { id: 'kernel-bridge', label: 'kernel macvlan, bridge' },
  { id: 'umacvlan-bridge', label: 'umacvlan, bridge' },
  { id: 'vde', label: 'vde_switch, TAP ports' },
  { id: 'kernel-vepa', label: 'kernel macvlan, VEPA + hairpin bridge' },
  { id: 'umacvlan-vepa', label: 'umacvlan, VEPA + hairpin bridge' },
  { id: 'umacvlan-macnat', label: 'umacvlan, bridge, --mac-nat (once)', once: true },
  { id: 'umacvlan-capture', label: 'umacvlan, bridge, capture on: all ports, pcapng file (once)', once: true },
];

export interface Endpoint {
  readonly ns: NsKey;
  readonly dev: string;
  readonly ip: string;
  readonly mac: string;
}

/** A userspace process on the data path; its CPU time is measured, and its GC lines when it is Node. */
export interface Forwarder {
  readonly name: string;
  readonly proc: Proc;
  /** File receiving the process's --trace-gc lines (line-buffered), when it runs with them. */
  readonly gcLog?: string;
}

export interface Deployment {
  readonly a: Endpoint;
  readonly b: Endpoint;
  /** The interface child a uses towards the outside host: a itself, but for the direct veth, a second veth. */
  readonly aOut: Endpoint;
  readonly outside: Endpoint;
  readonly forwarders: readonly Forwarder[];
  /** Offload state of the parent's wire (or of the direct veths) as ethtool reports it after setting. */
  readonly features: Readonly<Record<string, string>>;
  /** umacvlan: seconds from its start to "ready" (every TAP made and attached) */
  readonly startupSeconds?: number;
}

const A_IP = '198.18.0.1';
const B_IP = '198.18.0.2';
const O_IP = '198.18.0.254';
const A_MAC = '02:42:c6:12:00:01';
const B_MAC = '02:42:c6:12:00:02';
const O_MAC = '02:42:c6:12:00:fe';
const PW_MAC = '02:42:c6:12:00:f0';
// The direct veth's second pair (child a straight to the outside host) needs a subnet of its own.
const A_OUT_IP = '198.18.1.1';
const O_OUT_IP = '198.18.1.254';

/** What "off" turns off: what a plain NIC without segmentation or checksum offload gives. */
export const OFFLOADS_OFF = ['tx', 'off', 'rx', 'off', 'sg', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'] as const;
const FEATURES_SHOWN = ['tx-checksumming', 'scatter-gather', 'tcp-segmentation-offload',
  'generic-segmentation-offload', 'generic-receive-offload'];
const FEATURE_ABBREV: Record<string, string> = {
  'tx-checksumming': 'tx-csum', 'scatter-gather': 'sg', 'tcp-segmentation-offload': 'tso',
  'generic-segmentation-offload': 'gso', 'generic-receive-offload': 'gro',
};

/** Why umacvlan has no --mac-nat (this build does not list it), or undefined. The daemon refusing the flag at start is
 *  caught where it starts (the row then says what it answered). */
export function macNatUnavailable(): string | undefined {
  const r = spawnSync(process.execPath, [CLI, 'run', '--help'], { encoding: 'utf8', timeout: 15_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.includes('--mac-nat') ? undefined : 'this build of umacvlan has no --mac-nat';
}

/** Why umacvlan cannot be measured, or undefined when `dist/src/main.js run` answers. */
export function umacvlanUnavailable(): string | undefined {
  const main = CLI;
  if (!existsSync(main)) return 'dist/src/main.js not built (npx tsc -p .)';
  const r = spawnSync(process.execPath, [main, 'run', '--help'], { encoding: 'utf8', timeout: 15_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !text.includes('--parent')) {
    const first = text.trim().split('\n').find((l) => l.trim() !== '') ?? `exit ${r.status ?? r.signal}`;
    return `\`umacvlan run --help\` fails: ${first.trim().slice(0, 120)}`;
  }
  return undefined;
}

export function vdeUnavailable(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v vde_switch']).status !== 0 ? 'vde_switch not installed' : undefined;
}

export class Deployer {
  private undo: { what: string; run: () => Promise<void> | void }[] = [];
  /** umacvlan's last SIGTERM → exit, in seconds (set by teardown) */
  lastStopSeconds: number | undefined;
  /** umacvlan's stderr of the last deployment (its log: "capture stopped: {...}" on the way out) */
  lastLog: string | undefined;

  constructor(private readonly sh: Shell, private readonly sb: BenchSandbox, private readonly root: string) {}

  private ip(key: NsKey, ...args: string[]): void {
    this.sh.run(['ip', '-n', this.sb.ns(key), ...args]);
  }

  private inNs(key: NsKey, ...argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.sb.ns(key), ...argv];
  }

  private later(what: string, run: () => Promise<void> | void): void {
    this.undo.push({ what, run });
  }

  private delLater(key: NsKey, dev: string): void {
    this.later(`delete ${dev}`, () => {
      const r = this.sh.run(['ip', '-n', this.sb.ns(key), 'link', 'del', dev], { allowFail: true });
      if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) throw new Error(r.stderr.trim());
    });
  }

  private address(ep: Endpoint): void {
    this.ip(ep.ns, 'link', 'set', ep.dev, 'up');
    this.ip(ep.ns, 'addr', 'add', `${ep.ip}/24`, 'dev', ep.dev);
  }

  /** Sets (for "off") and reads back the offloads of one device. */
  private offloads(key: NsKey, dev: string, mode: Offloads, into: Record<string, string>): void {
    if (mode === 'off') {
      // ethtool exits non-zero when one of several features is fixed; the read-back below is what counts.
      this.sh.run(this.inNs(key, 'ethtool', '-K', dev, ...OFFLOADS_OFF), { allowFail: true });
    }
    const shown = this.sh.run(this.inNs(key, 'ethtool', '-k', dev), { quiet: true }).stdout;
    into[dev] = FEATURES_SHOWN.map((f) => {
      const m = new RegExp(`^${f}: (\\w+)`, 'm').exec(shown);
      return `${FEATURE_ABBREV[f]} ${m ? m[1] : '?'}`;
    }).join(', ');
  }

  /** The parent's wire: a veth from the parent to the outside host, or through a hairpin bridge for VEPA. */
  private wire(vepa: boolean, mode: Offloads, features: Record<string, string>): void {
    const pw = this.sb.dev('pw');
    const ow = this.sb.dev('ow');
    if (!vepa) {
      this.ip('p', 'link', 'add', pw, 'address', PW_MAC, 'type', 'veth', 'peer', 'name', ow, 'address', O_MAC,
        'netns', this.sb.ns('o'));
      this.delLater('p', pw);
      this.offloads('p', pw, mode, features);
      this.offloads('o', ow, mode, features);
    } else {
      const sp = this.sb.dev('sp');
      const so = this.sb.dev('so');
      const br = this.sb.dev('br');
      this.ip('p', 'link', 'add', pw, 'address', PW_MAC, 'type', 'veth', 'peer', 'name', sp, 'netns', this.sb.ns('s'));
      this.delLater('p', pw);
      this.ip('s', 'link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      this.delLater('s', br);
      this.ip('s', 'link', 'add', so, 'type', 'veth', 'peer', 'name', ow, 'address', O_MAC, 'netns', this.sb.ns('o'));
      this.delLater('s', so);
      this.ip('s', 'link', 'set', sp, 'master', br);
      this.ip('s', 'link', 'set', so, 'master', br);
      // The outside switch reflects a frame back out of the port it came in by: what VEPA relies on.
      this.ip('s', 'link', 'set', 'dev', sp, 'type', 'bridge_slave', 'hairpin', 'on');
      for (const d of [br, sp, so]) this.ip('s', 'link', 'set', d, 'up');
      this.offloads('p', pw, mode, features);
      this.offloads('s', sp, mode, features);
    }
    this.ip('o', 'addr', 'add', `${O_IP}/24`, 'dev', ow);
    this.ip('o', 'link', 'set', ow, 'up');
    this.ip('p', 'link', 'set', pw, 'up');
  }

  private endpoints(): { a: Endpoint; b: Endpoint; outside: Endpoint } {
    return {
      a: { ns: 'a', dev: this.sb.dev('a'), ip: A_IP, mac: A_MAC },
      b: { ns: 'b', dev: this.sb.dev('b'), ip: B_IP, mac: B_MAC },
      outside: { ns: 'o', dev: this.sb.dev('ow'), ip: O_IP, mac: O_MAC },
    };
  }

  /** Names of the extra children that only fill the parent's table (the scale measure). */
  private extras(total: number): string[] {
    const names: string[] = [];
    for (let i = 0; i < total - 2; i++) names.push(this.sb.dev(`x${i}`));
    return names;
  }

  async deploy(id: AltId, mode: Offloads, children = 2): Promise<Deployment> {
    if (this.undo.length > 0) throw new Error('previous deployment not torn down');
    const features: Record<string, string> = {};
    const dep = await this.deployOnly(id, mode, children, features);
    // The child's own offloads, read only: what its sender's stack may hand down (a kernel macvlan keeps SG,
    // checksum and software GSO whatever its parent has; a TAP has what its daemon asked for).
    if (id !== 'veth') this.offloads(dep.a.ns, dep.a.dev, 'default', features);
    return dep;
  }

  private async deployOnly(id: AltId, mode: Offloads, children: number,
    features: Record<string, string>): Promise<Deployment> {
    switch (id) {
      case 'veth': return this.veth(mode, features);
      case 'kernel-bridge': return this.kernel('bridge', mode, children, features);
      case 'kernel-vepa': return this.kernel('vepa', mode, children, features);
      case 'umacvlan-bridge': return this.umacvlan('bridge', mode, children, features);
      case 'umacvlan-vepa': return this.umacvlan('vepa', mode, children, features);
      case 'umacvlan-macnat': return this.umacvlan('bridge', mode, children, features, ['--mac-nat']);
      case 'umacvlan-capture':
        return this.umacvlan('bridge', mode, children, features, ['--capture', `${this.sb.scratch}/capture.pcapng`, '--capture-port', 'all']);
      case 'vde': return this.vde(mode, features);
    }
  }

  private veth(mode: Offloads, features: Record<string, string>): Deployment {
    const a: Endpoint = { ns: 'a', dev: this.sb.dev('va'), ip: A_IP, mac: A_MAC };
    const b: Endpoint = { ns: 'b', dev: this.sb.dev('vb'), ip: B_IP, mac: B_MAC };
    const aOut: Endpoint = { ns: 'a', dev: this.sb.dev('da'), ip: A_OUT_IP, mac: '02:42:c6:12:01:01' };
    const outside: Endpoint = { ns: 'o', dev: this.sb.dev('do'), ip: O_OUT_IP, mac: '02:42:c6:12:01:fe' };
    for (const [x, y] of [[a, b], [aOut, outside]]) {
      this.ip(x.ns, 'link', 'add', x.dev, 'address', x.mac, 'type', 'veth', 'peer', 'name', y.dev, 'address', y.mac,
        'netns', this.sb.ns(y.ns));
      this.delLater(x.ns, x.dev);
      this.offloads(x.ns, x.dev, mode, features);
      this.offloads(y.ns, y.dev, mode, features);
      this.address(x);
      this.address(y);
    }
    return { a, b, aOut, outside, forwarders: [], features };
  }

  private kernel(kind: 'bridge' | 'vepa', mode: Offloads, children: number, features: Record<string, string>): Deployment {
    this.wire(kind === 'vepa', mode, features);
    const { a, b, outside } = this.endpoints();
    const pw = this.sb.dev('pw');
    for (const ep of [a, b]) {
      this.ip('p', 'link', 'add', 'link', pw, 'name', ep.dev, 'address', ep.mac, 'type', 'macvlan', 'mode', kind);
      this.delLater(ep.ns, ep.dev);
      this.ip('p', 'link', 'set', ep.dev, 'netns', this.sb.ns(ep.ns));
      this.address(ep);
    }
    const extras = this.extras(children);
    if (extras.length > 0) {
      const batch = extras.flatMap((x) => [`link add link ${pw} name ${x} type macvlan mode ${kind}`, `link set ${x} up`]);
      this.sh.run(['ip', '-n', this.sb.ns('p'), '-batch', '-'], { input: `${batch.join('\n')}\n`, timeoutMs: batchTimeoutMs(extras.length) });
      // Deleting the parent's wire takes these with it; no undo of their own.
    }
    return { a, b, aOut: a, outside, forwarders: [], features };
  }

  private async umacvlan(kind: 'bridge' | 'vepa', mode: Offloads, children: number,
    features: Record<string, string>, extraArgs: readonly string[] = []): Promise<Deployment> {
    this.wire(kind === 'vepa', mode, features);
    const { a, b, outside } = this.endpoints();
    const extras = this.extras(children);
    // stdbuf: V8 prints the GC lines through C stdio, block-buffered into a file; line-buffered, each line is in the
    // file when it happens, so counting lines at both ends of a load window counts the GCs inside it.
    const argv = this.inNs('p', 'stdbuf', '-oL', process.execPath, '--import', `${this.root}/bench/system/trace-gc.mjs`,
      CLI, 'run',
      '--parent', this.sb.dev('pw'),
      '--child', `${a.dev}:${a.mac}:${kind}`, '--child', `${b.dev}:${b.mac}:${kind}`,
      ...extras.flatMap((x) => ['--child', `${x}:auto:${kind}`]),
      '--netns', `${a.dev}=${this.sb.ns('a')}`, '--netns', `${b.dev}=${this.sb.ns('b')}`, ...extraArgs);
    const out = `${this.sb.scratch}/umacvlan.out`;
    const err = `${this.sb.scratch}/umacvlan.err`;
    const started = performance.now();
    const proc = this.sh.start(argv, out, err);
    let ready = false;
    this.lastStopSeconds = undefined;
    this.later('stop umacvlan', async () => {
      // The kernel unregisters each TAP as its fd is closed, ~20 ms apiece on this VM: 4,096 children take over a
      // minute (more on a loaded machine), which is a while, not a hang.
      const t0 = performance.now();
      const code = await this.sh.stop(proc, 'SIGTERM', 60_000 + 40 * children);
      this.lastStopSeconds = (performance.now() - t0) / 1000;
      this.lastLog = readText(err);
      // A daemon that never became ready has already been reported by the wait below.
      if (ready && code !== 0) throw new Error(`umacvlan exited ${code} on SIGTERM: ${tail(err)}`);
      for (const ep of [a, b]) {
        const r = this.sh.run(['ip', '-n', this.sb.ns(ep.ns), 'link', 'show', ep.dev], { allowFail: true, quiet: true });
        if (r.code === 0) throw new Error(`umacvlan left its TAP ${ep.dev} behind`);
      }
    });
    await waitFor(() => /^ready$/m.test(readText(err)), proc, 60_000 + 60 * children, 'umacvlan to print ready', err);
    ready = true;
    const startupSeconds = (performance.now() - started) / 1000;
    for (const ep of [a, b]) this.ip(ep.ns, 'addr', 'add', `${ep.ip}/24`, 'dev', ep.dev);
    if (extras.length > 0) {
      this.sh.run(['ip', '-n', this.sb.ns('p'), '-batch', '-'], { input: `${extras.map((x) => `link set ${x} up`).join('\n')}\n`,
        timeoutMs: batchTimeoutMs(extras.length) });
    }
    return { a, b, aOut: a, outside, forwarders: [{ name: 'umacvlan', proc, gcLog: out }], features, startupSeconds };
  }

  private async vde(mode: Offloads, features: Record<string, string>): Promise<Deployment> {
    this.wire(false, mode, features);
    const { a, b, outside } = this.endpoints();
    const pw = this.sb.dev('pw');
    const up = this.sb.dev('vt');
    const br = this.sb.dev('vbr');
    const sock = `${this.sb.scratch}/vde.ctl`;
    // Every port a TAP: the two children's, and a third one joined to the parent's wire by a Linux bridge, the
    // usual way to give a vde_switch an uplink. (vde_pcapplug on the wire would do without the bridge, but its
    // libpcap buffers received frames until a block fills, so ARP replies wait for seconds.)
    const sw = this.sh.start(this.inNs('p', 'vde_switch', '-s', sock, '-t', a.dev, '-t', b.dev, '-t', up),
      `${this.sb.scratch}/vde.out`, `${this.sb.scratch}/vde.err`);
    this.later('stop vde_switch', async () => { await this.sh.stop(sw, 'SIGTERM', 3000); });
    const has = (dev: string): boolean =>
      this.sh.run(['ip', '-n', this.sb.ns('p'), 'link', 'show', dev], { allowFail: true, quiet: true }).code === 0;
    await waitFor(() => has(a.dev) && has(b.dev) && has(up), sw, 10_000, 'vde_switch to create its TAPs',
      `${this.sb.scratch}/vde.err`);
    for (const ep of [a, b]) {
      this.ip('p', 'link', 'set', ep.dev, 'netns', this.sb.ns(ep.ns));
      this.ip(ep.ns, 'link', 'set', ep.dev, 'address', ep.mac);
      this.address(ep);
    }
    this.ip('p', 'link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    this.delLater('p', br);
    this.ip('p', 'link', 'set', up, 'master', br);
    this.ip('p', 'link', 'set', pw, 'master', br);
    for (const d of [up, br]) this.ip('p', 'link', 'set', d, 'up');
    return { a, b, aOut: a, outside, features, forwarders: [{ name: 'vde_switch', proc: sw }] };
  }

  /** Undoes the deployment in reverse order; returns what went wrong (each step is tried). */
  async teardown(): Promise<string[]> {
    const problems: string[] = [];
    for (const step of this.undo.reverse()) {
      try {
        await step.run();
      } catch (e) {
        problems.push(`${step.what}: ${(e as Error).message}`);
      }
    }
    this.undo = [];
    // Whatever is left with our prefix (a TAP a forwarder forgot, an extra child) goes too.
    for (const key of ['p', 'a', 'b', 'o', 's'] as const) {
      const list = this.sh.run(['ip', '-n', this.sb.ns(key), '-o', 'link', 'show'], { quiet: true }).stdout;
      for (const m of list.matchAll(new RegExp(`^\\d+: (${this.sb.base}\\w+)[@:]`, 'gm'))) {
        this.sh.run(['ip', '-n', this.sb.ns(key), 'link', 'del', m[1]], { allowFail: true, quiet: true });
      }
    }
    return problems;
  }
}

/** An `ip -batch` over n devices: a few milliseconds each, and a loaded machine. */
const batchTimeoutMs = (n: number): number => 30_000 + 20 * n;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string): string {
  return readText(file).trim().split('\n').slice(-3).join(' | ');
}

async function waitFor(ok: () => boolean, proc: Proc, timeoutMs: number, what: string, errFile: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (proc.exitCode !== undefined) throw new Error(`exited ${proc.exitCode} while waiting for ${what}: ${tail(errFile)}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${tail(errFile)}`);
    await sleep(25);
  }
}
