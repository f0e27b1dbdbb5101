// What happens to a running daemon's children when the world changes under them (docs/lifecycle.md;
// README, "Running it"), and how the daemon starts, refuses to start, and stops.
//
//   ext ns: outside host e0 (198.18.1.1) ── veth ── p (parent)  dp ns: the daemon
//           e2 ───────────────────────────── veth ── q (a spare parent for the start-up error runs)
//   na, nb, nc: one namespace per child TAP a, b, c (bridge mode, 198.18.1.11-13); nx: where c is moved later.
//
// One daemon runs for the whole file (started with NOTIFY_SOCKET pointing at a datagram socket this test binds);
// the tests below change its children from inside their namespaces, as a container runtime or a user would, and
// check each effect with raw test-EtherType frames counted at every endpoint (each frame exactly once where it belongs,
// nowhere else) and with `show --json`. The start-up errors are separate short runs.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, runCli, type RunningDaemon } from '../../support/daemon.js';
import { udpEchoServer, udpPing } from '../../support/echo.js';
import { macText, testMac } from '../../support/addresses.js';
import { sleep } from '../../support/time.js';
import { RawSocket } from '../support/raw-socket.js';
import { readableCopy } from '../support/readable-copy.js';
import { Tally, sendAndCount, sendFrame, rowFrame, type Seen } from '../support/counted-frames.js';

const root = isRoot();
const N = 20;
const EXT = testMac(0x1f, 0x01);
const PARENT = testMac(0x1f, 0x10);
const MAC = { a: testMac(0x1a, 0x11), b: testMac(0x1a, 0x12), c: testMac(0x1a, 0x13) } as const;
const NEW_A = testMac(0x1a, 0x21);
const GROUP = 0x01_00_5e_01_02_03; // 239.1.2.3's group MAC: nobody here joins it but the test's child
const IP = { ext: '198.18.1.1', a: '198.18.1.11', b: '198.18.1.12', c: '198.18.1.13' } as const;
type Child = 'a' | 'b' | 'c';

interface PortView { name: string; mac: string; mode: string; state: string; mtu: number; netns: string | null; counters: Record<string, number> }

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (cond()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

/** Exactly these labels got every frame exactly once; nobody else got any. */
function expectOnly(seen: Map<string, Seen>, labels: readonly string[], count = N): void {
  const got = Object.fromEntries([...seen].map(([l, s]) => [l, `${s.distinct}/${s.copies}`]));
  expect(got).toEqual(Object.fromEntries(labels.map((l) => [l, `${count}/${count}`])));
}

describe.skipIf(!root)('daemon lifecycle (root)', () => {
  let sb: Sandbox;
  let ext: string, dp: string, nx: string;
  const ns = {} as Record<Child, string>;
  const tap = {} as Record<Child, string>;
  let e0: string, p: string, q: string;
  let d: RunningDaemon;
  let notifyOut = '';
  let notifier: ChildProcess;
  let notifyPath: string;
  let row = 1;

  const show = (): PortView[] => {
    const r = d.cli(['show', '--json']);
    if (r.code !== 0) throw new Error(`show --json: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as PortView[];
  };
  const port = (name: string): PortView | undefined => show().find((v) => v.name === name);
  const flags = (inNs: string, ifname: string): string[] =>
    (JSON.parse(sb.run(inNs, ['ip', '-j', 'link', 'show', ifname])) as Array<{ flags: string[] }>)[0].flags;

  /** Sends N frames from one endpoint and returns who received them (endpoints opened for this call only). */
  async function deliver(from: { ns: string; ifname: string }, dst: number, src: number, to: Array<{ label: string; ns: string; ifname: string }>, len?: number): Promise<Map<string, Seen>> {
    const eps: RawSocket[] = [];
    try {
      for (const t of to) eps.push(RawSocket.open(t.ns, t.ifname, t.label));
      const sender = RawSocket.open(from.ns, from.ifname, 'sender');
      eps.push(sender);
      const tally = new Tally(eps);
      const r = row++;
      await sendAndCount(tally, [{ from: sender, row: r, dst, src, count: N, len }]);
      const seen = tally.row(r);
      seen.delete('sender');
      return seen;
    } finally {
      for (const e of eps) e.close();
    }
  }
  const outside = (): { label: string; ns: string; ifname: string } => ({ label: 'ext', ns: ext, ifname: e0 });
  const child = (c: Child, where = ns[c]): { label: string; ns: string; ifname: string } => ({ label: c, ns: where, ifname: tap[c] });

  beforeAll(async () => {
    sb = createSandbox('ume');
    ext = sb.addNs('ext'); dp = sb.addNs('dp'); nx = sb.addNs('nx');
    for (const c of ['a', 'b', 'c'] as const) { ns[c] = sb.addNs(`n${c}`); tap[c] = sb.name(c); }
    [e0, p] = sb.addVeth(ext, 'e0', dp, 'p');
    [, q] = sb.addVeth(ext, 'e2', dp, 'q');
    sb.exec(ext, `ip link set ${e0} address ${macText(EXT)} && ip addr add ${IP.ext}/24 dev ${e0}`);
    sb.exec(dp, `ip link set ${p} address ${macText(PARENT)}`);

    // systemd's side of sd_notify: a datagram socket that prints what it receives
    mkdirSync('/run/umacvlan-test', { recursive: true });
    notifyPath = `/run/umacvlan-test/${sb.prefix}-notify.sock`;
    notifier = sb.spawn(null, ['python3', '-c', [
      'import os, socket, sys',
      'p = sys.argv[1]',
      'os.path.exists(p) and os.unlink(p)',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      's.bind(p)',
      'print("bound", flush=True)',
      's.settimeout(60)',
      'while True: print(s.recv(4096).decode(), flush=True)',
    ].join('\n'), notifyPath]);
    notifier.stdout!.on('data', (b: Buffer) => { notifyOut += b.toString(); });
    await waitFor('the notify socket is bound', () => notifyOut.includes('bound'), 10_000);

    const args = ['--parent', p];
    for (const c of ['a', 'b', 'c'] as const) args.push('--child', `${tap[c]}:${macText(MAC[c])}:bridge`, '--netns', `${tap[c]}=${ns[c]}`);
    d = await startDaemon(sb, dp, args, { env: { ...process.env, NOTIFY_SOCKET: notifyPath } });
    for (const c of ['a', 'b', 'c'] as const) sb.exec(ns[c], `ip addr add ${IP[c]}/24 dev ${tap[c]}`);
    udpEchoServer(sb, ext, IP.ext, 100);
  }, 60_000);

  afterAll(async () => {
    if (d) await d.stop();
    sb?.cleanup();
    try { execFileSync('rm', ['-f', notifyPath]); } catch { /* not made */ }
  });

  test('READY=1 reaches NOTIFY_SOCKET once the daemon is ready', async () => {
    await waitFor('READY=1 on the notify socket', () => /^READY=1$/m.test(notifyOut), 5000);
    expect(d.stderr()).toMatch(/^ready$/m);
  });

  test('each child starts UP with carrier in its own namespace, and is forwarded to', async () => {
    for (const c of ['a', 'b', 'c'] as const) {
      const f = flags(ns[c], tap[c]);
      expect(f).toContain('UP');
      expect(f).toContain('LOWER_UP');
    }
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('a'), child('b'), child('c')]), ['a']);
    expect(udpPing(sb, ns.a, IP.ext).ok).toBe(true);
  });

  test("a child's carrier follows the parent's link; its UP flag and its routes stay (L14, L15)", async () => {
    // The kernel marks a route over a link without carrier "linkdown"; the route itself must stay.
    const route = (): string => sb.exec(ns.a, `ip -4 route show dev ${tap.a}`).replace(/ linkdown/g, '');
    const before = route();
    expect(before).toContain('198.18.1.0/24');
    // The outside end goes down: the parent loses carrier (L15).
    sb.exec(ext, `ip link set ${e0} down`);
    try {
      for (const c of ['a', 'b', 'c'] as const) {
        await waitFor(`${c} shows NO-CARRIER`, () => flags(ns[c], tap[c]).includes('NO-CARRIER'));
        const f = flags(ns[c], tap[c]);
        expect(f).toContain('UP');
        expect(f).not.toContain('LOWER_UP');
      }
      expect(port(p)?.state).toBe('no-carrier');
      expect(route()).toBe(before);
    } finally {
      sb.exec(ext, `ip link set ${e0} up`);
    }
    for (const c of ['a', 'b', 'c'] as const) await waitFor(`${c} shows LOWER_UP again`, () => flags(ns[c], tap[c]).includes('LOWER_UP'));
    // The parent itself set down and up (L14); forwarding resumes after.
    sb.exec(dp, `ip link set ${p} down`);
    try {
      await waitFor('a shows NO-CARRIER with the parent down', () => flags(ns.a, tap.a).includes('NO-CARRIER'));
      expect(flags(ns.a, tap.a)).toContain('UP');
    } finally {
      sb.exec(dp, `ip link set ${p} up`);
    }
    await waitFor('a shows LOWER_UP with the parent up', () => flags(ns.a, tap.a).includes('LOWER_UP'), 5000);
    expect(route()).toBe(before);
    expect(udpPing(sb, ns.a, IP.ext, 3, 5000).ok).toBe(true);
    expectOnly(await deliver(outside(), MAC.b, EXT, [child('a'), child('b'), child('c')]), ['b']);
  });

  test('a child set down from inside leaves the address table and comes back when set up', async () => {
    sb.exec(ns.a, `ip link set ${tap.a} down`);
    await waitFor('show reports a down', () => port(tap.a)?.state === 'down');
    const noDst0 = port(p)!.counters.drop_no_destination ?? 0;
    // From outside: no child owns the MAC now (U3), so nothing is written to any TAP.
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('b'), child('c')]), []);
    expect(port(p)!.counters.drop_no_destination - noDst0).toBe(N);
    // From a bridge sibling: not local any more, so it goes to the wire (X3).
    expectOnly(await deliver(child('b'), MAC.a, MAC.b, [outside(), child('c')]), ['ext']);

    sb.exec(ns.a, `ip link set ${tap.a} up`);
    await waitFor('show reports a up', () => port(tap.a)?.state === 'up');
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('a'), child('b'), child('c')]), ['a']);
    expectOnly(await deliver(child('b'), MAC.a, MAC.b, [outside(), child('a'), child('c')]), ['a']);
  });

  test('a MAC changed from inside is followed; a duplicate is logged and that child leaves the table', async () => {
    sb.exec(ns.a, `ip link set ${tap.a} address ${macText(NEW_A)}`);
    await waitFor('show reports the new MAC', () => port(tap.a)?.mac === macText(NEW_A));
    expectOnly(await deliver(outside(), NEW_A, EXT, [child('a'), child('b'), child('c')]), ['a']);
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('a'), child('b'), child('c')]), []);
    expectOnly(await deliver(child('b'), NEW_A, MAC.b, [outside(), child('a'), child('c')]), ['a']);

    // b's MAC set on a: the kernel would refuse it (EADDRINUSE); here it is already done, so a leaves the table.
    sb.exec(ns.a, `ip link set ${tap.a} address ${macText(MAC.b)}`);
    await waitFor('show reports a out of the table', () => port(tap.a)?.state === 'dup-mac');
    // (waited for, not read at once: the show calls above block this process, so the daemon's stderr is read late)
    await waitFor('the duplicate is logged', () => d.stderr().includes(`child ${tap.a}: MAC ${macText(MAC.b)} is in use`));
    expectOnly(await deliver(outside(), MAC.b, EXT, [child('a'), child('b'), child('c')]), ['b']);
    expectOnly(await deliver(child('c'), MAC.b, MAC.c, [outside(), child('a'), child('b')]), ['b']);

    sb.exec(ns.a, `ip link set ${tap.a} address ${macText(MAC.a)}`);
    await waitFor('show reports a up with its own MAC', () => { const v = port(tap.a); return v?.state === 'up' && v.mac === macText(MAC.a); });
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('a'), child('b'), child('c')]), ['a']);
    expectOnly(await deliver(outside(), MAC.b, EXT, [child('a'), child('b'), child('c')]), ['b']);
  });

  test("an MTU raised above the parent's from inside: frames over the parent's MTU + 18 are dropped and counted", async () => {
    sb.exec(ns.a, `ip link set ${tap.a} mtu 9000`);
    expect(sb.exec(ns.a, `ip link show ${tap.a}`)).toContain('mtu 9000');
    await sleep(500); // the TAP's link event is read when it arrives; leave the loaded machine time to deliver it
    const over0 = port(tap.a)!.counters.drop_oversize ?? 0;
    expectOnly(await deliver(child('a'), EXT, MAC.a, [outside(), child('b')], 1600), []);
    expect(port(tap.a)!.counters.drop_oversize - over0).toBe(N);
    // Same for a bridge-local copy, which never meets the parent's own MTU check.
    expectOnly(await deliver(child('a'), MAC.b, MAC.a, [outside(), child('b')], 1600), []);
    expect(port(tap.a)!.counters.drop_oversize - over0).toBe(2 * N);
    // The bound is exact: MTU + 18 (room for a tag) passes a bridge-local hop, one byte more does not
    // (the kernel's is_skb_forwardable on the parent, X2).
    expectOnly(await deliver(child('a'), MAC.b, MAC.a, [outside(), child('b')], 1519), []);
    expect(port(tap.a)!.counters.drop_oversize - over0).toBe(3 * N);
    expectOnly(await deliver(child('a'), MAC.b, MAC.a, [outside(), child('b')], 1518), ['b']);
    // To the wire, up to the parent's MTU + 14 (untagged) they pass.
    expectOnly(await deliver(child('a'), EXT, MAC.a, [outside(), child('b')], 1514), ['ext']);
    expect(port(tap.a)!.counters.drop_oversize - over0).toBe(3 * N);
    sb.exec(ns.a, `ip link set ${tap.a} mtu 1500`);
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('a'), child('b'), child('c')]), ['a']);
  });

  test('a child that joins a group from inside gets that group within ~1 s; one that did not, does not', async () => {
    // Before the join nobody gets the group (the daemon's child filters are exact).
    expectOnly(await deliver(outside(), GROUP, EXT, [child('a'), child('b'), child('c')]), []);
    sb.exec(ns.a, `ip maddr add ${macText(GROUP)} dev ${tap.a}`);
    const t0 = Date.now();
    const a = RawSocket.open(ns.a, tap.a, 'a');
    const sender = RawSocket.open(ext, e0, 'ext');
    let firstMs = -1;
    try {
      const tally = new Tally([a]);
      const probeRow = row++;
      for (let i = 0; i < 30 && firstMs < 0; i++) {
        sendFrame(sender, rowFrame(GROUP, EXT, probeRow, i));
        await sleep(100);
        tally.poll();
        if ((tally.row(probeRow).get('a')?.copies ?? 0) > 0) firstMs = Date.now() - t0;
      }
    } finally {
      a.close(); sender.close();
    }
    expect(firstMs, 'the first group frame after the join reached the child').toBeGreaterThanOrEqual(0);
    expect(firstMs, `the join took effect after ${firstMs} ms`).toBeLessThan(1500);
    expectOnly(await deliver(outside(), GROUP, EXT, [child('a'), child('b'), child('c')]), ['a']);
    sb.exec(ns.a, `ip maddr del ${macText(GROUP)} dev ${tap.a}`);
  });

  test("a TAP moved to another namespace with `ip link set NAME netns X` keeps forwarding", async () => {
    sb.exec(ns.c, `ip link set ${tap.c} netns ${nx}`);
    // Moving a device sets it down; whoever moved it brings it up where it is now.
    sb.exec(nx, `ip link set ${tap.c} up`);
    await waitFor('the daemon reports c moved', () => /TAP moved/.test(d.stderr()) && port(tap.c)?.state === 'up');
    expectOnly(await deliver(outside(), MAC.c, EXT, [child('a'), child('b'), child('c', nx)]), ['c']);
    expectOnly(await deliver(child('c', nx), EXT, MAC.c, [outside(), child('a'), child('b')]), ['ext']);
    expectOnly(await deliver(child('c', nx), MAC.b, MAC.c, [outside(), child('a'), child('b')]), ['b']);
    // Its state is still learned where it lives now.
    sb.exec(nx, `ip link set ${tap.c} down`);
    await waitFor('show reports c down (watched in its new namespace)', () => port(tap.c)?.state === 'down');
    sb.exec(nx, `ip link set ${tap.c} up`);
    await waitFor('show reports c up', () => port(tap.c)?.state === 'up');
  });

  test('`ip link del` of a TAP: that child is reported gone, the others keep working', async () => {
    sb.exec(ns.b, `ip link del ${tap.b}`);
    await waitFor('show reports b gone', () => port(tap.b)?.state === 'gone');
    expectOnly(await deliver(outside(), MAC.a, EXT, [child('a'), child('c', nx)]), ['a']);
    expectOnly(await deliver(child('a'), MAC.c, MAC.a, [outside(), child('c', nx)]), ['c']);
    expectOnly(await deliver(outside(), MAC.b, EXT, [child('a'), child('c', nx)]), []);
    expect(udpPing(sb, ns.a, IP.ext).ok).toBe(true);
  });

  describe('start-up errors: exit code and one line naming the culprit, nothing left behind', () => {
    const ctl = (): string => `/run/umacvlan-test/${sb.prefix}-err-${row++}.sock`;
    const oneLine = (stderr: string, name: string): void => {
      const lines = stderr.trim().split('\n');
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toContain(name);
    };
    const noLink = (inNs: string, name: string): void => {
      expect(sb.exec(inNs, 'ip -o link show')).not.toContain(`${name}:`);
    };

    test('missing parent: exit 1', () => {
      const name = sb.name('nope');
      const r = runCli(dp, ['run', '--parent', name, '--control', ctl()]);
      expect(r.code).toBe(1);
      oneLine(r.stderr, name);
    });

    test('a TAP name that is taken: exit 1', () => {
      const [taken] = sb.addVeth(dp, 'tk', ext, 'tke');
      const r = runCli(dp, ['run', '--parent', q, '--child', `${taken}:02:ee:1b:00:00:01:bridge`, '--control', ctl()]);
      expect(r.code).toBe(1);
      oneLine(r.stderr, taken);
    });

    test('two children with one MAC: exit 2, no TAP made', () => {
      const [x1, x2] = [sb.name('x1'), sb.name('x2')];
      const r = runCli(dp, ['run', '--parent', q, '--child', `${x1}:02:ee:1b:00:00:02:bridge`, '--child', `${x2}:02:ee:1b:00:00:02:bridge`, '--control', ctl()]);
      expect(r.code).toBe(2);
      oneLine(r.stderr, '02:ee:1b:00:00:02');
      noLink(dp, x1); noLink(dp, x2);
    });

    test('--netns into a namespace that already has a link of that name: exit 1, and the earlier TAP removed', () => {
      const [clash] = sb.addVeth(nx, 'nn', ext, 'nne');
      const first = sb.name('y1');
      const r = runCli(dp, ['run', '--parent', q, '--child', `${first}:02:ee:1b:00:00:03:bridge`, '--netns', `${first}=${nx}`,
        '--child', `${clash}:02:ee:1b:00:00:04:bridge`, '--netns', `${clash}=${nx}`, '--control', ctl()]);
      expect(r.code).toBe(1);
      oneLine(r.stderr.split('\n').filter((l) => !/^umacvlan: child .*: bridge /.test(l)).join('\n'), clash);
      noLink(nx, first);
    });

    test('not root: exit 3, one line', () => {
      let code = 0, stderr = '';
      // nobody runs a copy it can read: the checkout may be in a directory only root can enter
      const copy = readableCopy();
      try {
        execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, copy.cli, 'run', '--parent', p, '--control', ctl()],
          { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'], cwd: copy.root });
      } catch (e) {
        const err = e as { status?: number; stderr?: string };
        code = err.status ?? -1; stderr = err.stderr ?? '';
      } finally { copy.remove(); }
      expect(code).toBe(3);
      oneLine(stderr, 'root');
    });

    test('--help: exit 0 with the usage', () => {
      const r = runCli(null, ['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage:/m);
      expect(r.stdout).toContain('run --parent');
    });
  });

  test('SIGTERM: exit 0 and every TAP gone, wherever it lives', async () => {
    expect(flags(ns.a, tap.a)).toContain('UP');
    const r = await d.stop('SIGTERM');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/counters at exit/);
    expect(sb.exec(ns.a, 'ip -o link show')).not.toContain(tap.a);
    expect(sb.exec(nx, 'ip -o link show')).not.toContain(tap.c);
    expect(sb.exec(dp, 'ip -o link show')).not.toContain(`${tap.a}:`);
  });
});
