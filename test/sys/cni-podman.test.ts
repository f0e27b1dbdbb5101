// A real runtime: rootful podman (Debian's 4.3, network_backend "cni") runs two containers on a umacvlan network.
// Its plugin directory holds `umacvlan` (written by `umacvlan cni install --dir`) before Debian's plugins; the image
// is built here from busybox-static's /bin/busybox with `podman import`, nothing is pulled. The containers get
// addresses, reach each other and the host outside; `podman rm` removes their children from the daemon.
//
//   pd: the node (master pm, veth to px; the daemon and podman run here)   px: the host outside, 198.18.9.254
//
// Facts of this machine kind: podman runs under `nsenter --net` (`ip netns exec` remounts /sys and hides the cgroup
// mounts), with runc and cgroupfs, and ulimits below the hard limits. Everything podman keeps (its storage, run
// directory, runc's state, temporary files, network configs, events) is in the test's temporary directory, except
// two caches podman 4.3 puts where it likes, removed again (PODMAN_VAR, CNI_CACHE); podman names its own namespaces
// under /run/netns, and the test checks that none of them is left.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { udpEchoServer } from '../../support/echo.js';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';

const BUSYBOX = '/bin/busybox';
const OUTSIDE = '198.18.9.254';
const NETWORK = 'ucsnet';
const IMAGE = 'localhost/ucs-busybox:latest';
/** What podman 4.3 writes whatever --root says: its blob-info cache (podman import) and libcni's result cache. The
 *  test removes them again when it made them (the cache directory only when empty). */
const PODMAN_VAR = '/var/lib/containers';
const CNI_CACHE = '/var/lib/cni';

const tools = ['podman', 'runc', 'nsenter'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const podmanNetns = (): string[] => {
  try { return readdirSync('/run/netns').filter((n) => /^(netns-|cni-)/.test(n)); } catch { return []; }
};

describe.skipIf(!isRoot() || !tools || !existsSync(BUSYBOX) || !existsSync('/usr/lib/cni/host-local'))('CNI with podman (root)', () => {
  let sb: Sandbox;
  let dir: string, dns: string, xns: string, m: string;
  let daemon: RunningDaemon<null> | null = null;
  let netnsBefore: Set<string>;
  let global: string[];
  let podmanVarExisted = true, cniCacheExisted = true;

  const podman = (args: readonly string[], timeout = 60_000): { code: number; out: string; err: string } => {
    const r = spawnSync('nsenter', [`--net=/run/netns/${dns}`, 'podman', ...global, ...args], {
      encoding: 'utf8', timeout, env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), TMPDIR: join(dir, 'tmp') },
    });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  };
  const must = (args: readonly string[]): string => {
    const r = podman(args);
    expect(r.code, `podman ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  /** The daemon's CNI children (show --json lists every port; a CNI child names its attachment). */
  const cniChildren = (): string[] => {
    const show = runCli(dns, ['show', '--json', '--parent', m]);
    expect(show.code, show.stderr).toBe(0);
    return (JSON.parse(show.stdout) as Array<{ name: string; cni?: unknown }>).filter((p) => p.cni !== undefined).map((p) => p.name);
  };

  beforeAll(async () => {
    netnsBefore = new Set(podmanNetns());
    podmanVarExisted = existsSync(PODMAN_VAR);
    cniCacheExisted = existsSync(CNI_CACHE);
    sb = createSandbox('ucs');
    dir = mkdtempSync(join(tmpdir(), 'ucs-podman-'));
    dns = sb.addNs('pd');
    xns = sb.addNs('px');
    let x: string;
    [m, x] = sb.addVeth(dns, 'pm', xns, 'px');
    sb.run(xns, ['ip', 'addr', 'add', `${OUTSIDE}/24`, 'dev', x]);
    udpEchoServer(sb, xns, '0.0.0.0', 120, 7);

    const bin = join(dir, 'cni-bin'), netd = join(dir, 'net.d');
    for (const d of [bin, netd, join(dir, 'tmp'), join(dir, 'rootfs', 'bin')]) mkdirSync(d, { recursive: true });
    const inst = runCli(null, ['cni', 'install', '--dir', bin]);
    expect(inst.code, inst.stderr).toBe(0);
    writeFileSync(join(dir, 'containers.conf'), [
      '[containers]',
      'default_ulimits = ["nofile=10000:10000", "nproc=1000:1000"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, 'events.log')}"`,
      `tmp_dir = "${join(dir, 'tmp')}"`,
      '[network]',
      'network_backend = "cni"',
      `cni_plugin_dirs = ["${bin}", "/usr/lib/cni"]`,
      `network_config_dir = "${netd}"`,
      '',
    ].join('\n'));
    writeFileSync(join(netd, `${NETWORK}.conflist`), JSON.stringify({
      cniVersion: '1.0.0', name: NETWORK,
      plugins: [{
        type: 'umacvlan', master: m, mode: 'bridge',
        ipam: { type: 'host-local', ranges: [[{ subnet: '198.18.9.0/24', rangeStart: '198.18.9.10', rangeEnd: '198.18.9.99' }]], dataDir: join(dir, 'ipam') },
      }],
    }));
    global = [
      '--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs', '--tmpdir', join(dir, 'tmp'),
      '--runtime-flag', `root=${join(dir, 'runc')}`,
    ];

    // the image: busybox-static's one binary, imported as a rootfs
    spawnSync('cp', [BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox')]);
    chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
    const tar = spawnSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.']);
    expect(tar.status).toBe(0);
    must(['import', join(dir, 'rootfs.tar'), IMAGE]);

    daemon = await startDaemon(sb, dns, ['--parent', m], { ownControl: false });
  }, 90_000);

  afterAll(async () => {
    try {
      if (dir && global) {
        podman(['rm', '-af', '-t', '0']);
        podman(['system', 'reset', '-f']);
      }
      await daemon?.stop(); // SIGTERM: its socket goes with it
    } finally {
      sb?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (!podmanVarExisted) rmSync(PODMAN_VAR, { recursive: true, force: true });
      if (!cniCacheExisted) for (const d of [join(CNI_CACHE, 'results'), CNI_CACHE]) spawnSync('rmdir', [d]);
    }
  }, 90_000);

  test('two containers on a umacvlan network: addresses, each other and the host outside; podman rm removes their children', () => {
    const run = (name: string): void => {
      must(['run', '-d', '--name', `ucs-${name}`, '--network', NETWORK,
        '--sysctl', 'net.ipv6.conf.all.disable_ipv6=1', '--sysctl', 'net.ipv6.conf.default.disable_ipv6=1',
        IMAGE, '/bin/busybox', 'sleep', '120']);
    };
    run('a');
    run('b');
    const ip = (name: string): string => must(['inspect', '-f', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, `ucs-${name}`]);
    const [a, b] = [ip('a'), ip('b')];
    expect(a).toMatch(/^198\.18\.9\.\d+$/);
    expect(b).toMatch(/^198\.18\.9\.\d+$/);
    expect(a).not.toBe(b);
    expect(cniChildren()).toHaveLength(2);
    expect(podmanNetns().filter((n) => !netnsBefore.has(n)).length, 'podman made the containers\' namespaces').toBeGreaterThanOrEqual(2);

    const ping = (from: string, to: string): number => podman(['exec', `ucs-${from}`, '/bin/busybox', 'ping', '-c', '1', '-W', '2', to]).code;
    expect(ping('a', b)).toBe(0);
    expect(ping('b', a)).toBe(0);
    expect(ping('a', OUTSIDE)).toBe(0);
    expect(ping('b', OUTSIDE)).toBe(0);

    must(['rm', '-f', '-t', '0', 'ucs-a', 'ucs-b']);
    expect(cniChildren()).toEqual([]);
    expect(readdirSync(join(dir, 'ipam', NETWORK)).filter((f) => f.startsWith('198.'))).toEqual([]);
  }, 90_000);

  test('podman\'s own namespaces are gone once its containers are', () => {
    podman(['rm', '-af', '-t', '0']);
    expect(podmanNetns().filter((n) => !netnsBefore.has(n))).toEqual([]);
  });
});
