// Floods against the built daemon (forwarding.md §3.3, §3.4): a broadcast storm from the outside with 64 children,
// a child that floods, and bclim given as a child option at start. Every load is bounded in count and in time; what
// must hold is counted at the receivers and in the daemon's own counters, never timed. bcqueuelen and bclim set,
// shown and measured beside the kernel's macvlan: daemon-modes-broadcast.test.ts.
//
//   lab s: ext ──veth── p (dp: umacvlan run)  k1 … k64 bridge, each TAP in its own namespace
//   lab f: the same with three bridge children: a flooder, a quiet sender and its receiver
//   lab b: the same with three children asking bcqueuelen 0, one of them bclim -1

import { describe, test, expect, afterAll } from 'vitest';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { until } from '../../support/time.js';
import { makeLab, type Kid, type Lab } from '../support/lab.js';
import { RawSocket } from '../support/raw-socket.js';
import { ethFrame } from '../support/frames.js';
import { startReceiver, startStream, got, dups } from '../support/udp-flows.js';

const root = isRoot();
const BCAST = 0xffff_ffff_ffff;
const PORT = 9100;

interface PortView {
  name: string;
  mode: string;
  counters: Record<string, number>;
  broadcast?: { bcqueuelen: number; held?: number; bclim?: number };
}

/** Addresses and static neighbours for two kids only (a lab's configure() knows every kid: 64 × 64 commands) */
function pair(sb: Sandbox, a: Kid, b: Kid): void {
  for (const [k, o] of [[a, b], [b, a]] as const) {
    sb.run(k.ns, ['ip', 'addr', 'replace', `${k.ip}/24`, 'dev', k.name]);
    sb.run(k.ns, ['ip', 'neigh', 'replace', o.ip, 'lladdr', o.macText, 'dev', k.name, 'nud', 'permanent']);
  }
}

/** Sends `frame` from `sock` until `ms` have passed or `max` were sent → how many the socket took */
function blast(sock: RawSocket, frame: Uint8Array, ms: number, max: number): number {
  const end = Date.now() + ms;
  let sent = 0;
  for (let i = 0; i < max && (i % 256 !== 0 || Date.now() < end); i++) if (sock.send(frame) === frame.length) sent++;
  return sent;
}

describe.skipIf(!root)('floods (root)', () => {
  const sb: Sandbox | null = root ? createSandbox('umq') : null;
  const daemons: RunningDaemon[] = [];
  const start = async (lab: Lab, extra: (k: Kid) => string = () => ''): Promise<RunningDaemon> => {
    const args = lab.kids.flatMap((k) => ['--child', `${k.name}:${k.macText}:${k.mode}${extra(k)}`, '--netns', `${k.name}=${k.ns}`]);
    const d = await startDaemon(sb!, lab.dp, ['--parent', lab.p0, ...args], { timeoutMs: 60_000 });
    daemons.push(d);
    return d;
  };
  const show = (d: RunningDaemon): PortView[] => {
    const r = d.cli(['show', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as PortView[];
  };

  afterAll(async () => {
    for (const d of daemons) await d.stop().catch(() => undefined);
    sb?.cleanup();
  }, 120_000);

  test('a broadcast storm from the outside with 64 children: unicast child↔child keeps flowing; the overflow is queue_full', async () => {
    const lab = makeLab(sb!, 's', Array.from({ length: 64 }, (_, i) => ({ short: `s${i + 1}`, mode: 'bridge' })));
    const d = await start(lab);
    const [k1, k2] = lab.kids;
    pair(sb!, k1, k2);
    const rx = await startReceiver(sb!, k2.ns, k2.ip, PORT, 60);
    const ext = RawSocket.open(lab.ext, lab.e0);
    try {
      // 3,000 datagrams at 1,000/s from k1 to k2 while the outside sends broadcasts as fast as it can for ~3 s
      const stream = startStream(sb!, k1.ns, { dst: k2.ip, port: PORT, flow: 1, phase: 0, count: 3000, rate: 1000 });
      const storm = blast(ext, ethFrame({ dst: BCAST, src: lab.extMac, len: 60 }), 3000, 600_000);
      const sent = await stream.done;
      await until(async () => got(await rx.snapshot(), 1, 0) >= sent.sent, 5000, 200);
      const counts = await rx.stop();
      const parent = show(d).find((p) => p.mode === 'parent')!;
      const c = parent.counters;
      // the storm overflowed the queue: counted as the kernel counts it (the parent's rx_dropped)
      expect(storm).toBeGreaterThan(10_000);
      expect(c.drop_queue_full).toBeGreaterThan(0);
      expect(c.rx_dropped).toBeGreaterThanOrEqual(c.drop_queue_full);
      expect(parent.broadcast).toEqual({ bcqueuelen: 1000, held: 1000, bclim: 1 });
      // what was queued was flooded to every child, once per frame: each child got the same number of broadcasts
      const kids = show(d).filter((p) => p.mode === 'bridge');
      expect(kids.length).toBe(64);
      const floods = kids.map((p) => p.counters.rx_multicast);
      expect(floods[0]).toBeGreaterThan(0);
      expect(floods[0]).toBeLessThanOrEqual(storm - c.drop_queue_full);
      // and unicast went on: every datagram arrived, none twice
      expect(sent.errors).toBe(0);
      expect(got(counts, 1, 0)).toBe(sent.sent);
      expect(dups(counts)).toBe(0);
    } finally {
      ext.close();
    }
  }, 60_000);

  test('a flooding child: a quiet child\'s flow to a sibling loses nothing', async () => {
    const lab = makeLab(sb!, 'f', [{ short: 'ff', mode: 'bridge' }, { short: 'fq', mode: 'bridge' }, { short: 'fr', mode: 'bridge' }]);
    const d = await start(lab);
    const [flooder, quiet, recv] = lab.kids;
    pair(sb!, quiet, recv);
    const rx = await startReceiver(sb!, recv.ns, recv.ip, PORT, 60);
    const f = RawSocket.open(flooder.ns, flooder.name);
    try {
      const stream = startStream(sb!, quiet.ns, { dst: recv.ip, port: PORT, flow: 2, phase: 0, count: 2000, rate: 1000 });
      // the flooder sends to the outside (and so through the daemon) as fast as its TAP takes it, ~2.5 s
      const flood = blast(f, ethFrame({ dst: lab.extMac, src: flooder.mac, len: 60 }), 2500, 600_000);
      const sent = await stream.done;
      await until(async () => got(await rx.snapshot(), 2, 0) >= sent.sent, 5000, 200);
      const counts = await rx.stop();
      expect(flood).toBeGreaterThan(10_000);
      expect(show(d).find((p) => p.name === flooder.name)!.counters.tx_packets).toBeGreaterThan(0);
      expect(sent.errors).toBe(0);
      expect(got(counts, 2, 0)).toBe(sent.sent);
      expect(dups(counts)).toBe(0);
    } finally {
      f.close();
    }
  }, 40_000);

  test('bclim as a child option at start (M7: -1 on one child is the port\'s) and a refused value; the rows beside the kernel are daemon-modes-broadcast.test.ts', async () => {
    const lab = makeLab(sb!, 'b', [{ short: 'b1', mode: 'bridge' }, { short: 'b2', mode: 'vepa' }, { short: 'b3', mode: 'private' }]);
    const [b1] = lab.kids;
    const d = await start(lab, (k) => `:bcqueuelen=0${k === b1 ? ':bclim=-1' : ''}`);
    const ext = RawSocket.open(lab.ext, lab.e0);
    const rx = (): number[] => { const v = show(d); return lab.kids.map((k) => v.find((x) => x.name === k.name)!.counters.rx_packets); };
    try {
      expect(show(d).find((p) => p.mode === 'parent')!.broadcast).toEqual({ bcqueuelen: 0, held: 0, bclim: -1 });
      // nothing is queued, so 10 broadcasts reach every child although the port's queue is 0
      const before = rx();
      for (let i = 0; i < 10; i++) expect(ext.send(ethFrame({ dst: BCAST, src: lab.extMac, len: 60 }))).toBe(60);
      await until(() => rx().every((n, i) => n - before[i] === 10), 3000, 100);
      expect(rx()).toEqual(before.map((n) => n + 10));
      const bad = d.cli(['set', b1.name, 'bclim', '2147483648']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('bad bclim "2147483648" (an integer from -2147483648 to 2147483647)');
    } finally {
      ext.close();
    }
  }, 40_000);
});
