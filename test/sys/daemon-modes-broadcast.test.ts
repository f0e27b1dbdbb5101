// The broadcast knobs, bcqueuelen and bclim (forwarding.md §3.3, §3.4), through the daemon beside the kernel's own
// macvlan: two identical sandboxes (test/support/twin-ports.ts), every step done on both, every count compared.
//
//   port A: veth parent, a1 bridge, a2 vepa, a3 private (promiscuous parent: every group frame is queued, M6)
//   port B: veth parent, t passthru nopromisc (non-promiscuous parent: held counts decide, M14, M15)
//   every child asks bcqueuelen 0, so a queued frame is a dropped frame, at once and on both implementations: what
//   each child receives is decided when the frame arrives, not when a work item drains the queue.
//
// Each row sends N counted frames (counted-frames.ts) from the outside host and compares, per child, what arrived
// exactly once with the spec, and the parent's rx_dropped (the kernel's counter; the daemon's parent row) with the
// frames the spec queues. The table of all rows is printed at the end.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { macText, testMac } from '../../support/addresses.js';
import { Tally, sendAndCount } from '../support/counted-frames.js';
import { devMcastGroups, freeBucketGroup } from '../support/port-hash.js';
import { build, exec, OUT_MAC, type Knobs, type PortKey, type Side } from '../support/twin-ports.js';

const root = isRoot();
const N = 20;
const BCAST = 0xffff_ffff_ffff;
const A = ['a1', 'a2', 'a3'];
/** 01:00:5e:42:xx:xx, IPv4-mapped groups no stack in the sandbox joins */
const group = (n: number): number => 0x0100_5e42_0000 + n;

interface Row { what: string; port: PortKey; dst: number; expect: string[]; queued: boolean }
interface Line { scenario: string; spec: string; kernel: string; umacvlan: string }
const table: Line[] = [];
let nextRow = 1;
const fmt = (r: { exact: string[]; odd: string[] }): string => [...r.exact, ...r.odd].join(' ') || '—';

/** One side: the rows' frames from outside; per row who got every frame exactly once; the parents' rx_dropped moves */
async function burst(s: Side, rows: readonly (Row & { id: number })[]): Promise<{ got: string[]; dropped: Record<PortKey, number> }> {
  const ports = [...new Set(rows.map((r) => r.port))];
  const before = await Promise.all(ports.map((p) => s.rxDropped(p)));
  const tally = new Tally([...s.eps.values()]);
  await sendAndCount(tally, rows.map((r) => ({ from: s.ext[r.port], row: r.id, dst: r.dst, src: OUT_MAC, count: N })));
  const after = await Promise.all(ports.map((p) => s.rxDropped(p)));
  const dropped = { a: 0, b: 0 };
  // The kernel's parent passes every one of these group frames to its own stack (I5), which has no protocol for the
  // test EtherType and counts each in the same rx_dropped (a packet socket there does not help: it is served before
  // macvlan's rx_handler). What is left is what macvlan's queue refused.
  const ownStack = (p: PortKey): number => (s.impl === 'k' ? N * rows.filter((r) => r.port === p).length : 0);
  ports.forEach((p, j) => { dropped[p] = after[j] - before[j] - ownStack(p); });
  return { got: rows.map((r) => fmt(tally.receivers(r.id, N))), dropped };
}

/** The rows on both sides at once: the kernel must give the spec, the daemon what the kernel gave */
async function compare(sides: Side[], label: string, rows: readonly Row[]): Promise<void> {
  const numbered = rows.map((r) => ({ ...r, id: nextRow++ }));
  const [k, u] = await Promise.all(sides.map((s) => burst(s, numbered)));
  const failures: string[] = [];
  numbered.forEach((r, j) => {
    const spec = [...r.expect].sort().join(' ') || '—';
    table.push({ scenario: `${label}: ${r.what}`, spec, kernel: k.got[j], umacvlan: u.got[j] });
    if (k.got[j] !== spec) failures.push(`kernel, ${label}, ${r.what}: ${k.got[j]} (spec: ${spec})`);
    if (u.got[j] !== k.got[j]) failures.push(`umacvlan, ${label}, ${r.what}: ${u.got[j]} (kernel: ${k.got[j]})`);
  });
  for (const p of [...new Set(rows.map((r) => r.port))]) {
    const spec = N * rows.filter((r) => r.port === p && r.queued).length;
    table.push({ scenario: `${label}: parent ${p} rx_dropped`, spec: `+${spec}`, kernel: `+${k.dropped[p]}`, umacvlan: `+${u.dropped[p]}` });
    if (k.dropped[p] !== spec) failures.push(`kernel, ${label}: parent ${p} rx_dropped +${k.dropped[p]} (spec: +${spec})`);
    if (u.dropped[p] !== k.dropped[p]) failures.push(`umacvlan, ${label}: parent ${p} rx_dropped +${u.dropped[p]} (kernel: +${k.dropped[p]})`);
  }
  expect(failures).toEqual([]);
}

/** The knobs of a port on both sides: equal, and as the spec says */
async function knobsBoth(sides: Side[], port: PortKey, label: string, want: Knobs): Promise<void> {
  const [k, u] = await Promise.all(sides.map((s) => s.knobs(port)));
  const text = (x: Knobs): string => `${Object.entries(x.kids).map(([c, n]) => `${c} ${n}`).join(', ')}; port ${x.used}, bclim ${x.bclim}`;
  table.push({ scenario: `${label}: bcqueuelen asked; the port's; bclim`, spec: text(want), kernel: text(k), umacvlan: text(u) });
  expect([k, u]).toEqual([want, want]);
}

const bothDo = (sides: Side[], f: (s: Side) => Promise<void>): Promise<void[]> => Promise.all(sides.map(f));

describe.skipIf(!root)('daemon: bcqueuelen and bclim against the kernel macvlan (root)', () => {
  let sb: Sandbox;
  const sides: Side[] = [];
  const u = (): Side => sides[1];
  // Groups on port A: G1 held by a1 only, G2 by a1 and a2 (picked below so the kernel's hashes add no copy)
  let G1 = 0, G2 = 0;

  beforeAll(async () => {
    sb = createSandbox('umk');
    for (const impl of ['k', 'u'] as const) sides.push(await build(sb, impl));
  }, 60_000);

  afterAll(async () => {
    for (const s of sides) await s.close().catch(() => undefined);
    sb?.cleanup();
    if (table.length) {
      const w = [78, 30, 30, 30];
      const line = (c: string[]): string => c.map((x, j) => x.padEnd(w[j])).join(' | ');
      console.log(['', line(['scenario', 'spec', 'kernel macvlan', 'umacvlan']), '-'.repeat(176), ...table.map((l) => line([l.scenario, l.spec, l.kernel, l.umacvlan]))].join('\n'));
    }
  }, 60_000);

  test('bcqueuelen: created 0, set, shown; the port\'s queue is the largest request; read back from the kernel', async () => {
    const zero = { a1: 0, a2: 0, a3: 0 };
    await knobsBoth(sides, 'a', 'created with bcqueuelen 0', { kids: zero, used: 0, bclim: 1 });
    await knobsBoth(sides, 'b', 'passthru, created with bcqueuelen 0', { kids: { t: 0 }, used: 0, bclim: 1 });
    await bothDo(sides, (s) => s.setQueue('a2', 7));
    await knobsBoth(sides, 'a', 'a2 bcqueuelen 7', { kids: { ...zero, a2: 7 }, used: 7, bclim: 1 });
    await bothDo(sides, (s) => s.setQueue('a3', 4294967295));
    await knobsBoth(sides, 'a', 'a3 bcqueuelen 4294967295', { kids: { a1: 0, a2: 7, a3: 4294967295 }, used: 4294967295, bclim: 1 });
    // iproute2 (a u32) and the daemon's client refuse the same value; nothing changes
    const k = sides[0];
    expect(() => sb.run(k.ns('a3'), ['ip', 'link', 'set', k.ifname('a3'), 'type', 'macvlan', 'bcqueuelen', '4294967296'])).toThrow();
    const bad = u().daemons.a!.cli(['set', u().ifname('a3'), 'bcqueuelen', '4294967296']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('bcqueuelen 4294967296 is out of range (0–4294967295)')]);
    // umacvlan holds at most 65,536 of it (README deviations, "3.4 bcqueuelen above 65536"); the client's text
    expect(u().daemons.a!.cli(['show']).stdout).toContain('    broadcast queue: bcqueuelen 4294967295 (held at most 65536) bclim 1');
    await bothDo(sides, async (s) => { await s.setQueue('a2', 0); await s.setQueue('a3', 0); });
    await knobsBoth(sides, 'a', 'back to 0', { kids: zero, used: 0, bclim: 1 });
  }, 20_000);

  test('M5 / M12: a broadcast burst larger than the queue (0) reaches no child and counts rx_dropped; one within it (a3 asks 1000) reaches all', async () => {
    await compare(sides, 'bcqueuelen 0, bclim 1', [{ what: 'out → broadcast', port: 'a', dst: BCAST, expect: [], queued: true }]);
    await bothDo(sides, (s) => s.setQueue('a3', 1000));
    await compare(sides, 'a3 bcqueuelen 1000', [{ what: 'out → broadcast', port: 'a', dst: BCAST, expect: A, queued: false }]);
    await bothDo(sides, (s) => s.setQueue('a3', 0));
  }, 20_000);

  test('M6 / M7: bclim 1, 0, 100, −1, −5 through any child, on a promiscuous parent: every group queued unless negative', async () => {
    // The kernel's per-child filters are hashes salted with the child's address in memory (M1): a child may get a
    // group it never joined. Pick G1 and G2 so that, on the kernel's side, only their holders get them.
    const k = sides[0];
    let ok = false;
    for (let attempt = 0; attempt < 6 && !ok; attempt++) {
      [G1, G2] = [group(0x101 + 2 * attempt), group(0x102 + 2 * attempt)];
      const holders: Array<[string, number]> = [['a1', G1], ['a1', G2], ['a2', G2]];
      for (const [c, g] of holders) await k.join(c, g);
      await k.setBclim('a1', -1);
      const probe = await burst(k, [{ id: 900 + 2 * attempt, what: 'G1', port: 'a', dst: G1, expect: [], queued: false },
        { id: 901 + 2 * attempt, what: 'G2', port: 'a', dst: G2, expect: [], queued: false }]);
      ok = probe.got[0] === 'a1' && probe.got[1] === 'a1 a2';
      await k.setBclim('a1', 1);
      if (!ok) for (const [c, g] of holders) sb.run(k.ns(c), ['ip', 'maddr', 'del', macText(g), 'dev', k.ifname(c)]);
    }
    expect(ok).toBe(true);
    await u().join('a1', G1); await u().join('a1', G2); await u().join('a2', G2);
    const rows = (neg: boolean): Row[] => [
      { what: 'out → broadcast', port: 'a', dst: BCAST, expect: neg ? A : [], queued: !neg },
      { what: `out → G1 ${macText(G1)} (held by a1)`, port: 'a', dst: G1, expect: neg ? ['a1'] : [], queued: !neg },
      { what: `out → G2 ${macText(G2)} (held by a1, a2)`, port: 'a', dst: G2, expect: neg ? ['a1', 'a2'] : [], queued: !neg },
    ];
    const zero = { a1: 0, a2: 0, a3: 0 };
    await compare(sides, 'bclim 1 (default)', rows(false));
    for (const [via, n] of [['a3', 0], ['a1', 100], ['a2', -1], ['a3', -5]] as const) {
      await bothDo(sides, (s) => s.setBclim(via, n));
      await knobsBoth(sides, 'a', `bclim ${n} set through ${via}`, { kids: zero, used: 0, bclim: n });
      await compare(sides, `bclim ${n}`, rows(n < 0));
    }
  }, 25_000);

  test('M14 / M15: a nopromisc passthru child leaves its veth non-promiscuous: held counts decide; its ALLMULTI opens every group', async () => {
    const k = sides[0];
    const G3 = group(0x201);
    await bothDo(sides, (s) => s.join('t', G3));
    // G4: held by nobody, in a port-hash bucket nothing held uses, so the kernel's port filter refuses it exactly
    const held = devMcastGroups(sb.run(k.ns('t'), ['cat', '/proc/net/dev_mcast']), k.ifname('t'));
    const G4 = freeBucketGroup(group(0x300), [...held, BCAST]);
    const promiscuity = (JSON.parse(sb.run(k.dp, ['ip', '-d', '-j', 'link', 'show', k.parent.b])) as Array<{ promiscuity: number }>)[0].promiscuity;
    expect(promiscuity).toBe(0);
    const rows = (g3: string[], bc: string[], g4: string[], queued: { g3: boolean; bc: boolean; g4: boolean }): Row[] => [
      { what: `out → G3 ${macText(G3)} (held by t)`, port: 'b', dst: G3, expect: g3, queued: queued.g3 },
      { what: 'out → broadcast', port: 'b', dst: BCAST, expect: bc, queued: queued.bc },
      { what: `out → G4 ${macText(G4)} (held by nobody)`, port: 'b', dst: G4, expect: g4, queued: queued.g4 },
    ];
    // bclim 1: G3 has one holder, not more than 1: flooded at once (Q2); broadcast queued (Q1); G4 in neither (Q3)
    await compare(sides, 'passthru nopromisc, bclim 1', rows(['t'], [], [], { g3: false, bc: true, g4: false }));
    await bothDo(sides, (s) => s.setBclim('t', 0));
    await compare(sides, 'passthru nopromisc, bclim 0', rows([], [], [], { g3: true, bc: true, g4: false }));
    await bothDo(sides, (s) => s.setBclim('t', -1));
    await compare(sides, 'passthru nopromisc, bclim -1', rows(['t'], ['t'], [], { g3: false, bc: false, g4: false }));
    // ALLMULTI on the child while it is UP: the parent is ALLMULTI, its port filters take every group (M15)
    await bothDo(sides, (s) => s.allmulti('t', true));
    await compare(sides, 't allmulticast, bclim -1', rows(['t'], ['t'], ['t'], { g3: false, bc: false, g4: false }));
    await bothDo(sides, (s) => s.setBclim('t', 1));
    await compare(sides, 't allmulticast, bclim 1', rows([], [], [], { g3: true, bc: true, g4: true }));
    await bothDo(sides, (s) => s.allmulti('t', false));
    await compare(sides, 't allmulticast off, bclim 1', rows(['t'], [], [], { g3: false, bc: true, g4: false }));
  }, 25_000);

  test('M7: bclim set through a child is kept when that child is deleted, and forgotten with the port\'s last child', async () => {
    await bothDo(sides, (s) => s.setBclim('a2', -5));
    await bothDo(sides, (s) => s.del('a2'));
    await knobsBoth(sides, 'a', 'a2 (which set bclim -5) deleted', { kids: { a1: 0, a3: 0 }, used: 0, bclim: -5 });
    await compare(sides, 'a2 deleted, bclim -5', [{ what: 'out → broadcast', port: 'a', dst: BCAST, expect: ['a1', 'a3'], queued: false }]);
    await bothDo(sides, async (s) => { await s.del('a1'); await s.del('a3'); });
    await bothDo(sides, (s) => s.add('a4', 'a', 'bridge', testMac(0x0b, 0x14)));
    await knobsBoth(sides, 'a', 'every child deleted, a4 added', { kids: { a4: 1000 }, used: 1000, bclim: 1 });
  }, 20_000);

  test('the daemons saw no datapath error', async () => {
    for (const d of Object.values(u().daemons)) expect(d!.stderr()).not.toMatch(/datapath:|internal error/);
    expect((await exec(u().daemons.b!, ['show', '--json'])).ok).toBe(true);
  });
});
