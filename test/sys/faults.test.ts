// The fault matrix against the built daemon: bad frames, devices vanishing or flapping under load,
// signals, restarts, a second daemon. Every load is bounded and counted at its receivers.
//
//   main lab:  ext ──veth── p0 (dp: umacvlan run)  c1, c2, c3 bridge, each TAP in its own namespace
//   lab p:     the same shape, for deleting the parent
//   lab k:     the same shape, for SIGKILL, restart and a second daemon
// (the README's "What happens when…" table lists these cases.)

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { udpEchoServer, udpPing } from '../../support/echo.js';
import { CLI } from '../../support/paths.js';
import { macText } from '../../support/addresses.js';
import { sleep, until } from '../../support/time.js';
import { makeLab, type Lab, type Kid } from '../support/lab.js';
import { RawSocket } from '../support/raw-socket.js';
import { isNumberedFrame, numberedFrame, numberOf } from '../support/frames.js';
import { startReceiver, sendFlow, startStream, got, dups, type Receiver } from '../support/udp-flows.js';

const root = isRoot();
/** the numbered test frames among what a socket receives */
const numbered = (b: Uint8Array, len: number): boolean => isNumberedFrame(b, 0, len);
const PORT = 9000;

interface PortView { name: string; mode: string; state: string; mtu: number; counters: Record<string, number> }

describe.skipIf(!root)('faults (root)', () => {
  let sb: Sandbox;
  let lab: Lab;
  let d: RunningDaemon;
  let c1: Kid, c2: Kid, c3: Kid;
  let rx2: Receiver, rx3: Receiver;

  const show = (): PortView[] => {
    const r = d.cli(['show', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as PortView[];
  };
  const port = (name: string): PortView => show().find((p) => p.name === name)!;
  /** ip link line of a TAP in its namespace ('' when it is gone) */
  const linkLine = (k: Kid): string => sb.run(k.ns, ['ip', '-o', 'link']).split('\n').find((l) => l.includes(`${k.name}:`)) ?? '';
  const tapsGone = (l: Lab, kids: readonly Kid[] = l.kids): boolean => kids.every((k) => !sb.run(k.ns, ['ip', '-o', 'link']).includes(k.name));

  beforeAll(async () => {
    sb = createSandbox('umf');
    lab = makeLab(sb, '0', [{ short: 'c1', mode: 'bridge' }, { short: 'c2', mode: 'bridge' }, { short: 'c3', mode: 'bridge' }]);
    [c1, c2, c3] = lab.kids;
    d = await startDaemon(sb, lab.dp, ['--parent', lab.p0, ...lab.childArgs()]);
    for (const k of lab.kids) lab.configure(k);
    [rx2, rx3] = await Promise.all([c2, c3].map((k) => startReceiver(sb, k.ns, k.ip, PORT)));
  });

  afterAll(async () => {
    if (d) await d.stop();
    sb?.cleanup();
  }, 120_000);

  test('oversize frames from a TAP whose MTU exceeds the parent\'s: counted drops with their reason, the next good frame goes', async () => {
    // ip link lets the child's own MTU go above the parent's (a TAP allows it); the daemon bounds it by the parent's.
    sb.run(c1.ns, ['ip', 'link', 'set', c1.name, 'mtu', '9000']);
    await sleep(300);
    const from = RawSocket.open(c1.ns, c1.name), at2 = RawSocket.open(c2.ns, c2.name);
    try {
      const before = port(c1.name).counters;
      // MTU 1500 + 18: the largest frame that passes. One byte more, and a jumbo frame, are dropped (no GSO).
      const sizes = [1518, 1519, 2000, 9014, 1000];  // 9014: the most a packet socket sends at MTU 9000
      for (const [i, len] of sizes.entries()) expect(from.send(numberedFrame(c2.mac, c1.mac, len, 100 + i))).toBe(len);
      const seen = at2.collect(3, 3000, numbered);
      expect(seen.map((f) => [f.length, numberOf(f)])).toEqual([[1518, 100], [1000, 104]]);
      const after = port(c1.name).counters;
      expect(after.drop_oversize - before.drop_oversize).toBe(3);
      expect(after.tx_dropped - before.tx_dropped).toBe(3);
      expect(after.tx_packets - before.tx_packets).toBe(2);
      expect(port(c2.name).counters.rx_errors).toBe(0);
      expect(d.cli(['trace', '--in', c1.name, '--dst', c2.macText, '--len', '1519']).stdout).toMatch(/^rule: X0 oversize: longer than the sender's MTU 1500 \+ 18/);
    } finally {
      from.close(); at2.close();
      sb.run(c1.ns, ['ip', 'link', 'set', c1.name, 'mtu', '1500']);
    }
  });

  test('all-zero and group source MACs are forwarded as the kernel forwards them: the source is never checked', () => {
    const ZERO = 0, GROUP = 0x01_00_5e_00_00_01, BCAST = 0xffff_ffff_ffff;
    const ports = {
      c1: RawSocket.open(c1.ns, c1.name), c2: RawSocket.open(c2.ns, c2.name), c3: RawSocket.open(c3.ns, c3.name), ext: RawSocket.open(lab.ext, lab.e0),
    };
    const tagOf = (f: Uint8Array): number => numberOf(f);
    const srcOf = (f: Uint8Array): string => macText(Array.from(f.subarray(6, 12)).reduce((m, b) => m * 256 + b, 0));
    try {
      let tag = 200;
      for (const src of [ZERO, GROUP]) {
        // child → bridge sibling (X2), child → outside (X4: the source goes out unchanged), outside → child (U1)
        const a = tag++, b = tag++, c = tag++, e = tag++;
        ports.c1.send(numberedFrame(c2.mac, src, 100, a));
        ports.c1.send(numberedFrame(lab.extMac, src, 100, b));
        ports.ext.send(numberedFrame(c3.mac, src, 100, c));
        // a broadcast from a bridge child: local flood to the bridge siblings (X1), then the wire
        ports.c1.send(numberedFrame(BCAST, src, 100, e));
        const at2 = ports.c2.collect(2, 3000, numbered), at3 = ports.c3.collect(2, 3000, numbered), atExt = ports.ext.collect(2, 3000, numbered);
        // Frames from two different senders (c from outside, e from c1) have no order between them, in the kernel too.
        const sorted = (fs: Uint8Array[]): number[] => fs.map(tagOf).sort((x, y) => x - y);
        expect(sorted(at2), `src ${macText(src)}`).toEqual([a, e]);
        expect(sorted(at3), `src ${macText(src)}`).toEqual([c, e]);
        expect(sorted(atExt), `src ${macText(src)}`).toEqual([b, e]);
        for (const f of [...at2, ...at3, ...atExt]) expect(srcOf(f)).toBe(macText(src));
        // the sender never gets its own broadcast back
        expect(ports.c1.collect(1, 200, numbered)).toEqual([]);
      }
      // a broadcast from outside with an all-zero source: flooded to every child (G1)
      ports.ext.send(numberedFrame(BCAST, ZERO, 100, 999));
      for (const p of [ports.c1, ports.c2, ports.c3]) expect(p.collect(1, 3000, numbered).map(tagOf)).toEqual([999]);
    } finally {
      for (const p of Object.values(ports)) p.close();
    }
  });

  test('a paced burst of 10,000 frames child→child and 10,000 outside→child arrives complete, counted exactly', async () => {
    const before = port(c2.name).counters.rx_packets;
    const [a, b] = await Promise.all([
      sendFlow(sb, c1.ns, { dst: c2.ip, port: PORT, flow: 10, phase: 1, count: 10_000, rate: 4000 }),
      sendFlow(sb, lab.ext, { dst: c3.ip, port: PORT, flow: 11, phase: 1, count: 10_000, rate: 4000 }),
    ]);
    expect([a.sent, a.errors, b.sent, b.errors]).toEqual([10_000, 0, 10_000, 0]);
    expect(await until(async () => got(await rx2.snapshot(), 10, 1) === 10_000 && got(await rx3.snapshot(), 11, 1) === 10_000, 5000)).toBe(true);
    expect(dups(await rx2.snapshot()) + dups(await rx3.snapshot())).toBe(0);
    // nothing else crosses the daemon (static neighbours, IPv6 off): its own count is exact too
    expect(port(c2.name).counters.rx_packets - before).toBe(10_000);
  });

  test('the parent down and up under load: the children\'s carrier follows, forwarding resumes without a restart', async () => {
    const s1 = startStream(sb, lab.ext, { dst: c3.ip, port: PORT, flow: 20, phase: 1, count: 4000, rate: 500 });
    const s2 = startStream(sb, c1.ns, { dst: c2.ip, port: PORT, flow: 21, phase: 1, count: 4000, rate: 500 });
    try {
      await sleep(500);
      sb.run(lab.dp, ['ip', 'link', 'set', lab.p0, 'down']);
      expect(await until(() => lab.kids.every((k) => linkLine(k).includes('NO-CARRIER')), 5000), linkLine(c1)).toBe(true);
      expect(port(lab.p0).state).toBe('down');
      await sleep(500);
      sb.run(lab.dp, ['ip', 'link', 'set', lab.p0, 'up']);
      expect(await until(() => lab.kids.every((k) => /[<,]LOWER_UP[,>]/.test(linkLine(k)) && !linkLine(k).includes('NO-CARRIER')), 5000), linkLine(c1)).toBe(true);
      expect(await until(() => port(lab.p0).state === 'up', 5000)).toBe(true);
      // Every child is still in the table, as it was
      expect(show().slice(1).map((p) => p.state)).toEqual(['up', 'up', 'up']);
    } finally {
      await Promise.all([s1.stop(), s2.stop()]);
    }
    // What was sent while the parent was down may be lost; what is sent now must all arrive
    await sleep(500);
    const [a, b] = await Promise.all([
      sendFlow(sb, lab.ext, { dst: c3.ip, port: PORT, flow: 20, phase: 2, count: 1000, rate: 1000 }),
      sendFlow(sb, c1.ns, { dst: c2.ip, port: PORT, flow: 21, phase: 2, count: 1000, rate: 1000 }),
    ]);
    expect([a.sent, b.sent]).toEqual([1000, 1000]);
    expect(await until(async () => got(await rx3.snapshot(), 20, 2) === 1000 && got(await rx2.snapshot(), 21, 2) === 1000, 5000)).toBe(true);
  });

  test('a TAP deleted from outside under load: that child is gone and reported, the others lose nothing', async () => {
    const s1 = startStream(sb, lab.ext, { dst: c3.ip, port: PORT, flow: 30, phase: 1, count: 1500, rate: 500 });
    const s2 = startStream(sb, c1.ns, { dst: c3.ip, port: PORT, flow: 31, phase: 1, count: 1500, rate: 500 });
    const s3 = startStream(sb, c1.ns, { dst: c2.ip, port: PORT, flow: 32, phase: 1, count: 1500, rate: 500 });
    await sleep(1000);
    sb.run(c2.ns, ['ip', 'link', 'del', c2.name]);
    expect(await until(() => port(c2.name).state === 'gone', 5000)).toBe(true);
    const [a, b] = await Promise.all([s1.done, s2.done, s3.done]);
    await sleep(500);
    const at3 = await rx3.snapshot();
    expect(got(at3, 30, 1)).toBe(a.sent);
    expect(got(at3, 31, 1)).toBe(b.sent);
    expect(d.stderr()).toMatch(new RegExp(`child ${c2.name}: its TAP was deleted; the child is gone`));
    expect(d.cli(['set', c2.name, 'mode', 'vepa']).stderr).toMatch(/its TAP is gone/);
    // the name and the MAC can be used again
    const again = d.cli(['add', `${c2.name}:${c2.macText}:bridge`]);
    expect(again.code, again.stderr).toBe(0);
    expect(port(c2.name).state).toBe('up');
    expect(d.cli(['del', c2.name]).code).toBe(0);
  });

  test('SIGTERM under load: exit 0, every TAP removed, the control socket gone', async () => {
    const s = startStream(sb, lab.ext, { dst: c3.ip, port: PORT, flow: 40, phase: 1, count: 3000, rate: 1000 });
    const s2 = startStream(sb, c1.ns, { dst: c3.ip, port: PORT, flow: 41, phase: 1, count: 3000, rate: 1000 });
    await sleep(800);
    const end = await d.stop('SIGTERM');
    await Promise.all([s.stop(), s2.stop()]);
    expect(end.code, end.stderr).toBe(0);
    expect(end.stderr).toMatch(/counters at exit/);
    expect(tapsGone(lab)).toBe(true);
    expect(existsSync(d.controlPath)).toBe(false);
  });

  test('the parent deleted under load: the daemon says so, removes its TAPs and exits 4', async () => {
    const lp = makeLab(sb, 'p', [{ short: 'cp1', mode: 'bridge' }, { short: 'cp2', mode: 'vepa' }]);
    const dd = await startDaemon(sb, lp.dp, ['--parent', lp.p0, ...lp.childArgs()]);
    for (const k of lp.kids) lp.configure(k);
    const s = startStream(sb, lp.ext, { dst: lp.kids[0].ip, port: PORT, flow: 50, phase: 1, count: 3000, rate: 1000 });
    await sleep(800);
    sb.run(lp.dp, ['ip', 'link', 'del', lp.p0]);
    const r = await Promise.race([dd.exited, sleep(10_000).then(() => null)]);
    await s.stop();
    expect(r, dd.stderr()).toEqual({ code: 4, signal: null });
    expect(dd.stderr()).toMatch(new RegExp(`parent ${lp.p0} was deleted`));
    expect(tapsGone(lp)).toBe(true);
    expect(existsSync(dd.controlPath)).toBe(false);
  });

  test('SIGKILL, then a restart with the same children succeeds; a second daemon on the same socket or parent is refused naming the first', async () => {
    const lk = makeLab(sb, 'k', [{ short: 'ck1', mode: 'bridge' }, { short: 'ck2', mode: 'bridge' }]);
    const [k1, k2] = lk.kids;
    const control = `/run/umacvlan-test/${sb.prefix}-k.sock`;
    const args = ['--parent', lk.p0, '--control', control, ...lk.childArgs()];
    const first = await startDaemon(sb, lk.dp, args, { ownControl: false });
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(existsSync(control)).toBe(true);  // stale: nobody removed it
    expect(await until(() => tapsGone(lk), 5000)).toBe(true);  // the kernel removes a TAP with its last fd

    const second = await startDaemon(sb, lk.dp, args, { ownControl: false });
    try {
      for (const k of lk.kids) lk.configure(k);
      udpEchoServer(sb, k2.ns, k2.ip, 30);
      await sleep(300);
      expect(udpPing(sb, k1.ns, k2.ip, 3, 5000).received).toBe(3);
      expect(udpPing(sb, lk.ext, k2.ip, 3, 5000).received).toBe(3);

      // the same control path: refused before it touches anything, naming the live daemon
      const third = sb.spawn(lk.dp, [process.execPath, CLI, 'run', ...args]);
      const r3 = await sb.wait(third, 20_000);
      expect(r3.code).toBe(1);
      expect(r3.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r3.stderr).toContain(`pid ${second.proc.pid}`);
      expect(r3.stderr).toContain(control);
      // the first is untouched: still serving, its TAPs still there, still forwarding
      expect(existsSync(control)).toBe(true);
      expect(udpPing(sb, k1.ns, k2.ip, 3, 5000).received).toBe(3);
    } finally {
      second.proc.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    }

    // the same parent with the default control path (named for the namespace and the parent)
    const byParent = ['--parent', lk.p0, ...lk.childArgs()];
    const a = await startDaemon(sb, lk.dp, byParent, { ownControl: false });
    try {
      const b = sb.spawn(lk.dp, [process.execPath, CLI, 'run', ...byParent]);
      const rb = await sb.wait(b, 20_000);
      expect(rb.code).toBe(1);
      expect(rb.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(rb.stderr).toContain(`pid ${a.proc.pid}`);
      expect(rb.stderr).toContain(lk.p0);
      expect(lk.kids.every((k) => sb.run(k.ns, ['ip', '-o', 'link']).includes(k.name))).toBe(true);
    } finally {
      a.proc.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
    }
    expect(tapsGone(lk)).toBe(true);
  });
});

test.skipIf(root)('fault system tests need root: skipped (network namespaces, TAP devices)', () => {
  expect(root).toBe(false);
});
