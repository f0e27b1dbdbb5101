// Soak: the daemon forwards a bounded, steady load for UMV_SOAK_SECONDS (default 60) while its memory is
// sampled; nothing of the test's own flows may be lost, and memory must stay flat.
//
//   ext ──veth── p0 (dp: umacvlan run)   c1, c2 bridge
//   flows: c1 → c2 at 2,500 datagrams/s (bridge-local), ext → c1 at 1,000/s (from the wire); a show over the control
//   socket at every sample, so the control path is soaked too.
// "Flat": the largest RSS of the last third is below the largest of the first third + 20 MB (the first third
// absorbs warm-up: JIT, pools, the first GCs).

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { sleep, until } from '../../support/time.js';
import { makeLab, type Lab } from '../support/lab.js';
import { startReceiver, startStream, got, dups, type Receiver } from '../support/udp-flows.js';
import { request } from '../../src/control/server.js';

const root = isRoot();
const SECONDS = Math.max(5, Number(process.env.UMV_SOAK_SECONDS ?? 60));
const PORT = 9000;
const RATE_LOCAL = 2500;
const RATE_WIRE = 1000;
const SAMPLE_MS = 3000;
const SLACK_MB = 20;

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

describe.skipIf(!root)(`soak: ${SECONDS} s at ${RATE_LOCAL + RATE_WIRE} datagrams/s (root)`, () => {
  let sb: Sandbox;
  let lab: Lab;
  let d: RunningDaemon;
  let rx1: Receiver, rx2: Receiver;

  beforeAll(async () => {
    sb = createSandbox('umf');
    lab = makeLab(sb, '0', [{ short: 'c1', mode: 'bridge' }, { short: 'c2', mode: 'bridge' }]);
    d = await startDaemon(sb, lab.dp, ['--parent', lab.p0, ...lab.childArgs()]);
    for (const k of lab.kids) lab.configure(k);
    const [c1, c2] = lab.kids;
    [rx1, rx2] = await Promise.all([startReceiver(sb, c1.ns, c1.ip, PORT, SECONDS + 60), startReceiver(sb, c2.ns, c2.ip, PORT, SECONDS + 60)]);
    // the daemon's pid is the one spawned: `ip netns exec` execs the program
    expect(readFileSync(`/proc/${d.proc.pid}/cmdline`, 'utf8')).toContain('main.js');
  });

  afterAll(async () => {
    if (d) await d.stop();
    sb?.cleanup();
  }, 60_000);

  /** Where frames went missing: receivers, the daemon's counters, the TAPs' own counters, UDP socket drops. */
  const whereLost = async (localSent: number, wireSent: number): Promise<string> => {
    const [c1, c2] = lab.kids;
    const lines = [`c1→c2 sent ${localSent} got ${got(await rx2.snapshot(), 1, 1)}; ext→c1 sent ${wireSent} got ${got(await rx1.snapshot(), 2, 1)}`];
    const a = await request(d.controlPath, { cmd: 'exec', argv: ['show', '--json'] }) as { ports?: Array<{ name: string; counters: Record<string, number> }> };
    for (const p of a.ports ?? []) lines.push(`${p.name}: ${Object.entries(p.counters).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    for (const k of [c1, c2]) {
      lines.push(sb.run(k.ns, ['ip', '-s', 'link', 'show', k.name]).trim());
      lines.push(sb.run(k.ns, ['cat', '/proc/net/snmp']).split('\n').filter((x) => x.startsWith('Udp:')).join('\n'));
    }
    lines.push(sb.run(lab.dp, ['ip', '-s', 'link', 'show', lab.p0]).trim());
    return lines.join('\n');
  };

  test('zero loss of the test\'s flows and flat memory', async () => {
    const [c1, c2] = lab.kids;
    const local = startStream(sb, c1.ns, { dst: c2.ip, port: PORT, flow: 1, phase: 1, count: RATE_LOCAL * SECONDS, rate: RATE_LOCAL, size: 200 });
    const wire = startStream(sb, lab.ext, { dst: c1.ip, port: PORT, flow: 2, phase: 1, count: RATE_WIRE * SECONDS, rate: RATE_WIRE, size: 200 });
    const samples: Array<{ t: number; rss: number }> = [];
    const t0 = Date.now();
    let finished = false;
    void Promise.all([local.done, wire.done]).finally(() => { finished = true; });
    while (!finished) {
      samples.push({ t: (Date.now() - t0) / 1000, rss: rssMb(d.proc.pid!) });
      const a = await request(d.controlPath, { cmd: 'exec', argv: ['show', '--json'] });
      expect(a.ok).toBe(true);
      await Promise.race([sleep(SAMPLE_MS), Promise.all([local.done, wire.done])]);
    }
    const [l, w] = await Promise.all([local.done, wire.done]);
    samples.push({ t: (Date.now() - t0) / 1000, rss: rssMb(d.proc.pid!) });
    expect([l.sent, l.errors, w.sent, w.errors]).toEqual([RATE_LOCAL * SECONDS, 0, RATE_WIRE * SECONDS, 0]);
    const arrived = await until(async () => got(await rx2.snapshot(), 1, 1) === l.sent && got(await rx1.snapshot(), 2, 1) === w.sent, 5000);
    expect(arrived, await whereLost(l.sent, w.sent)).toBe(true);
    expect(dups(await rx1.snapshot()) + dups(await rx2.snapshot())).toBe(0);

    const third = Math.max(1, Math.floor(samples.length / 3));
    const firstMax = Math.max(...samples.slice(0, third).map((s) => s.rss));
    const lastMax = Math.max(...samples.slice(-third).map((s) => s.rss));
    console.log(`soak ${SECONDS} s: ${l.sent + w.sent} datagrams in ${(l.ms / 1000).toFixed(1)} s, none lost; RSS (MB) ` +
      samples.map((s) => `${s.t.toFixed(0)}s:${s.rss.toFixed(0)}`).join(' ') + `; first third max ${firstMax.toFixed(1)}, last third max ${lastMax.toFixed(1)}`);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(lastMax).toBeLessThan(firstMax + SLACK_MB);
  }, SECONDS * 2000 + 60_000);
});

test.skipIf(root)('soak system test needs root: skipped (network namespaces, TAP devices)', () => {
  expect(root).toBe(false);
});
