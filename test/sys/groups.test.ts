// A child that joins 40,000 link-layer groups through the daemon: it goes all-multicast (the group cap) without
// costing a sibling a frame, and `show` says so. (The scenarios compared with the kernel's macvlan - joins, IPv6
// neighbours, down/up from inside - are rows of daemon-modes.test.ts.)
//
//   out ns: outside host o ─┐      sw ns: Linux bridge, mcast snooping off, static FDB for every child MAC
//   dp ns:  parent p ───────┘ (umacvlan run)
//             ├─ b1 (bridge: the sibling whose flow to the outside must lose nothing)
//             └─ c1 (bridge: the child that joins 40,000 groups)

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { macText, testMac } from '../../support/addresses.js';
import { sleep } from '../../support/time.js';
import { RawSocket } from '../support/raw-socket.js';
import { Tally, sendAndCount } from '../support/counted-frames.js';
import { startReceiver, startStream } from '../support/udp-flows.js';

const root = isRoot();
const N = 20;
const OUT = testMac(0x1f, 0x01);
const PARENT = testMac(0x1f, 0x10);

interface ChildDef { key: string; mac: number; ip: string }
const CHILDREN: readonly ChildDef[] = [
  { key: 'b1', mac: testMac(0x1a, 0x11), ip: '198.18.1.11' },
  { key: 'c1', mac: testMac(0x1a, 0x41), ip: '198.18.1.41' },
];
const OUT_IP = '198.18.1.1';

interface Topo { ns: Map<string, string>; ifname: Map<string, string>; daemon: RunningDaemon }

async function build(sb: Sandbox): Promise<Topo> {
  const i = 'u';
  const sw = sb.addNs(`${i}sw`), out = sb.addNs(`${i}out`), dp = sb.addNs(`${i}dp`);
  const br = sb.name(`${i}br`);
  sb.exec(sw, `ip link add ${br} type bridge stp_state 0 mcast_snooping 0 && ip link set ${br} up`);
  const [x, p] = sb.addVeth(sw, `${i}x`, dp, `${i}p`);
  const [z, o] = sb.addVeth(sw, `${i}z`, out, `${i}o`);
  for (const port of [x, z]) sb.exec(sw, `ip link set ${port} master ${br}`);
  sb.exec(out, `ip link set ${o} address ${macText(OUT)} && ip addr add ${OUT_IP}/24 dev ${o}`);
  sb.exec(dp, `ip link set ${p} address ${macText(PARENT)}`);
  const fdb = (mac: number, port: string): string => `bridge fdb replace ${macText(mac)} dev ${port} master static`;
  sb.exec(sw, [...CHILDREN.map((c) => fdb(c.mac, x)), fdb(PARENT, x), fdb(OUT, z)].join(' && '));
  const ns = new Map<string, string>([['out', out], ['dp', dp]]);
  const ifname = new Map<string, string>([['out', o]]);
  for (const c of CHILDREN) {
    ns.set(c.key, sb.addNs(`${i}${c.key}`));
    ifname.set(c.key, sb.name(`${i}${c.key}`));
  }
  const args = ['--parent', p, ...CHILDREN.flatMap((c) => {
    const n = ifname.get(c.key)!;
    return ['--child', `${n}:${macText(c.mac)}:bridge`, '--netns', `${n}=${ns.get(c.key)!}`];
  })];
  const daemon = await startDaemon(sb, dp, args);
  for (const c of CHILDREN) sb.exec(ns.get(c.key)!, `ip addr add ${c.ip}/24 dev ${ifname.get(c.key)!}`);
  return { ns, ifname, daemon };
}

const mcastLog: string[] = [];

describe.skipIf(!root)('a child over the group cap (root)', () => {
  let sb: Sandbox;
  let t: Topo;
  const tmp = mkdtempSync(join(tmpdir(), 'umg-'));

  beforeAll(async () => {
    sb = createSandbox('umg');
    t = await build(sb);
    await sleep(300);
  }, 60_000);

  afterAll(async () => {
    await t?.daemon.stop();
    sb?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
    if (mcastLog.length) console.log(['', ...mcastLog].join('\n'));
  });

  test('a child joins 40,000 groups: all-multicast (cap), a sibling loses no frame, show answers, the daemon lives', async () => {
    const c1 = t.ifname.get('c1')!;
    // What `ip maddr add` does, 40,000 times in one process: SIOCADDMULTI with an AF_UNSPEC hardware address.
    // (`ip -batch` of maddr lines applies only the first line with the iproute2 of this machine.)
    const file = join(tmp, 'join.py');
    writeFileSync(file, [
      'import socket, fcntl, struct, sys',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'for j in range(int(sys.argv[2])):',
      "    ifr = struct.pack('16sH6s16x', sys.argv[1].encode(), 0, (0x01005e100000 + j).to_bytes(6, 'big'))",
      '    fcntl.ioctl(s, 0x8931, ifr)',  // SIOCADDMULTI
      '',
    ].join('\n'));
    const rx = await startReceiver(sb, t.ns.get('out')!, OUT_IP, 9912, 60);
    const COUNT = 6000;
    const flow = startStream(sb, t.ns.get('b1')!, { dst: OUT_IP, port: 9912, flow: 1, phase: 0, count: COUNT, rate: 1000 });
    await sleep(500);
    const join40k = await sb.wait(sb.spawn(t.ns.get('c1')!, ['python3', file, c1, '40000']), 60_000);
    expect(join40k.code, join40k.stderr).toBe(0);
    expect(sb.exec(t.ns.get('c1')!, `grep -c ${c1} /proc/net/dev_mcast`).trim()).not.toBe('0');
    const show = t.daemon.cli(['show', c1]);
    expect(show.code).toBe(0);
    const sent = await flow.done;
    await sleep(1000);
    const counts = await rx.stop();
    const text = t.daemon.cli(['show', c1]).stdout;
    mcastLog.push(`40,000 groups in c1: sibling flow ${counts.get('1/0')?.got ?? 0}/${sent.sent}; show: ${text.split('\n').find((l) => l.includes('groups')) ?? '(no groups line)'}`);
    expect(sent.sent).toBe(COUNT);
    expect(counts.get('1/0')?.got).toBe(COUNT);
    expect(text).toContain('groups: allmulti (cap)');
    const json = JSON.parse(t.daemon.cli(['show', c1, '--json']).stdout) as Array<{ groups: { cap: boolean; entries: unknown[] } }>;
    expect(json[0].groups).toEqual({ cap: true, entries: [] });
    // A frame to a group c1 never named still reaches it (all-multicast), as the kernel's saturated hash would.
    const from = RawSocket.open(t.ns.get('out')!, t.ifname.get('out')!, 'out');
    const to = RawSocket.open(t.ns.get('c1')!, c1, 'c1');
    try {
      const tally = new Tally([to]);
      await sendAndCount(tally, [{ from, row: 50, dst: 0x0100_5e7f_0001, src: OUT, count: N }]);
      expect(tally.receivers(50, N).exact).toEqual(['c1']);
    } finally {
      from.close();
      to.close();
    }
    expect(await Promise.race([t.daemon.exited.then(() => 'exited'), sleep(10).then(() => 'alive')])).toBe('alive');
  }, 90_000);
});
