// The daemon rows' topology, one copy per implementation, on the project's one sandbox (support/sandbox.ts) and its
// one daemon launcher (support/daemon.ts):
//
//   x: outside host, 198.18.0.1 ──veth── parent in d ── kid k in namespace kK (198.18.0.(10 + k)), bridge mode
//
// 'k': kernel macvlan children made on the parent and moved into their namespaces; 'u': `umacvlan run` in d with one
// TAP per kid. The daemon's control socket and state file live in a temporary directory the lab removes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { macText, testMac } from '../../support/addresses.js';
import { runCli, startDaemon, type RunningDaemon } from '../../support/daemon.js';
import type { Sandbox } from '../../support/sandbox.js';

export type Impl = 'k' | 'u';
export const IMPL_NAME: Record<Impl, string> = { k: 'kernel macvlan', u: 'umacvlan' };

export interface LabKid { readonly name: string; readonly ns: string; readonly mac: string; readonly ip: string }

export interface DaemonLab {
  readonly impl: Impl;
  readonly ext: string;
  readonly extIf: string;
  readonly extIp: string;
  readonly dp: string;
  readonly parent: string;
  readonly kids: readonly LabKid[];
  /** the daemon ('u' only) and the PID whose /proc entries are its (`ip netns exec` execs it in place) */
  daemon: RunningDaemon<null> | null;
  /** SIGTERM and start again with the same command ('u' only; --persist keeps the children) */
  restart(): Promise<void>;
  cli(args: readonly string[]): string;
  /** stops the daemon and removes the temporary directory (the sandbox removes the namespaces) */
  close(): Promise<void>;
}

export const EXT_IP = '198.18.0.1';

/** `count` kids in namespaces of their own, all in bridge mode. `tag` keeps two labs of one sandbox apart. */
export async function makeDaemonLab(sb: Sandbox, impl: Impl, tag: string, count: number): Promise<DaemonLab> {
  const ext = sb.addNs(`-${tag}x`);
  const dp = sb.addNs(`-${tag}d`);
  const [extIf, parent] = sb.addVeth(ext, `${tag}e`, dp, `${tag}p`);
  sb.run(ext, ['ip', 'addr', 'add', `${EXT_IP}/16`, 'dev', extIf]);
  const kids: LabKid[] = [];
  for (let k = 1; k <= count; k++) {
    kids.push({
      name: sb.name(`${tag}${k}`), ns: sb.addNs(`-${tag}k${k}`), mac: macText(testMac(0x30, k)),
      ip: `198.18.${Math.floor((10 + k) / 256)}.${(10 + k) % 256}`,
    });
  }
  const dir = mkdtempSync(join(tmpdir(), `${sb.prefix}-d-`));
  const control = join(dir, 'control.sock');
  const args = ['--parent', parent, '--control', control, '--persist', '--state', join(dir, 'state'),
    ...kids.flatMap((k) => ['--child', `${k.name}:${k.mac}:bridge`, '--netns', `${k.name}=${k.ns}`])];
  let daemon: RunningDaemon<null> | null = null;
  if (impl === 'k') {
    for (const k of kids) {
      sb.run(dp, ['ip', 'link', 'add', k.name, 'link', parent, 'address', k.mac, 'type', 'macvlan', 'mode', 'bridge']);
      sb.run(dp, ['ip', 'link', 'set', k.name, 'netns', k.ns]);
      sb.run(k.ns, ['ip', 'link', 'set', k.name, 'up']);
    }
  } else {
    daemon = await startDaemon(sb, dp, args, { ownControl: false, timeoutMs: 60_000 });
  }
  for (const k of kids) sb.run(k.ns, ['ip', 'addr', 'add', `${k.ip}/16`, 'dev', k.name]);
  const lab: DaemonLab = {
    impl, ext, extIf, extIp: EXT_IP, dp, parent, kids, daemon,
    async restart() {
      if (!lab.daemon) throw new Error('restart: the kernel has no daemon');
      await lab.daemon.stop('SIGTERM');
      lab.daemon = await startDaemon(sb, dp, args, { ownControl: false, timeoutMs: 60_000 });
    },
    cli(a) {
      const r = runCli(dp, [...a, '--control', control]);
      if (r.code !== 0) throw new Error(`umacvlan ${a.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    async close() {
      try {
        // --forget-all is not needed: the namespaces, and the TAPs in them, go with the sandbox.
        await lab.daemon?.stop('SIGTERM');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return lab;
}
