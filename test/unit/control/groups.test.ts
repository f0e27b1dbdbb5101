// A child's multicast groups through the daemon, over the fake host: reports from rtnetlink (IP-level) and dev_mcast
// merged by the one rule, only differences posted to the worker, the group cap (all-multicast on the table and on
// the parent, slow reads, no per-group state), and what `show` reports. The replica rebuilt from the messages alone
// must equal the control side's table after every step.

import { afterEach, describe, expect, test } from 'vitest';
import { Daemon } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-spec.js';
import { portViews } from '../../../src/control/requests.js';
import { Mode } from '../../../src/core/constants.js';
import type { PortTable } from '../../../src/core/port-table.js';
import type { DatapathOptions } from '../../../src/datapath/handle.js';
import type { ToWorker } from '../../../src/datapath/messages.js';
import { FakeDatapath, FakeHost, MemoryLog, type FakeTap } from './fake-host.js';

const A = 0x02aa_0000_0001;
const G1 = 0x0100_5e01_0203;
const G2 = 0x3333_ff00_0001;
const G3 = 0x0180_c200_000e;

interface Rig { d: Daemon; tap: FakeTap; dp: FakeDatapath }
const running: Daemon[] = [];

async function start(maxGroups = 1024): Promise<Rig> {
  const host = new FakeHost();
  const c: ChildConfig = { name: 'c1', mac: A, mode: Mode.BRIDGE, flags: 0, macaddr: [] };
  let dp: FakeDatapath | undefined;
  const d = await Daemon.start({ parent: 'p0', children: [c], log: 'normal', busyPollUs: 0, maxGroups }, host, new MemoryLog(),
    (t: PortTable, o: DatapathOptions) => (dp = new FakeDatapath(t, o)));
  running.push(d);
  dp!.take();
  return { d, tap: host.taps.get('c1')!, dp: dp! };
}

afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

const hex = (m: number): string => m.toString(16);
const memberships = (ms: ToWorker[]): string[] =>
  ms.flatMap((m) => (m.op === 'membership' ? [`${m.add ? '+' : '-'}${m.kind}${'mac' in m ? ` ${hex(m.mac)}` : ''}`] : []));
const tableOps = (ms: ToWorker[]): string[] => ms.flatMap((m) => (m.op === 'table' ? [m.method] : []));
const inSync = (r: Rig): void => expect(r.dp.replica.snapshot()).toEqual(r.d.table.snapshot());
const dev = (r: Rig, macs: number[], count = macs.length): void => r.tap.emit({ type: 'dev-mcast', macs, count });
const ip = (r: Rig, join: boolean, key: string, mac: number): void => r.tap.emit({ type: 'ip-group', join, key, mac });
const groupsView = (r: Rig) => portViews(r.d, 'c1')[0].groups;

describe('groups reported by the host', () => {
  test('a dev_mcast report: one table change and one membership per group that changed, nothing for a repeat', async () => {
    const r = await start();
    dev(r, [G1, G2]);
    expect(r.d.table.groupsOf(1)).toEqual([G1, G2].sort((a, b) => a - b));
    const sent = r.dp.take();
    expect(tableOps(sent)).toEqual(['changeGroups']);
    expect(memberships(sent).sort()).toEqual([`+multicast ${hex(G1)}`, `+multicast ${hex(G2)}`]);
    dev(r, [G1, G2]);
    expect(r.dp.take()).toEqual([]);
    dev(r, [G2]);
    expect(memberships(r.dp.take())).toEqual([`-multicast ${hex(G1)}`]);
    inSync(r);
  });

  test('the merge rule: a MAC stays while either an IP group or a dev_mcast entry holds it; the first source is kept', async () => {
    const r = await start();
    ip(r, true, '4:e1010203', G1);
    expect(r.d.table.groupsOf(1)).toEqual([G1]);
    expect(groupsView(r)).toEqual({ cap: false, entries: [{ mac: '01:00:5e:01:02:03', source: 'netlink' }] });
    dev(r, [G1, G3]);
    expect(groupsView(r)!.entries).toEqual([
      { mac: '01:00:5e:01:02:03', source: 'netlink' }, { mac: '01:80:c2:00:00:0e', source: 'dev_mcast' }]);
    r.dp.take();
    ip(r, false, '4:e1010203', G1);  // dev_mcast still lists it
    expect(r.dp.take()).toEqual([]);
    expect(r.d.table.groupsOf(1)).toContain(G1);
    dev(r, [G3]);  // now neither holds it
    expect(r.d.table.groupsOf(1)).toEqual([G3]);
    ip(r, true, '4:e1010203', G1);
    ip(r, true, '4:e181020', G1);  // a second IP group on the same MAC (the low 23 bits collide)
    ip(r, false, '4:e1010203', G1);
    expect(r.d.table.groupsOf(1)).toContain(G1);
    ip(r, false, '4:e181020', G1);
    expect(r.d.table.groupsOf(1)).toEqual([G3]);
    inSync(r);
  });

  test('lost netlink messages: IP-level groups are forgotten unless dev_mcast holds them', async () => {
    const r = await start();
    ip(r, true, '6:ff0200000000000000000001ff000001', G2);
    ip(r, true, '4:e1010203', G1);
    dev(r, [G1]);
    r.tap.emit({ type: 'resync' });
    expect(r.d.table.groupsOf(1)).toEqual([G1]);
    inSync(r);
  });

  test('a TAP moved to another namespace: its IP-level groups are dropped, the new namespace\'s dev_mcast decides', async () => {
    const r = await start();
    ip(r, true, '4:e1010203', G1);
    dev(r, [G3]);
    r.tap.emit({ type: 'moved', netns: 'n2' });
    expect(r.d.table.groupsOf(1)).toEqual([G3]);
    dev(r, []);
    expect(r.d.table.groupsOf(1)).toEqual([]);
    inSync(r);
  });
});

describe('the group cap', () => {
  test('over --max-groups: no exact groups, all-multicast on the table and the parent, slow reads; back under: exact again', async () => {
    const r = await start(2);
    expect(r.tap.reads).toEqual({ limit: 2, slow: false });
    dev(r, [G1, G2]);
    r.dp.take();
    dev(r, [G1, G2], 40_000);  // the reader keeps at most the limit, and counts the rest
    expect(r.d.table.groupsOf(1)).toEqual([]);
    expect(r.d.table.allmulti[1]).toBe(1);
    const sent = r.dp.take();
    expect(memberships(sent).sort()).toEqual(['+allmulti', `-multicast ${hex(G1)}`, `-multicast ${hex(G2)}`].sort());
    expect(r.tap.reads).toEqual({ limit: 2, slow: true });
    expect(groupsView(r)).toEqual({ cap: true, entries: [] });
    expect(portViews(r.d, 'c1')[0].flags).not.toContain('allmulti');  // the child's own flag is not set
    // IP-level events change nothing while capped; a repeated count changes nothing either.
    ip(r, true, '4:e1010203', G3);
    dev(r, [G1, G2], 39_000);
    expect(r.dp.take()).toEqual([]);
    dev(r, [G3]);
    expect(r.d.table.groupsOf(1)).toEqual([G3]);
    expect(r.d.table.allmulti[1]).toBe(0);
    expect(memberships(r.dp.take()).sort()).toEqual(['-allmulti', `+multicast ${hex(G3)}`].sort());
    expect(r.tap.reads.slow).toBe(false);
    inSync(r);
  });

  test('IP-level joins past the cap cap the child too; its own ALLMULTI outlives the cap', async () => {
    const r = await start(1);
    ip(r, true, '4:e1010203', G1);
    ip(r, true, '6:ff0200000000000000000001ff000001', G2);
    expect(groupsView(r)!.cap).toBe(true);
    r.tap.change({ allmulti: true });
    expect(portViews(r.d, 'c1')[0].flags).toContain('allmulti');
    dev(r, []);
    expect(groupsView(r)).toEqual({ cap: false, entries: [] });
    expect(r.d.table.allmulti[1]).toBe(1);
    r.tap.change({ allmulti: false });
    expect(r.d.table.allmulti[1]).toBe(0);
    inSync(r);
  });

  test('--max-groups 0: any group makes the child all-multicast', async () => {
    const r = await start(0);
    dev(r, []);
    expect(groupsView(r)!.cap).toBe(false);
    dev(r, [], 1);
    expect(groupsView(r)!.cap).toBe(true);
    expect(r.d.table.allmulti[1]).toBe(1);
    inSync(r);
  });
});
