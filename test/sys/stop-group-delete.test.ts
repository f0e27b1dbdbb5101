// SIGTERM with many children: the TAPs that go with the daemon are deleted with one RTM_DELLINK by group per
// namespace (io/link-group.ts), and nothing else is — not a link already in a group, not a TAP that is not the
// daemon's. Under --persist the kept children stay; a `stop --remove-children` removes them the same fast way. A
// TAP deleted from outside just before SIGTERM, its close still waiting for the worker's detach, does not hold the
// daemon open.
//
//   ext: e ──veth── p (parent, in dp, the daemon's)
//   na: 32 children, fa (veth to nb, group 77), ft (a persistent TAP of no daemon's)
//   nb: 32 children, fb (veth to na, group 2^31-1: the highest `ip link` can set)

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon } from '../../support/daemon.js';
import { sleep } from '../../support/time.js';

const root = isRoot();
const PER_NS = 32;

describe.skipIf(!root)('stop: one group delete per namespace (root)', () => {
  let sb: Sandbox;
  let dp: string, na: string, nb: string;
  let p: string, fa: string, fb: string, ft: string;
  let dir: string;
  const kids: Array<{ name: string; ns: string }> = [];

  beforeAll(() => {
    sb = createSandbox('umg');
    dir = mkdtempSync(join(tmpdir(), 'umg-stop-'));
    const ext = sb.addNs('x');
    dp = sb.addNs('d');
    na = sb.addNs('na');
    nb = sb.addNs('nb');
    [, p] = sb.addVeth(ext, 'e', dp, 'p');
    [fa, fb] = sb.addVeth(na, 'fa', nb, 'fb');
    sb.run(na, ['ip', 'link', 'set', fa, 'group', '77']);
    sb.run(nb, ['ip', 'link', 'set', fb, 'group', String(0x7fffffff)]);
    ft = sb.name('ft');
    sb.run(na, ['ip', 'tuntap', 'add', 'mode', 'tap', 'name', ft]);
    for (const [ns, s] of [[na, 'a'], [nb, 'b']] as const) {
      for (let i = 0; i < PER_NS; i++) kids.push({ name: sb.name(`${s}${i}`), ns });
    }
  });

  afterAll(() => {
    const left = sb?.cleanup() ?? [];
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  const childArgs = (ks: typeof kids): string[] => ks.flatMap((k) => ['--child', `${k.name}:auto:bridge`, '--netns', `${k.name}=${k.ns}`]);
  /** The names of the links of a namespace */
  const links = (ns: string): string[] =>
    (JSON.parse(sb.run(ns, ['ip', '-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname);
  const group = (ns: string, name: string): string => sb.run(ns, ['cat', `/sys/class/net/${name}/netdev_group`]).trim();
  const kidsIn = (ns: string): string[] => kids.filter((k) => k.ns === ns).map((k) => k.name);
  /** What no stop may touch: the foreign links, with the groups they had */
  const expectForeignIntact = (): void => {
    expect(links(na)).toEqual(expect.arrayContaining([fa, ft]));
    expect(links(nb)).toContain(fb);
    expect(group(na, fa)).toBe('77');
    expect(group(na, ft)).toBe('0');
    expect(group(nb, fb)).toBe(String(0x7fffffff));
  };

  test('SIGTERM: every TAP gone with one delete per namespace; the foreign links and their groups stay; exit 0', async () => {
    const d = await startDaemon(sb, dp, ['--parent', p, ...childArgs(kids)], { timeoutMs: 30_000 });
    for (const ns of [na, nb]) expect(links(ns)).toEqual(expect.arrayContaining(kidsIn(ns)));
    const r = await d.stop();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`stop: ${kids.length} of ${kids.length} TAPs removed by 2 group deletes`);
    expect(r.stderr).not.toContain('one at a time');
    for (const ns of [na, nb]) expect(links(ns).filter((n) => kidsIn(ns).includes(n))).toEqual([]);
    expectForeignIntact();
  }, 30_000);

  test('--persist: SIGTERM keeps every child (groups untouched); stop --remove-children removes them by group', async () => {
    const state = join(dir, 'p.state');
    const some = [...kids.slice(0, 8), ...kids.slice(PER_NS, PER_NS + 8)];
    const args = ['--parent', p, ...childArgs(some), '--persist', '--state', state];
    let d = await startDaemon(sb, dp, args, { timeoutMs: 30_000 });
    // one deleted while running goes at once, alone
    expect(d.cli(['del', some[0].name]).code).toBe(0);
    const r = await d.stop();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('group delete');
    const kept = some.slice(1);
    expect(links(na)).not.toContain(some[0].name);
    for (const k of kept) {
      expect(links(k.ns)).toContain(k.name);
      expect(group(k.ns, k.name)).toBe('0');
    }
    expectForeignIntact();

    d = await startDaemon(sb, dp, args, { timeoutMs: 30_000 });
    const stop = d.cli(['stop', '--remove-children']);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await d.exited).code).toBe(0);
    // the deleted one is in the command line still: made again, and removed with the others
    expect(d.stderr()).toContain(`stop: ${some.length} of ${some.length} TAPs removed by 2 group deletes`);
    for (const ns of [na, nb]) expect(links(ns).filter((n) => kidsIn(ns).includes(n))).toEqual([]);
    expect(existsSync(state)).toBe(false);
    expectForeignIntact();
  }, 30_000);

  test('a TAP deleted outside just before SIGTERM: the daemon still exits at once, the others removed', async () => {
    const two = kidsIn(na).slice(0, 2).map((name) => ({ name, ns: na }));
    for (let round = 0; round < 4; round++) {
      const d = await startDaemon(sb, dp, ['--parent', p, ...childArgs(two)], { timeoutMs: 30_000 });
      // A second of nothing: the worker then looks for changes every 100 ms, the widest window for the
      // SIGTERM to come while the deleted child's detach is still unapplied.
      await sleep(1_100);
      sb.run(na, ['ip', 'link', 'del', two[0].name]);
      for (let i = 0; i < 2_000 && !d.stderr().includes(`child ${two[0].name}: its TAP was deleted`); i++) await sleep(1);
      const r = await d.stop();
      expect(r.signal, r.stderr).toBe(null);  // not killed after the wait: it exited
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`child ${two[0].name}: its TAP was deleted; the child is gone`);
      expect(r.stderr).toContain('stop: 1 of 1 TAPs removed by 1 group delete');
      expect(links(na).filter((n) => n === two[0].name || n === two[1].name)).toEqual([]);
    }
    expectForeignIntact();
  }, 120_000);
});
