// The host port (README, "Host ↔ children") beside the hand-made shim the kernel's macvlan needs, in one namespace:
//
//   h (the daemon's namespace, arp_ignore=1)            sw: two Linux bridges, hairpin on xk/xu switched per scenario
//     pk ──veth── xk (bridge bk)   kernel side: kb kv kr (macvlan bridge/vepa/private on pk, one namespace each,
//       └─ ks: macvlan bridge shim, 198.18.1.1/32,        198.18.1.11/.12/.13) and the shim with a /32 route to each
//          a /32 route to each child
//     pu ──veth── xu (bridge bu)   umacvlan side: the daemon on pu with --host-port (198.18.2.1/32); ub uv ur made by
//       └─ the host port (a TAP)                          CNI ADD (modes bridge/vepa/private, static IPAM 198.18.2.11/.12/.13),
//                                                         whose results feed the host port's routes
//
// The host's addresses are /32: a child is reachable from h only through its host route. Neighbours are resolved by
// ARP (not static), so what the kernel's rules let through is what decides: a bridge child locally, a VEPA child
// through the hairpin, a private child never (the shim's ARP broadcast is flooded back only to VEPA ports). The
// expected table, the kernel's and the daemon's must agree. Then: routes come and go with CNI children, SIGTERM
// leaves nothing, and a --persist restart keeps the host port and its routes.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { runCli, startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { udpEchoServer } from '../../support/echo.js';
import { ECHO_CLI } from '../../support/paths.js';

const root = isRoot();
const STATIC_IPAM = '/usr/lib/cni/static';
const MODES = ['bridge', 'vepa', 'private'] as const;
type ModeName = (typeof MODES)[number];
const EXPECT: Record<'off' | 'on', Record<ModeName, boolean>> = {
  off: { bridge: true, vepa: false, private: false },
  on: { bridge: true, vepa: true, private: false },
};
const kIp = (i: number): string => `198.18.1.${11 + i}`;
const uIp = (i: number): string => `198.18.2.${11 + i}`;

/** Our ping (UDP echo, ARP first) from ns, asynchronously: true when the probe came back */
function reaches(ns: string, ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, ECHO_CLI, 'ping', ip, '7', '1', '2000'], { timeout: 15_000, encoding: 'utf8' },
      (_err, stdout) => {
        try { resolve((JSON.parse(stdout) as { received: number }).received === 1); } catch { resolve(false); }
      });
  });
}

describe.skipIf(!root || !existsSync(STATIC_IPAM))('host port beside a kernel macvlan shim (root)', () => {
  let sb: Sandbox;
  let dir: string, shim: string, state: string;
  let h: string, sw: string, pk: string, pu: string, xk: string, xu: string, hp: string, ks: string;
  const kns: string[] = [], uns: string[] = [];
  let d: RunningDaemon<null> | null = null;

  const conf = (mode: string, ip: string): string => JSON.stringify({
    cniVersion: '1.0.0', name: 'uhpnet', type: 'umacvlan', master: pu, mode,
    ipam: { type: 'static', addresses: [{ address: `${ip}/${ip.includes(':') ? 64 : 24}` }] },
  });
  const cni = (command: 'ADD' | 'DEL', ns: string, mode: string, ip: string): { code: number; out: string } => {
    const r = spawnSync('ip', ['netns', 'exec', h, shim], {
      input: conf(mode, ip), encoding: 'utf8', timeout: 30_000,
      env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_PATH: `/usr/lib/cni:${dir}`, CNI_IFNAME: 'eth0',
        CNI_CONTAINERID: `${sb.prefix}${ns.slice(-3)}`, CNI_NETNS: `/run/netns/${ns}` },
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };
  const start = async (extra: string[] = []): Promise<RunningDaemon<null>> =>
    startDaemon(sb, h, ['--parent', pu, '--host-port', hp, '--host-port-addr', '198.18.2.1/32', ...extra], { ownControl: false });
  const routes = (dev: string): string[] => {
    try {
      return (JSON.parse(sb.run(h, ['ip', '-j', 'route', 'show', 'dev', dev])) as Array<{ dst: string; protocol?: string }>)
        .map((r) => `${r.dst}${r.protocol ? ` ${r.protocol}` : ''}`).sort();
    } catch { return []; }
  };
  const hasLink = (name: string): boolean => spawnSync('ip', ['netns', 'exec', h, 'ip', 'link', 'show', 'dev', name]).status === 0;
  const show = (): Array<{ name: string; kind?: string; adopted?: boolean; hostPort?: { addrs: string[]; routes: string[] } }> => {
    const r = runCli(h, ['show', '--json', '--parent', pu]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    sb = createSandbox('uhp');
    dir = mkdtempSync(join(tmpdir(), 'uhp-'));
    state = join(dir, 'pu.state');
    h = sb.addNs('h');
    sw = sb.addNs('sw');
    [xk, pk] = sb.addVeth(sw, 'xk', h, 'pk');
    [xu, pu] = sb.addVeth(sw, 'xu', h, 'pu');
    hp = sb.name('hp');
    ks = sb.name('ks');
    for (const [br, port] of [[sb.name('bk'), xk], [sb.name('bu'), xu]]) {
      sb.exec(sw, `ip link add ${br} type bridge stp_state 0 && ip link set ${br} up && ip link set ${port} master ${br}`);
    }
    // Only the address's own interface answers ARP for it: the parents' stacks must not answer for the shims'.
    sb.exec(h, 'sysctl -qw net.ipv4.conf.all.arp_ignore=1');
    MODES.forEach((mode, i) => {
      kns.push(sb.addNs(`k${mode[0]}`));
      uns.push(sb.addNs(`u${mode[0]}`));
      const n = sb.name(`k${mode[0]}`);
      sb.exec(h, `ip link add ${n} link ${pk} type macvlan mode ${mode} && ip link set ${n} netns ${kns[i]}`);
      sb.exec(kns[i], `ip link set ${n} up && ip addr add ${kIp(i)}/24 dev ${n}`);
      udpEchoServer(sb, kns[i], kIp(i), 120);
    });
    sb.exec(h, `ip link add ${ks} link ${pk} type macvlan mode bridge && ip link set ${ks} up && ip addr add 198.18.1.1/32 dev ${ks}`);
    for (let i = 0; i < MODES.length; i++) sb.exec(h, `ip route add ${kIp(i)}/32 dev ${ks}`);
    mkdirSync(dir, { recursive: true });
    const inst = runCli(null, ['cni', 'install', '--dir', dir]);
    expect(inst.code, inst.stderr).toBe(0);
    shim = inst.stdout.trim();
    d = await start();
  }, 60_000);

  afterAll(async () => {
    try { await d?.stop('SIGKILL'); } finally {
      sb?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the host port: a TAP in the daemon\'s namespace with its address; routes appear and go with CNI children', () => {
    expect(hasLink(hp)).toBe(true);
    expect(sb.run(h, ['ip', '-4', '-o', 'addr', 'show', 'dev', hp])).toMatch(/inet 198\.18\.2\.1\/32/);
    expect(routes(hp)).toEqual([]);
    MODES.forEach((mode, i) => {
      const r = cni('ADD', uns[i], mode, uIp(i));
      expect(r.code, r.out).toBe(0);
      udpEchoServer(sb, uns[i], uIp(i), 120);
    });
    expect(routes(hp)).toEqual(MODES.map((_, i) => `${uIp(i)} static`));
    const view = show().find((p) => p.name === hp)!;
    expect(view.kind).toBe('host-port');
    expect(view.hostPort?.addrs).toEqual(['198.18.2.1/32']);
    expect(view.hostPort?.routes.sort()).toEqual(MODES.map((_, i) => uIp(i)));
    const text = runCli(h, ['show', hp, '--parent', pu]).stdout;
    expect(text).toMatch(new RegExp(`^${hp}: host-port bridge `, 'm'));
    expect(text).toMatch(/host port: addresses 198\.18\.2\.1\/32; routes 198\.18\.2\.1[1-3]/);
    // one more child comes and goes: its route with it
    const extra = sb.addNs('ux');
    expect(cni('ADD', extra, 'bridge', '198.18.2.20').code).toBe(0);
    expect(routes(hp)).toContain('198.18.2.20 static');
    expect(cni('DEL', extra, 'bridge', '198.18.2.20').code).toBe(0);
    expect(routes(hp)).not.toContain('198.18.2.20 static');
    expect(routes(hp)).toHaveLength(MODES.length);
  });

  test('IPv6: a CNI child\'s IPv6 address gets a host route through the host port, and the host reaches it', async () => {
    // This test is about IPv6: on for the host port (the daemon's namespace keeps it off elsewhere) and in one child.
    const ns6 = sb.addNs('u6', { ipv6: true });
    sb.exec(h, `sysctl -qw net.ipv6.conf.${hp}.disable_ipv6=0 && ip -6 addr add fd00:2::1/128 dev ${hp} nodad`);
    const add = cni('ADD', ns6, 'bridge', 'fd00:2::20');
    expect(add.code, add.out).toBe(0);
    const routes6 = (): string[] => sb.run(h, ['ip', '-6', 'route', 'show', 'dev', hp]).split('\n').map((l) => l.split(' ')[0]);
    expect(routes6()).toContain('fd00:2::20');
    expect(show().find((p) => p.name === hp)!.hostPort?.routes).toContain('fd00:2::20');
    // DAD in the child's namespace: the echo server can bind the address once it is no longer tentative
    for (let i = 0; i < 50 && /tentative/.test(sb.run(ns6, ['ip', '-6', 'addr', 'show', 'dev', 'eth0'])); i++) await new Promise((r) => setTimeout(r, 100));
    udpEchoServer(sb, ns6, 'fd00:2::20', 60);
    expect(await reaches(h, 'fd00:2::20')).toBe(true);
    const del = cni('DEL', ns6, 'bridge', 'fd00:2::20');
    expect(del.code, del.out).toBe(0);
    expect(routes6()).not.toContain('fd00:2::20');
    sb.exec(h, `ip -6 addr del fd00:2::1/128 dev ${hp} && sysctl -qw net.ipv6.conf.${hp}.disable_ipv6=1`);
  }, 60_000);

  test('a bad --host-port or --host-port-addr: exit 2, the option named, nothing made', () => {
    for (const [args, culprit] of [[['--host-port', 'a/b'], '--host-port a/b: '], [['--host-port', `${hp}x:01:00:5e:00:00:01`], '--host-port '],
      [['--host-port', `${hp}x`, '--host-port-addr', '198.18.2.300/24'], '--host-port-addr 198.18.2.300/24: ']] as const) {
      const r = runCli(h, ['run', '--parent', pu, ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.startsWith(`umacvlan: ${culprit}`), r.stderr).toBe(true);
    }
    expect(hasLink(`${hp}x`)).toBe(false);
  });

  for (const hairpin of ['off', 'on'] as const) {
    test(`from the host, hairpin ${hairpin}: the host port reaches what the kernel's shim reaches`, async () => {
      sb.exec(sw, `ip link set ${xk} type bridge_slave hairpin ${hairpin} && ip link set ${xu} type bridge_slave hairpin ${hairpin}`);
      // A scenario must not inherit the neighbours the previous one resolved (nor the switches their FDB).
      for (const ns of [h, ...kns, ...uns]) sb.exec(ns, 'ip neigh flush all');
      sb.exec(sw, `bridge fdb flush dev ${xk} dynamic; bridge fdb flush dev ${xu} dynamic; true`);
      const all = await Promise.all([...MODES.map((_, i) => reaches(h, kIp(i))), ...MODES.map((_, i) => reaches(h, uIp(i)))]);
      const kernel = all.slice(0, MODES.length), ours = all.slice(MODES.length);
      const rows = MODES.map((m, i) => `${m.padEnd(8)} expected ${EXPECT[hairpin][m]} kernel shim ${kernel[i]} host port ${ours[i]}`);
      process.stdout.write(`host → children, hairpin ${hairpin}:\n  ${rows.join('\n  ')}\n`);
      expect(kernel).toEqual(MODES.map((m) => EXPECT[hairpin][m]));
      expect(ours).toEqual(kernel);
    }, 60_000);
  }

  test('SIGTERM: the host port, its address and its routes are gone', async () => {
    const r = await d!.stop('SIGTERM');
    d = null;
    expect(r.code).toBe(0);
    expect(hasLink(hp)).toBe(false);
    expect(sb.run(h, ['ip', '-o', 'addr', 'show'])).not.toMatch(/198\.18\.2\./);
    expect(sb.run(h, ['ip', 'route', 'show'])).not.toMatch(/198\.18\.2\./);
  });

  test('--persist: a restart keeps the host port and its routes, and the host reaches the bridge child again', async () => {
    d = await start(['--persist', '--state', state]);
    expect(cni('ADD', uns[0], 'bridge', uIp(0)).code).toBe(0);
    expect(routes(hp)).toEqual([`${uIp(0)} static`]);
    await d.stop('SIGTERM');
    d = null;
    // kept: the TAP (without carrier), its address and its route
    expect(hasLink(hp)).toBe(true);
    expect(routes(hp).map((r) => r.split(' ')[0])).toEqual([uIp(0)]);
    d = await start(['--persist', '--state', state]);
    expect(routes(hp)).toEqual([`${uIp(0)} static`]);
    const view = show().find((p) => p.name === hp)!;
    expect(view).toMatchObject({ kind: 'host-port', adopted: true, hostPort: { addrs: ['198.18.2.1/32'], routes: [uIp(0)] } });
    sb.exec(h, 'ip neigh flush all');
    expect(await reaches(h, uIp(0))).toBe(true);
    // the end: the children and the host port go with the daemon (stop --remove-children)
    const stop = runCli(h, ['stop', '--remove-children', '--parent', pu]);
    expect(stop.code, stop.stderr).toBe(0);
    await d.exited;
    d = null;
    expect(hasLink(hp)).toBe(false);
    expect(sb.run(h, ['ip', 'route', 'show'])).not.toMatch(/198\.18\.2\./);
  }, 60_000);
});
