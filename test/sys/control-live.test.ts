// Live control of a running daemon under a bounded background load, with every frame counted.
//
//   ext 198.18.0.1 ──veth── p0 (parent, in dp: umacvlan run …)
//                            ├─ c1 bridge  198.18.0.11   (own namespace)
//                            ├─ c2 bridge  198.18.0.12
//                            ├─ c3 bridge  198.18.0.13   ← background: ext → c3, 400 datagrams/s the whole file
//                            └─ c4 bridge  198.18.0.14   (added live, then moved into its namespace, then deleted)
//
// Phased flows (flow id, phase id in every datagram) are sent with the sender's mode fixed for the whole phase, so
// "nothing lost that should have been delivered and nothing delivered that the mode forbids" is an exact count per
// phase; the background flow crosses every change and must arrive complete.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { createConnection } from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, runCli, type RunningDaemon } from '../../support/daemon.js';
import { udpEchoServer, udpPing } from '../../support/echo.js';
import { macText, testMac } from '../../support/addresses.js';
import { sleep, until } from '../../support/time.js';
import { readableCopy } from '../support/readable-copy.js';
import { makeLab, LAB_MACS, type Lab, type Kid } from '../support/lab.js';
import { startReceiver, sendFlow, startStream, got, dups, type Receiver, type Stream, type Counts } from '../support/udp-flows.js';

const root = isRoot();
const PORT = 9000;
const BG_RATE = 400;
const BG_MAX = BG_RATE * 150;   // bounds the background stream to 150 s even if the file hangs
const K = 200;                  // datagrams per phase
const PHASE_RATE = 1000;
const METRICS_PORT = 19_090;

import type { PortView } from '../../src/control/requests.js';

/** Answer of one request on the control socket, sent by a client written here (not the CLI). */
function rawRequest(path: string, payload: Buffer | string, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const t = setTimeout(() => { s.destroy(); reject(new Error('no answer within the test limit')); }, opts.timeoutMs ?? 10_000);
    s.on('connect', () => {
      // The server may answer and close while a large payload is still being written: that is not a failure.
      s.write(payload, () => { if (opts.halfClose) s.end(); });
    });
    s.on('data', (d) => { buf += d.toString(); });
    s.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') { clearTimeout(t); reject(e); } });
    s.on('close', () => { clearTimeout(t); resolve(buf); });
  });
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

describe.skipIf(!root)('live control under load (root)', () => {
  let sb: Sandbox;
  let lab: Lab;
  let d: RunningDaemon;
  let c1: Kid, c2: Kid, c3: Kid;
  let rx1: Receiver, rx2: Receiver, rx3: Receiver;
  /** count what reaches the wire addressed to c1, c2 */
  let wire1: Receiver, wire2: Receiver;
  let bg: Stream;

  const show = (name?: string): PortView[] => {
    const r = d.cli(['show', ...(name ? [name] : []), '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as PortView[];
  };
  const port = (name: string): PortView => {
    const p = show().find((x) => x.name === name);
    if (!p) throw new Error(`show has no port ${name}`);
    return p;
  };
  const ok = (args: string[]): string => {
    const r = d.cli(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** One phase: K datagrams from `from` to `to`, then a pause for the last ones to land. */
  const phase = async (from: Kid, to: Kid, flow: number, ph: number): Promise<void> => {
    const r = await sendFlow(sb, from.ns, { dst: to.ip, port: PORT, flow, phase: ph, count: K, rate: PHASE_RATE });
    expect(r).toMatchObject({ sent: K, errors: 0 });
    await sleep(300);
  };
  const trace = (from: string, dst: number): string => ok(['trace', '--in', from, '--dst', macText(dst)]);

  beforeAll(async () => {
    sb = createSandbox('umf');
    lab = makeLab(sb, '0', [{ short: 'c1', mode: 'bridge' }, { short: 'c2', mode: 'bridge' }, { short: 'c3', mode: 'bridge' }]);
    [c1, c2, c3] = lab.kids;
    d = await startDaemon(sb, lab.dp, ['--parent', lab.p0, ...lab.childArgs(), '--metrics', `127.0.0.1:${METRICS_PORT}`]);
    for (const k of lab.kids) lab.configure(k);
    [rx1, rx2, rx3] = await Promise.all([c1, c2, c3].map((k) => startReceiver(sb, k.ns, k.ip, PORT)));
    const [w1, w2] = lab.observeWire([c1, c2]);
    [wire1, wire2] = await Promise.all([startReceiver(sb, w1, c1.ip, PORT), startReceiver(sb, w2, c2.ip, PORT)]);
    bg = startStream(sb, lab.ext, { dst: c3.ip, port: PORT, flow: 1, phase: 1, count: BG_MAX, rate: BG_RATE });
    expect(await until(async () => got(await rx3.snapshot(), 1, 1) > 0, 15_000)).toBe(true);
  });

  afterAll(async () => {
    if (d) await d.stop();
    sb?.cleanup();
  }, 300_000);

  test('show --json lists every port with its mode and state; counters move under load', async () => {
    const before = show();
    expect(before.map((p) => p.name)).toEqual([lab.p0, c1.name, c2.name, c3.name]);
    expect(before.slice(1).map((p) => [p.mode, p.state, p.mac])).toEqual([c1, c2, c3].map((k) => ['bridge', 'up', k.macText]));
    await sleep(600);
    const after = show(c3.name);
    expect(after).toHaveLength(1);
    const grew = after[0].counters.rx_packets - before[3].counters.rx_packets;
    expect(grew).toBeGreaterThan(BG_RATE * 0.3);
    expect(after[0].counters.rx_bytes).toBeGreaterThan(before[3].counters.rx_bytes);
    // The text form says the same in ip -s link's words
    expect(ok(['show', c3.name])).toMatch(new RegExp(`^${c3.name}: bridge ${c3.macText} mtu 1500 state up[^]*RX: packets \\d+`));
  });

  test('show carries the engine\'s statistics: the parent\'s ring, each port\'s I/O errors (none here)', () => {
    const ports = show();
    expect(ports[0].ring).toEqual({ drops: expect.any(Number), truncated: 0, tooBig: 0 });
    for (const p of ports.slice(1)) {
      expect(p.state).toBe('up');
      expect(p.io).toEqual({ readErrors: 0, writeErrors: 0, readError: null, writeError: null });
    }
    expect(ports[0].io).toMatchObject({ readErrors: 0, readError: null });
    expect(ok(['show', lab.p0])).toMatch(/\n {4}ring: drops \d+ truncated 0 too-big 0(\n|$)/);
    expect(ok(['show', c1.name])).not.toContain('I/O errors');  // said only when there are some
  });

  test('trace names the rule that decides, for the parent and for a child', () => {
    expect(trace(c1.name, c2.mac)).toMatch(/^rule: X2 bridge-local unicast\n/);
    expect(trace(c1.name, c2.mac)).toContain(`egress: ${c2.name} as local_unicast`);
    expect(trace('parent', c3.mac)).toMatch(new RegExp(`^rule: .*\\n(.*\\n)*egress: ${c3.name} as unicast`));
    expect(trace(c1.name, lab.extMac)).toMatch(/^rule: X3 bridge unicast to a non-bridge, DOWN or unknown MAC: X4 wire\negress: .* as wire/);
    expect(trace(c1.name, 0xffff_ffff_ffff)).toMatch(/^rule: X1 bridge-local flood \(2 siblings\) \+ X4 wire/);
  });

  test('a child added live is reachable with the UDP echo, from outside and from a bridge sibling', async () => {
    const c4 = lab.addKid('c4', 'bridge');
    const out = ok(['add', `${c4.name}:${c4.macText}:bridge`]);
    expect(out.trim()).toBe(`${c4.name} ${c4.macText}`);
    // Made in the daemon's namespace (add has no --netns); moved where it belongs as `ip link set netns` would.
    sb.run(lab.dp, ['ip', 'link', 'set', c4.name, 'netns', c4.ns]);
    sb.run(c4.ns, ['ip', 'link', 'set', c4.name, 'up']);
    for (const k of lab.kids) lab.configure(k);
    udpEchoServer(sb, c4.ns, c4.ip, 60);
    await sleep(300);
    const fromExt = udpPing(sb, lab.ext, c4.ip, 5, 5000);
    expect(fromExt.received, `${ok(['show', c4.name])}\n${sb.run(c4.ns, ['ip', 'link'])}\n${d.stderr()}`).toBe(5);
    const fromC1 = udpPing(sb, c1.ns, c4.ip, 5, 5000);
    expect(fromC1.received).toBe(5);
    const v = port(c4.name);
    expect(v).toMatchObject({ mode: 'bridge', state: 'up', mac: c4.macText });
    expect(v.counters.rx_packets).toBeGreaterThanOrEqual(10);
  });

  test('bridge → private → vepa → bridge: child↔child stops and resumes, counted per phase', async () => {
    // phase 1: both bridge: delivered locally, nothing on the wire
    await phase(c1, c2, 2, 1);
    // phase 2: c2 private. c1 (bridge) → c2 (not bridge) goes to the wire (X3), c2 → c1 too; neither arrives
    ok(['set', c2.name, 'mode', 'private']);
    expect(port(c2.name).mode).toBe('private');
    expect(trace(c1.name, c2.mac)).toMatch(/^rule: X3 /);
    await phase(c1, c2, 2, 2);
    await phase(c2, c1, 3, 2);
    // phase 3: c2 vepa: still nothing local (no hairpin outside)
    ok(['set', c2.name, 'mode', 'vepa']);
    await phase(c1, c2, 2, 3);
    await phase(c2, c1, 3, 3);
    // phase 4: bridge again: local both ways
    ok(['set', c2.name, 'mode', 'bridge']);
    expect(trace(c1.name, c2.mac)).toMatch(/^rule: X2 bridge-local unicast/);
    await phase(c1, c2, 2, 4);
    await phase(c2, c1, 3, 4);

    const at2 = await rx2.snapshot(), at1 = await rx1.snapshot();
    const wireTo1 = await wire1.snapshot(), wireTo2 = await wire2.snapshot();
    const row = (c: Counts, flow: number): number[] => [1, 2, 3, 4].map((p) => got(c, flow, p));
    expect(row(at2, 2)).toEqual([K, 0, 0, K]);
    expect(row(at1, 3)).toEqual([0, 0, 0, K]);
    expect(row(wireTo2, 2)).toEqual([0, K, K, 0]);
    expect(row(wireTo1, 3)).toEqual([0, K, K, 0]);
    expect(dups(at1) + dups(at2) + dups(wireTo1) + dups(wireTo2)).toBe(0);
  });

  test('a child deleted live: its TAP leaves its namespace, the others keep forwarding', async () => {
    const c4 = lab.kid('c4');
    expect(sb.run(c4.ns, ['ip', '-o', 'link'])).toContain(c4.name);
    ok(['del', c4.name]);
    expect(sb.run(c4.ns, ['ip', '-o', 'link'])).not.toContain(c4.name);
    expect(show().map((p) => p.name)).toEqual([lab.p0, c1.name, c2.name, c3.name]);
    expect(d.cli(['show', c4.name]).code).not.toBe(0);
    await phase(c1, c2, 2, 5);
    expect(got(await rx2.snapshot(), 2, 5)).toBe(K);
    // The MAC is free again: a new child may take it
    ok(['add', `${c4.name}:${c4.macText}:vepa`]);
    ok(['del', c4.name]);
  });

  test('illegal requests: one-line error, non-zero exit, the daemon still serving', () => {
    const cases: Array<[string[], RegExp]> = [
      [['set', 'nosuch', 'mode', 'private'], /no child named nosuch/],
      [['del', 'nosuch'], /no child named nosuch/],
      [['show', 'nosuch'], /no port named nosuch/],
      [['add', `${sb.name('dup')}:${c1.macText}:bridge`], /EADDRINUSE/],
      [['set', c2.name, 'mac', c1.macText], /EADDRINUSE/],
      [['add', `${c1.name}:${macText(testMac(LAB_MACS, 0xff01))}:bridge`], /exists/],
      [['set', c1.name, 'mode', 'passthru'], /passthru/],
      [['set', c1.name, 'mtu', '9000'], /mtu 9000 .*parent's 1500/],
      [['set', c1.name, 'macaddr', 'add', macText(testMac(LAB_MACS, 0xff02))], /source/],
      [['set', c1.name, 'nopromisc', 'on'], /: nopromisc flag only valid in passthru mode$/m],
      [['add', `${sb.name('np')}:auto:bridge:nopromisc`], /: nopromisc flag only valid in passthru mode$/m],
      [['add', `${sb.name('pt')}:${macText(testMac(LAB_MACS, 0xff03))}:passthru`], /passthru/],
    ];
    for (const [args, why] of cases) {
      const r = d.cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(why);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
    // Nothing changed
    expect(show().map((p) => [p.name, p.mode, p.mtu, p.mac])).toEqual([
      [lab.p0, 'parent', 1500, show()[0].mac],
      [c1.name, 'bridge', 1500, c1.macText], [c2.name, 'bridge', 1500, c2.macText], [c3.name, 'bridge', 1500, c3.macText],
    ]);
    expect(sb.run(lab.dp, ['ip', '-o', 'link'])).not.toContain(sb.name('dup'));
  });

  test('garbage, a >64 KiB request, half-closed and silent connections, 50 clients at once: still serving', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) & 0xff));
    const answers = await Promise.all([
      rawRequest(d.controlPath, Buffer.concat([garbage, Buffer.from('\n')])),
      rawRequest(d.controlPath, garbage, { halfClose: true }),
      rawRequest(d.controlPath, 'x'.repeat(100 * 1024)),
      rawRequest(d.controlPath, '{"cmd":"exec","argv":["show"', { halfClose: true }),
      rawRequest(d.controlPath, '', { halfClose: true }),
      rawRequest(d.controlPath, '[1,2,3]\n'),
      rawRequest(d.controlPath, '{"cmd":"exec","argv":[1,2]}\n'),
      rawRequest(d.controlPath, '{"cmd":"exec","argv":["run","--parent","lo"]}\n'),
    ]);
    for (const a of answers) {
      const j = JSON.parse(a) as { ok: boolean; error: string };
      expect(j.ok, a).toBe(false);
      expect(j.error, a).toMatch(/malformed|larger than|empty request|not a control-socket command/);
    }
    // A client that connects and says nothing is cut off after the server's timeout
    const silent = JSON.parse(await rawRequest(d.controlPath, '', { timeoutMs: 15_000 })) as { error: string };
    expect(silent.error).toMatch(/timed out/);

    // 50 at once: each is answered (a show, or "too many clients" beyond the cap); none hangs, and no socket stays
    // open in the daemon afterwards, well before the 5 s request timeout (one refused as busy and never read used to
    // leak its fd, and SIGTERM then hung on it)
    const fdsBefore = openFds(d.proc.pid!);
    const many = await Promise.all(Array.from({ length: 50 }, () =>
      rawRequest(d.controlPath, JSON.stringify({ cmd: 'exec', argv: ['show', '--json'] }) + '\n')));
    const parsed = many.map((a) => JSON.parse(a) as { ok: boolean; code?: string; ports?: unknown[] });
    for (const p of parsed) expect(p.ok ? 'ok' : p.code).toMatch(/^(ok|UMV_ERR_BUSY)$/);
    expect(parsed.filter((p) => p.ok).length).toBeGreaterThanOrEqual(32);
    expect(parsed.find((p) => p.ok)?.ports).toHaveLength(4);
    expect(await until(() => openFds(d.proc.pid!) <= fdsBefore, 3000), `fds ${fdsBefore} → ${openFds(d.proc.pid!)}`).toBe(true);

    // still serving, still forwarding
    expect(show()).toHaveLength(4);
    await phase(c1, c2, 2, 6);
    expect(got(await rx2.snapshot(), 2, 6)).toBe(K);
  });

  test('a client that is not root gets a clear permission error; one that gets past the file modes is refused by its uid', () => {
    const r = runCli(null, ['show', '--control', d.controlPath], { ...process.env });
    expect(r.code).toBe(0);
    // nobody runs a copy it can read: the checkout may be in a directory only root can enter
    const copy = readableCopy();
    try {
      const asNobody = (caps: string[]): ReturnType<typeof spawnSync> => spawnSync('setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', ...caps, process.execPath, copy.cli, 'show', '--control', d.controlPath],
        { encoding: 'utf8', timeout: 30_000, cwd: copy.root });
      const r2 = asNobody([]);
      const stderr = String(r2.stderr);
      expect(r2.status).toBe(1);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/permission denied \(the control socket is root's\)/);
      expect(stderr).not.toMatch(/\bat .*\.js:\d+/);
      // CAP_DAC_OVERRIDE opens the 0700 directory and the 0600 socket: only the peer's uid (SO_PEERCRED) is left
      const r3 = asNobody(['--inh-caps=+dac_override', '--ambient-caps=+dac_override']);
      expect([r3.status, String(r3.stderr)]).toEqual([1, "umacvlan: permission denied (the control socket is root's): peer uid 65534\n"]);
      expect(String(r3.stdout)).toBe('');
    } finally { copy.remove(); }
    expect(runCli(null, ['show', '--control', d.controlPath]).code).toBe(0);
  });

  test('--metrics serves the counters as Prometheus text inside the daemon\'s namespace', () => {
    const js = `require('node:http').get('http://127.0.0.1:${METRICS_PORT}/metrics', (r) => { let b = ''; ` +
      `r.on('data', (c) => b += c); r.on('end', () => { process.stdout.write(r.statusCode + '\\n' + r.headers['content-type'] + '\\n' + b); }); })` +
      `.on('error', (e) => { process.stderr.write(e.message); process.exit(1); })`;
    const text = sb.run(lab.dp, [process.execPath, '-e', js]);
    const [status, type, ...body] = text.split('\n');
    expect(status).toBe('200');
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = body.join('\n');
    expect(metrics).toContain('# TYPE umacvlan_rx_packets_total counter');
    const m = new RegExp(`^umacvlan_rx_packets_total\\{port="${c3.name}",mode="bridge"\\} (\\d+)$`, 'm').exec(metrics);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(metrics).toMatch(new RegExp(`^umacvlan_drops_total\\{port="${c1.name}",mode="bridge",reason="oversize"\\} 0$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^umacvlan_port_up\\{port="${c2.name}",mode="bridge"\\} 1$`, 'm'));
    expect(metrics).toContain('# TYPE umacvlan_ring_drops_total counter');
    expect(metrics).toMatch(new RegExp(`^umacvlan_ring_drops_total\\{port="${lab.p0}",mode="parent"\\} \\d+$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^umacvlan_ring_truncated_total\\{port="${lab.p0}",mode="parent"\\} 0$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^umacvlan_read_errors_total\\{port="${c1.name}",mode="bridge"\\} 0$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^umacvlan_write_errors_total\\{port="${c2.name}",mode="bridge"\\} 0$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^umacvlan_port_error\\{port="${c3.name}",mode="bridge"\\} 0$`, 'm'));
    // Loopback of the daemon's namespace only: nothing listens on that port here
    expect(() => sb.run(lab.ext, [process.execPath, '-e', js])).toThrow();
  });

  test('two daemons: a client that names neither gets an error listing both; --parent picks one', async () => {
    const labs = [makeLab(sb, 'a', [{ short: 'ca', mode: 'vepa' }]), makeLab(sb, 'b', [{ short: 'cb', mode: 'vepa' }])];
    const daemons = await Promise.all(labs.map((l) => startDaemon(sb, l.dp, ['--parent', l.p0, ...l.childArgs()], { ownControl: false })));
    const procs = daemons.map((x) => x.proc);
    try {
      const paths = labs.map((l) => {
        const ino = sb.run(l.dp, ['stat', '-L', '-c', '%i', '/proc/self/ns/net']).trim();
        return `/run/umacvlan/${ino}-${l.p0}.sock`;
      });
      for (const p of paths) expect(existsSync(p), p).toBe(true);
      const r = runCli(labs[0].dp, ['show']);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/more than one daemon/);
      for (const p of paths) expect(r.stderr).toContain(p);
      for (const l of labs) {
        const s = runCli(l.dp, ['show', '--parent', l.p0, '--json']);
        expect(s.code, s.stderr).toBe(0);
        expect((JSON.parse(s.stdout) as PortView[]).map((p) => p.name)).toEqual([l.p0, l.kids[0].name]);
      }
      for (const p of procs) p.kill('SIGTERM');
      const codes = await Promise.all(daemons.map((x) => x.exited));
      expect(codes.map((c) => c.code)).toEqual([0, 0]);
      for (const p of paths) expect(existsSync(p), p).toBe(false);
    } finally {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
  });

  test('the background flow crossed every change complete; SIGTERM ends the daemon with 0', async () => {
    const sent = await bg.stop();
    await sleep(500);
    const c = await rx3.stop();
    expect(sent.errors).toBe(0);
    expect(sent.sent).toBeGreaterThan(0);
    expect(got(c, 1, 1)).toBe(sent.sent);
    expect(dups(c)).toBe(0);
    const end = await d.stop();
    expect(end.code, end.stderr).toBe(0);
    expect(end.stderr).toMatch(/counters at exit/);
    for (const k of [c1, c2, c3]) expect(sb.run(k.ns, ['ip', '-o', 'link'])).not.toContain(k.name);
  });
});

test.skipIf(root)('live control system tests need root: skipped (network namespaces, TAP devices)', () => {
  expect(root).toBe(false);
});
