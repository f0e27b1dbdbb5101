// Side by side with the reference: the same network config (the reference macvlan plugin's keys only) run through
// Debian's /usr/lib/cni/macvlan and through umacvlan's plugin, one implementation at a time on the same master, with
// Debian's host-local as IPAM. The results have the same shape (the same keys at every level, at 0.3.1, 0.4.0 and
// 1.0.0 — Debian's plugin speaks up to 1.0.0), and the same reachability table: in bridge mode two containers reach
// each other and the host outside; in private mode only the host outside.
//
//   sd: the node (master sm, veth to sx; the umacvlan daemon runs here)   sx: the host outside, 198.18.8.254
//   c1, c2: the containers' namespaces                                   addresses from host-local, 198.18.8.10-99
//
// Both plugins run in sd's namespace, as a runtime on the node runs them.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { udpEchoServer, udpPing } from '../../support/echo.js';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';

const MACVLAN = '/usr/lib/cni/macvlan';
const HOST_LOCAL = '/usr/lib/cni/host-local';
const OUTSIDE = '198.18.8.254';
const ECHO_PORT = 7;

type Impl = 'macvlan' | 'umacvlan';
type Json = Record<string, unknown>;

/** The keys of a JSON value at every level: objects by their sorted keys, arrays element by element. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Json)[k])]));
  }
  return typeof v;
}

describe.skipIf(!isRoot() || !existsSync(MACVLAN) || !existsSync(HOST_LOCAL))('CNI side by side: Debian\'s macvlan and umacvlan', () => {
  let sb: Sandbox;
  let dir: string, shim: string;
  let dns: string, xns: string, c1: string, c2: string, m: string;
  let daemon: RunningDaemon<null> | null = null;

  const plugin = (impl: Impl): string => (impl === 'macvlan' ? MACVLAN : shim);
  const conf = (impl: Impl, mode: string, version: string): Json => ({
    cniVersion: version, name: 'ucsnet', type: impl, master: m, mode,
    ipam: { type: 'host-local', ranges: [[{ subnet: '198.18.8.0/24', rangeStart: '198.18.8.10', rangeEnd: '198.18.8.99' }]], dataDir: join(dir, 'ipam') },
  });
  const cni = (impl: Impl, command: string, cfg: Json | string, ns: string, id: string, env: Record<string, string | undefined> = {}):
  { code: number; json: Json | null; out: string } => {
    const r = spawnSync('ip', ['netns', 'exec', dns, plugin(impl)], {
      input: typeof cfg === 'string' ? cfg : JSON.stringify(cfg), encoding: 'utf8', timeout: 30_000,
      env: {
        PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: `${sb.prefix}${id}`, CNI_NETNS: `/run/netns/${ns}`,
        CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni', ...env,
      },
    });
    let json: Json | null = null;
    try { json = JSON.parse(r.stdout) as Json; } catch { /* no JSON */ }
    return { code: r.status ?? -1, json, out: r.stdout + r.stderr };
  };
  const hasLink = (ns: string): boolean => sb.run(ns, ['ip', '-o', 'link', 'show']).includes('eth0');
  const leases = (): string[] => {
    try { return readdirSync(join(dir, 'ipam', 'ucsnet')).filter((f) => f.startsWith('198.')); } catch { return []; }
  };
  const addrOf = (r: Json): string => ((r.ips as Json[])[0].address as string).split('/')[0];

  beforeAll(() => {
    sb = createSandbox('ucs');
    dir = mkdtempSync(join(tmpdir(), 'ucs-'));
    dns = sb.addNs('sd');
    xns = sb.addNs('sx');
    c1 = sb.addNs('c1');
    c2 = sb.addNs('c2');
    let x: string;
    [m, x] = sb.addVeth(dns, 'sm', xns, 'sx');
    sb.run(xns, ['ip', 'addr', 'add', `${OUTSIDE}/24`, 'dev', x]);
    sb.run(dns, ['ip', 'route', 'add', 'default', 'via', OUTSIDE, 'dev', m, 'onlink']); // a node has one
    for (const ns of [xns, c1, c2]) udpEchoServer(sb, ns, '0.0.0.0', 120, ECHO_PORT);
    const inst = runCli(null, ['cni', 'install', '--dir', dir]);
    expect(inst.code, inst.stderr).toBe(0);
    shim = inst.stdout.trim();
  }, 30_000);

  afterAll(async () => {
    try { await daemon?.stop('SIGKILL'); } finally {
      sb?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Each implementation's answers, filled by the tests below in order: macvlan's first, then umacvlan's. */
  const shapes: Record<Impl, Record<string, unknown>> = { macvlan: {}, umacvlan: {} };
  const errors: Record<Impl, Record<string, number>> = { macvlan: {}, umacvlan: {} };

  /** Bad requests, each answered by both: the code each gives (0: it succeeded, and was undone). */
  const ERROR_CASES: Array<[string, (impl: Impl) => { command?: string; cfg: Json | string; env?: Record<string, string | undefined> }]> = [
    ['mtu above the master\'s', (i) => ({ cfg: { ...conf(i, 'bridge', '1.0.0'), mtu: 9000 } })],
    ['unknown mode', (i) => ({ cfg: conf(i, 'Bridge', '1.0.0') })],
    ['a key of the wrong type', (i) => ({ cfg: { ...conf(i, 'bridge', '1.0.0'), mtu: '1500' } })],
    ['not JSON', () => ({ cfg: '{"cniVersion":' })],
    ['no network name', (i) => ({ cfg: { ...conf(i, 'bridge', '1.0.0'), name: '' } })],
    ['cniVersion 0.2.0', (i) => ({ cfg: conf(i, 'bridge', '0.2.0') })],
    ['CHECK at 0.3.1', (i) => ({ command: 'CHECK', cfg: { ...conf(i, 'bridge', '0.3.1'), prevResult: { cniVersion: '0.3.1' } } })],
    ['CNI_IFNAME missing', (i) => ({ cfg: conf(i, 'bridge', '1.0.0'), env: { CNI_IFNAME: undefined } })],
    ['an unknown CNI_ARGS key', (i) => ({ cfg: conf(i, 'bridge', '1.0.0'), env: { CNI_ARGS: 'FOO=1' } })],
    ['linkInContainer: true', (i) => ({ cfg: { ...conf(i, 'bridge', '1.0.0'), linkInContainer: true } })],
    ['CNI_NETNS missing on disk', (i) => ({ cfg: conf(i, 'bridge', '1.0.0'), env: { CNI_NETNS: `/run/netns/${sb.prefix}none` } })],
  ];
  const tables: Record<Impl, Record<string, Record<string, boolean>>> = { macvlan: {}, umacvlan: {} };

  for (const impl of ['macvlan', 'umacvlan'] as const) {
    test(`${impl}: results at 0.3.1, 0.4.0 and 1.0.0; reachability in bridge and private mode; nothing left after DEL`, async () => {
      if (impl === 'umacvlan') daemon = await startDaemon(sb, dns, ['--parent', m], { ownControl: false });
      try {
        for (const version of ['0.3.1', '0.4.0', '1.0.0']) {
          const cfg = conf(impl, 'bridge', version);
          const r = cni(impl, 'ADD', cfg, c1, 'v');
          expect(r.code, r.out).toBe(0);
          expect(r.json?.cniVersion).toBe(version);
          shapes[impl][version] = shape(r.json);
          expect(cni(impl, 'DEL', cfg, c1, 'v').code).toBe(0);
        }
        for (const [what, make] of ERROR_CASES) {
          const { command = 'ADD', cfg, env } = make(impl);
          const r = cni(impl, command, cfg, c1, 'e', env);
          errors[impl][what] = r.code === 0 ? 0 : Number(r.json?.code);
          if (r.code === 0 && command === 'ADD') expect(cni(impl, 'DEL', cfg, c1, 'e', env).code).toBe(0);
          expect(hasLink(c1), what).toBe(false);
        }
        for (const mode of ['bridge', 'private']) {
          const cfg = conf(impl, mode, '1.0.0');
          const r1 = cni(impl, 'ADD', cfg, c1, 'c1'), r2 = cni(impl, 'ADD', cfg, c2, 'c2');
          expect(r1.code, r1.out).toBe(0);
          expect(r2.code, r2.out).toBe(0);
          const a1 = addrOf(r1.json!), a2 = addrOf(r2.json!);
          const reach = (from: string, to: string): boolean => udpPing(sb, from, to, 2, 1000, ECHO_PORT).ok;
          tables[impl][mode] = {
            'c1 → c2': reach(c1, a2), 'c2 → c1': reach(c2, a1), 'c1 → outside': reach(c1, OUTSIDE), 'c2 → outside': reach(c2, OUTSIDE),
          };
          expect(cni(impl, 'DEL', cfg, c1, 'c1').code).toBe(0);
          expect(cni(impl, 'DEL', cfg, c2, 'c2').code).toBe(0);
          expect(hasLink(c1) || hasLink(c2)).toBe(false);
          expect(leases()).toEqual([]);
        }
      } finally {
        if (impl === 'umacvlan') {
          await daemon?.stop();
          daemon = null;
        }
      }
    }, 60_000);
  }

  test('the same shape of result and the same reachability table', () => {
    expect(Object.keys(shapes.umacvlan)).toEqual(['0.3.1', '0.4.0', '1.0.0']);
    expect(shapes.umacvlan).toEqual(shapes.macvlan);
    const want = {
      bridge: { 'c1 → c2': true, 'c2 → c1': true, 'c1 → outside': true, 'c2 → outside': true },
      private: { 'c1 → c2': false, 'c2 → c1': false, 'c1 → outside': true, 'c2 → outside': true },
    };
    expect(tables.macvlan).toEqual(want);
    expect(tables.umacvlan).toEqual(want);
  });

  test('bad requests: the codes each gives (README, "Containers", the reference\'s cases)', () => {
    // [reference, umacvlan]: the reference answers its own checks with the library's internal error (999); Debian's
    // 1.1.1 predates linkInContainer and ignores the key
    const want: Record<string, [number, number]> = {
      'mtu above the master\'s': [999, 7],
      'unknown mode': [999, 7],
      'a key of the wrong type': [999, 7],
      'not JSON': [6, 6],
      'no network name': [7, 7],
      'cniVersion 0.2.0': [0, 1],
      'CHECK at 0.3.1': [1, 1],
      'CNI_IFNAME missing': [4, 4],
      'an unknown CNI_ARGS key': [999, 4],
      'linkInContainer: true': [0, 2],
      'CNI_NETNS missing on disk': [999, 3],
    };
    const got = Object.fromEntries(ERROR_CASES.map(([what]) => [what, [errors.macvlan[what], errors.umacvlan[what]]]));
    expect(got).toEqual(want);
  });
});
