// The parent's VLAN uppers followed from link messages (control/vlan-uppers.ts), alone and wired into the daemon
// over the fake host: what is claimed, where an upper moved to, what releases a claim, and that the worker's replica
// gets every change.
import { afterEach, describe, expect, test } from 'vitest';
import { Daemon } from '../../../src/control/daemon.js';
import type { VlanLink } from '../../../src/control/host.js';
import { VlanUppers } from '../../../src/control/vlan-uppers.js';
import { VLAN_PROTO } from '../../../src/core/vlan-claims.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const PARENT_IFINDEX = 7;  // fake-host.ts link()

function upper(over: Partial<VlanLink> & { ifindex: number }): VlanLink {
  return {
    type: 'new', nsid: -1, link: PARENT_IFINDEX, linkNetnsid: null, newNetnsid: null, newIfindex: null,
    vlan: { proto: VLAN_PROTO.Q, vid: 100 }, ...over,
  };
}

function tracker(): { u: VlanUppers; changes: string[] } {
  const changes: string[] = [];
  const u = new VlanUppers(PARENT_IFINDEX, (proto, vid, on) => changes.push(`${on ? '+' : '-'}${proto.toString(16)}/${vid}`));
  return { u, changes };
}

describe('VlanUppers', () => {
  test('an upper of the parent here claims its tag; another lower, another kind, or a lower elsewhere does not', () => {
    const { u, changes } = tracker();
    u.on({ type: 'dump', links: [
      upper({ ifindex: 20 }),
      upper({ ifindex: 21, link: 3 }),
      upper({ ifindex: 22, vlan: null }),
      upper({ ifindex: 23, linkNetnsid: 4, vlan: { proto: VLAN_PROTO.Q, vid: 5 } }),
      upper({ ifindex: 24, vlan: { proto: VLAN_PROTO.AD, vid: 100 } }),
    ] });
    expect(changes).toEqual(['+8100/100', '+88a8/100']);
    expect(u.claims()).toEqual(['802.1Q 100', '802.1ad 100']);
    u.on({ type: 'link', link: upper({ ifindex: 20, type: 'del' }) });
    expect(changes).toEqual(['+8100/100', '+88a8/100', '-8100/100']);
  });

  test('moved to another namespace it keeps its claim, followed there: deleted there, released', () => {
    const { u, changes } = tracker();
    u.on({ type: 'link', link: upper({ ifindex: 20 }) });
    // ip link set p0.100 netns X: a DELLINK here that names where it went (X has id 3 here, ifindex 31 there)
    u.on({ type: 'link', link: upper({ ifindex: 20, type: 'del', newNetnsid: 3, newIfindex: 31 }) });
    expect(changes).toEqual(['+8100/100']);
    // Its NEWLINK in X: the lower is in our namespace, which X calls 0
    u.on({ type: 'link', link: upper({ ifindex: 31, nsid: 3, linkNetnsid: 0 }) });
    expect(u.claims()).toEqual(['802.1Q 100']);
    u.on({ type: 'link', link: upper({ ifindex: 31, nsid: 3, linkNetnsid: 0, type: 'del' }) });
    expect(changes).toEqual(['+8100/100', '-8100/100']);
  });

  test('made in another namespace directly on our parent: known once that namespace\'s name for ours is learned', () => {
    const { u, changes } = tracker();
    // Before anything was followed into namespace 3, its ifindex 7 in "namespace 0" may be any device: not claimed.
    u.on({ type: 'link', link: upper({ ifindex: 40, nsid: 3, linkNetnsid: 0, vlan: { proto: VLAN_PROTO.Q, vid: 9 } }) });
    expect(changes).toEqual([]);
    u.on({ type: 'link', link: upper({ ifindex: 20 }) });
    u.on({ type: 'link', link: upper({ ifindex: 20, type: 'del', newNetnsid: 3, newIfindex: 31 }) });
    u.on({ type: 'link', link: upper({ ifindex: 31, nsid: 3, linkNetnsid: 0 }) });
    u.on({ type: 'link', link: upper({ ifindex: 41, nsid: 3, linkNetnsid: 0, vlan: { proto: VLAN_PROTO.Q, vid: 10 } }) });
    // the same ifindex in another lower namespace (X's id 5) is another device
    u.on({ type: 'link', link: upper({ ifindex: 42, nsid: 3, linkNetnsid: 5, vlan: { proto: VLAN_PROTO.Q, vid: 11 } }) });
    expect(u.claims()).toEqual(['802.1Q 10', '802.1Q 100']);
  });

  test('the end of a namespace (its id released) releases its uppers; moved back home, the claim never lapses', () => {
    const { u, changes } = tracker();
    u.on({ type: 'link', link: upper({ ifindex: 20 }) });
    u.on({ type: 'link', link: upper({ ifindex: 20, type: 'del', newNetnsid: 3, newIfindex: 31 }) });
    u.on({ type: 'link', link: upper({ ifindex: 31, nsid: 3, linkNetnsid: 0 }) });
    // back home: X's DELLINK names our namespace by X's id for it (0), with its new ifindex here
    u.on({ type: 'link', link: upper({ ifindex: 31, nsid: 3, linkNetnsid: 0, type: 'del', newNetnsid: 0, newIfindex: 25 }) });
    u.on({ type: 'link', link: upper({ ifindex: 25 }) });
    expect(changes).toEqual(['+8100/100']);
    u.on({ type: 'link', link: upper({ ifindex: 25, type: 'del', newNetnsid: 4, newIfindex: 50 }) });
    u.on({ type: 'nsid-gone', nsid: 4 });
    expect(changes).toEqual(['+8100/100', '-8100/100']);
  });

  test('a fresh dump (after lost events) drops the uppers here it no longer lists, keeps those elsewhere', () => {
    const { u, changes } = tracker();
    u.on({ type: 'dump', links: [upper({ ifindex: 20 }), upper({ ifindex: 21, vlan: { proto: VLAN_PROTO.Q, vid: 200 } })] });
    u.on({ type: 'link', link: upper({ ifindex: 21, type: 'del', newNetnsid: 3, newIfindex: 31 }) });
    u.on({ type: 'dump', links: [] });
    expect(changes).toEqual(['+8100/100', '+8100/200', '-8100/100']);
    expect(u.claims()).toEqual(['802.1Q 200']);
  });
});

describe('the daemon follows the parent\'s VLAN uppers', () => {
  const running: Daemon[] = [];
  afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

  test('claims from the first dump are in the table the worker starts from; later ones are posted; stop unwatches', async () => {
    const host = new FakeHost();
    host.vlanDump = [upper({ ifindex: 20 })];
    const log = new MemoryLog();
    let dp: FakeDatapath | undefined;
    const d = await Daemon.start({ parent: 'p0', children: [], log: 'normal', busyPollUs: 0, maxGroups: 1024 }, host, log, (t, o) => (dp = new FakeDatapath(t, o)));
    running.push(d);
    expect(dp!.replica.vlan.list()).toEqual([{ proto: VLAN_PROTO.Q, vid: 100 }]);
    host.vlanEvent({ type: 'link', link: upper({ ifindex: 21, vlan: { proto: VLAN_PROTO.AD, vid: 7 } }) });
    host.vlanEvent({ type: 'link', link: upper({ ifindex: 20, type: 'del' }) });
    expect(dp!.take().filter((m) => m.op === 'table').map((m) => [m.method, ...m.args]))
      .toEqual([['setVlanClaimed', VLAN_PROTO.AD, 7, true], ['setVlanClaimed', VLAN_PROTO.Q, 100, false]]);
    expect(dp!.replica.snapshot()).toEqual(d.table.snapshot());
    expect(log.lines).toContain('parent p0: 802.1ad VID 7 has a VLAN upper: frames from the wire with that tag are the host\'s, not forwarded');
    await d.stop();
    expect(host.vlansWatched).toBe(false);
  });
});
