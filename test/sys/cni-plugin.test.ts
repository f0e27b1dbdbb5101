// The CNI plugin (README, "Containers"): the shim `umacvlan cni install` writes, run as a runtime runs it (the CNI
// environment, the config on stdin) against a daemon serving the master; Debian's host-local as IPAM. The reference
// macvlan plugin's own cases, each error case with its code, GC and STATUS at 1.1.0, and a --persist restart.
//
//   d: the daemon's namespace, master m (veth to x), default route via m     c1, c2: the containers' namespaces
//
// The shim runs in d's namespace: it finds the daemon's default socket from its own namespace, as on a node.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { runCli, startDaemon, type RunningDaemon } from '../../support/daemon.js';

const root = isRoot();
const HOST_LOCAL = '/usr/lib/cni/host-local';

interface Out { code: number; json: Record<string, any> | null; stdout: string }

describe.skipIf(!root || !existsSync(HOST_LOCAL))('CNI plugin umacvlan (root)', () => {
  let sb: Sandbox;
  let dir: string, bin: string, shim: string, state: string;
  let dns: string, xns: string, m: string, c1: string, c2: string;
  let d: RunningDaemon<null> | null = null;
  const cid = (s: string): string => `${sb.prefix}${s}`;

  const start = async (): Promise<void> => {
    d = await startDaemon(sb, dns, ['--parent', m, '--persist', '--state', state], { ownControl: false });
  };
  const conf = (extra: Record<string, unknown> = {}, version = '1.0.0'): Record<string, unknown> => ({
    cniVersion: version, name: 'ucdnet', type: 'umacvlan', master: m,
    ipam: { type: 'host-local', subnet: '198.18.6.0/24', dataDir: join(dir, 'ipam') }, ...extra,
  });
  const cni = (command: string, cfg: Record<string, unknown> | string, env: Record<string, string> = {}): Out => {
    const r = spawnSync('ip', ['netns', 'exec', dns, shim], {
      input: typeof cfg === 'string' ? cfg : JSON.stringify(cfg), encoding: 'utf8', timeout: 30_000,
      env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_PATH: `/usr/lib/cni:${bin}`, CNI_IFNAME: 'eth0', ...env },
    });
    let json: Out['json'] = null;
    try { json = JSON.parse(r.stdout) as Out['json']; } catch { /* empty or not JSON */ }
    return { code: r.status ?? -1, json, stdout: r.stdout };
  };
  const attach = (ns: string, id: string, ifname = 'eth0'): Record<string, string> =>
    ({ CNI_CONTAINERID: cid(id), CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: ifname });
  const link = (ns: string, ifname = 'eth0'): { address: string; operstate: string; addr_info: Array<{ family: string; local: string }> } | null => {
    try { return (JSON.parse(sb.run(ns, ['ip', '-j', 'addr', 'show', 'dev', ifname])) as any[])[0]; } catch { return null; }
  };
  const leases = (): string[] => { try { return readdirSync(join(dir, 'ipam', 'ucdnet')).filter((f) => f.startsWith('198.')); } catch { return []; } };

  beforeAll(async () => {
    sb = createSandbox('ucd');
    dir = mkdtempSync(join(tmpdir(), 'ucd-'));
    bin = join(dir, 'bin');
    state = join(dir, 'm.state');
    dns = sb.addNs('d');
    xns = sb.addNs('x');
    c1 = sb.addNs('c1');
    c2 = sb.addNs('c2');
    [m] = sb.addVeth(dns, 'm', xns, 'x');
    sb.run(dns, ['ip', 'route', 'add', 'default', 'via', '198.18.5.254', 'dev', m, 'onlink']);
    const inst = runCli(null, ['cni', 'install', '--dir', bin + '/']);
    expect(inst.code, inst.stderr).toBe(1);  // no such directory yet: the system's error, exit 1
    spawnSync('mkdir', ['-p', bin]);
    const ok = runCli(null, ['cni', 'install', '--dir', bin]);
    expect(ok.code, ok.stderr).toBe(0);
    shim = ok.stdout.trim();
    expect(shim).toBe(join(bin, 'umacvlan'));
    // a 1.1.0 IPAM stub: answers VERSION with 1.1.0 and records the GC it is asked for
    writeFileSync(join(bin, 'ucd-ipam'), `#!/bin/sh\ncase "$CNI_COMMAND" in\nVERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}';;\n` +
      `ADD) echo '{"cniVersion":"1.1.0","ips":[{"address":"198.18.7.9/24"}]}';;\nGC) cat > ${join(dir, 'gc-seen')};;\nesac\n`);
    chmodSync(join(bin, 'ucd-ipam'), 0o755);
    await start();
  }, 60_000);

  afterAll(async () => {
    try { await d?.stop('SIGKILL'); } finally {
      sb?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('VERSION is answered by the plugin itself', () => {
    const r = cni('VERSION', { cniVersion: '1.0.0' });
    expect(r.code).toBe(0);
    expect(r.json?.supportedVersions).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  });

  for (const version of ['0.3.1', '0.4.0', '1.0.0']) {
    test(`ADD/DEL with host-local at ${version}: one interface named CNI_IFNAME with the link's MAC and one IPv4; gone after DEL; DEL twice`, () => {
      const env = attach(c1, `v${version.replace(/\./g, '')}`);
      const r = cni('ADD', conf({}, version), env);
      expect(r.code, r.stdout).toBe(0);
      expect(r.json?.cniVersion).toBe(version);
      expect(r.json?.interfaces).toHaveLength(1);
      expect(r.json?.interfaces[0].name).toBe('eth0');
      const l = link(c1)!;
      expect(r.json?.interfaces[0].mac).toBe(l.address);
      const v4 = l.addr_info.filter((a) => a.family === 'inet');
      expect(v4).toHaveLength(1);
      expect(r.json?.ips[0].address).toBe(`${v4[0].local}/24`);
      expect(leases()).toHaveLength(1);
      expect(cni('DEL', conf({}, version), env).code).toBe(0);
      expect(link(c1)).toBeNull();
      expect(leases()).toHaveLength(0);
      expect(cni('DEL', conf({}, version), env).code).toBe(0);
    });
  }

  test('del --cni CONTAINERID/IFNAME removes the child serving it; show --cni of none is an error', () => {
    const env = attach(c2, 'cli');
    expect(cni('ADD', conf({ ipam: {} }), env).code).toBe(0);
    expect(runCli(dns, ['del', '--cni', `${cid('cli')}/eth0`, '--parent', m]).code).toBe(0);
    expect(link(c2)).toBeNull();
    expect(runCli(dns, ['show', '--cni', `${cid('cli')}/eth0`, '--parent', m]).code).not.toBe(0);
    expect(cni('DEL', conf({ ipam: {} }), env).code).toBe(0);
  });

  test('DEL of something never added succeeds', () => {
    expect(cni('DEL', conf(), attach(c2, 'never')).code).toBe(0);
  });

  test('L2 only ("ipam": {}): no IPs, the link up', () => {
    const env = attach(c1, 'l2');
    const r = cni('ADD', conf({ ipam: {} }), env);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json?.ips ?? []).toEqual([]);
    const l = link(c1)!;
    expect(l.addr_info.filter((a) => a.family === 'inet')).toEqual([]);
    expect(l.operstate).not.toBe('DOWN');
    expect(cni('DEL', conf({ ipam: {} }), env).code).toBe(0);
  });

  test('ADD/CHECK/DEL: CHECK passes with the prevResult, fails once the address is removed from inside', () => {
    const env = attach(c1, 'chk');
    const add = cni('ADD', conf(), env);
    expect(add.code, add.stdout).toBe(0);
    expect(cni('CHECK', conf({ prevResult: add.json }), env).code).toBe(0);
    sb.run(c1, ['ip', 'addr', 'flush', 'dev', 'eth0']);
    const bad = cni('CHECK', conf({ prevResult: add.json }), env);
    expect(bad.code).toBe(1);
    expect(bad.json?.msg).toMatch(/Failed to match addr/);
    expect(cni('DEL', conf({ prevResult: add.json }), env).code).toBe(0);
  });

  test('master omitted: the default route\'s interface (the daemon\'s master)', () => {
    const env = attach(c1, 'nomaster');
    const { master: _, ...rest } = conf();
    const r = cni('ADD', rest, env);
    expect(r.code, r.stdout).toBe(0);
    expect(cni('DEL', rest, env).code).toBe(0);
  });

  test('MAC from CNI_ARGS, and from runtimeConfig over it', () => {
    const env = { ...attach(c1, 'mac'), CNI_ARGS: 'IgnoreUnknown=1;MAC=02:00:5e:10:00:01;K8S_POD_NAME=x' };
    let r = cni('ADD', conf(), env);
    expect(r.code, r.stdout).toBe(0);
    expect(link(c1)!.address).toBe('02:00:5e:10:00:01');
    expect(cni('DEL', conf(), env).code).toBe(0);
    const rc = conf({ runtimeConfig: { mac: '02:00:5e:10:00:02' } });
    r = cni('ADD', rc, env);
    expect(r.code, r.stdout).toBe(0);
    expect(link(c1)!.address).toBe('02:00:5e:10:00:02');
    expect(r.json?.interfaces[0].mac).toBe('02:00:5e:10:00:02');
    expect(cni('DEL', rc, env).code).toBe(0);
  });

  test('error cases with their codes; nothing left behind', () => {
    const env = attach(c2, 'err');
    const code = (r: Out): number | undefined => r.json?.code as number | undefined;
    expect(code(cni('ADD', conf({ mtu: 9999 }), env))).toBe(7);
    expect(cni('ADD', conf({ mtu: 9999 }), env).json?.msg).toMatch(/invalid MTU 9999, must be \[0, master MTU\(1500\)\]/);
    expect(code(cni('ADD', conf({ mode: 7 }), env))).toBe(7);
    expect(code(cni('ADD', conf({ linkInContainer: true }), env))).toBe(2);
    expect(code(cni('ADD', conf({}, '0.2.0'), env))).toBe(1);
    expect(code(cni('ADD', conf(), { ...env, CNI_NETNS: '/run/netns/ucd-none' }))).toBe(3);
    expect(code(cni('ADD', conf(), { CNI_IFNAME: 'eth0' }))).toBe(4);
    expect(code(cni('ADD', 'not json', env))).toBe(6);
    expect(code(cni('CHECK', conf({}, '0.3.1'), env))).toBe(1);
    expect(code(cni('ADD', conf({ master: 'ucdother' }), env))).toBe(11);
    // the same attachment twice, and CNI_IFNAME already there
    expect(cni('ADD', conf(), env).code).toBe(0);
    expect(cni('ADD', conf(), env).code).toBe(1);
    expect(cni('ADD', conf(), { ...env, CNI_CONTAINERID: cid('err2') }).code).toBe(1);
    expect(cni('DEL', conf(), env).code).toBe(0);
    expect(link(c2)).toBeNull();
    expect(leases()).toHaveLength(0);
  });

  test('1.1.0: STATUS answers 0; GC removes exactly the stale children of its network and delegates to a 1.1.0 IPAM', () => {
    const v11 = (name: string): Record<string, unknown> => conf({ name, ipam: { type: 'ucd-ipam' } }, '1.1.0');
    expect(cni('STATUS', v11('ucdnet')).code).toBe(0);
    const keep = attach(c1, 'keep'), stale = attach(c2, 'stale'), other = attach(c1, 'other', 'eth1');
    expect(cni('ADD', v11('ucdnet'), keep).code).toBe(0);
    expect(cni('ADD', v11('ucdnet'), stale).code).toBe(0);
    expect(cni('ADD', v11('ucdother'), other).code).toBe(0);
    const valid = [{ containerID: cid('keep'), ifname: 'eth0' }];
    const gc = cni('GC', { ...v11('ucdnet'), 'cni.dev/valid-attachments': valid });
    expect(gc.code, gc.stdout).toBe(0);
    expect(link(c1)).not.toBeNull();
    expect(link(c2)).toBeNull();
    expect(link(c1, 'eth1')).not.toBeNull();
    expect(existsSync(join(dir, 'gc-seen'))).toBe(true);
    expect(cni('DEL', v11('ucdnet'), keep).code).toBe(0);
    expect(cni('DEL', v11('ucdother'), other).code).toBe(0);
  });

  test('a --persist restart between ADD and DEL: DEL removes the child and its lease', async () => {
    const env = attach(c1, 'restart');
    expect(cni('ADD', conf(), env).code).toBe(0);
    await d!.stop('SIGTERM');
    expect(link(c1)).not.toBeNull();
    await start();
    const show = runCli(dns, ['show', '--cni', `${cid('restart')}/eth0`, '--json', '--parent', m]);
    expect(show.code, show.stderr).toBe(0);
    const [view] = JSON.parse(show.stdout) as Array<{ cni: { network: string; containerId: string; ifname: string; ips: string[] } }>;
    expect(view.cni).toEqual({ network: 'ucdnet', containerId: cid('restart'), ifname: 'eth0', ips: [expect.stringMatching(/^198\.18\.6\.\d+\/24$/)] });
    expect(cni('DEL', conf(), env).code).toBe(0);
    expect(link(c1)).toBeNull();
    expect(leases()).toHaveLength(0);
  });

  test('daemon down: ADD 11, STATUS 50, DEL done by the plugin; after a restart the child does not come back', async () => {
    const env = attach(c1, 'down');
    expect(cni('ADD', conf(), env).code).toBe(0);
    await d!.stop('SIGTERM');
    d = null;
    const add = cni('ADD', conf(), attach(c2, 'down2'));
    expect(add.json?.code).toBe(11);
    expect(add.json?.msg).toContain(`umacvlan run --parent ${m} --persist`);
    expect(cni('STATUS', conf({}, '1.1.0')).json?.code).toBe(50);
    expect(cni('DEL', conf(), env).code).toBe(0);
    expect(link(c1)).toBeNull();
    expect(leases()).toHaveLength(0);
    await start();
    expect(link(c1)).toBeNull();
    const show = runCli(dns, ['show', '--json', '--parent', m]);
    expect(show.stdout).not.toContain(cid('down'));
  });
});
