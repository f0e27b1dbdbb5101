// The host port with --mac-nat: the addresses --mac-nat is given (static) and learns reach the address book, and the
// host port routes to them; an address that ages out or moves to another child is followed.

import { afterEach, describe, expect, test } from 'vitest';
import { Daemon } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import type { IngressDrop } from '../../../src/control/nat-owners.js';
import { Learn, Mode } from '../../../src/core/constants.js';
import { addrWords } from '../../../src/core/nat-address.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const child = (name: string, mac: number): ChildConfig => ({ name, mac, mode: Mode.BRIDGE, flags: 0, macaddr: [], netns: 'na' });
const drop: IngressDrop = { add: () => {}, remove: () => {}, close: async () => {} };
const running: Daemon[] = [];
afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

describe('host port and --mac-nat', () => {
  test('static and learned addresses become routes through the host port; a child deleted takes its routes along', async () => {
    const host = new FakeHost();
    let dp: FakeDatapath | undefined;
    const d = await Daemon.start({
      parent: 'p0', children: [child('c1', 0x0200_0000_0001), child('c2', 0x0200_0000_0002)], log: 'normal', busyPollUs: 0, maxGroups: 1024,
      macNat: { static: [{ ip: '198.18.0.5', child: 'c1' }] }, hostPort: { name: 'hp0', mac: 'auto', addrs: [{ addr: '198.18.0.1', prefix: 24 }] },
    }, host, new MemoryLog(), (t, o) => (dp = new FakeDatapath(t, o)), () => drop);
    running.push(d);
    const routes = (): string[] => [...(host.routes.get(host.taps.get('hp0')!.link.ifindex) ?? [])].sort();
    expect(routes()).toEqual(['198.18.0.5']);
    const learn = (slot: number, addr: string): void => dp!.opts.onLearn!({ type: 'learn', kind: Learn.CLAIM, slot, addr: addrWords(addr)!, lease: 0 });
    learn(d.children.get('c2')!.slot, '198.18.0.6');
    learn(d.children.get('hp0')!.slot, '198.18.0.1'); // the host port's own address, learned from what it sends: no route
    expect(routes()).toEqual(['198.18.0.5', '198.18.0.6']);
    expect(d.book.of('c2')).toEqual(['198.18.0.6']);
    await d.delChild('c2');
    expect(routes()).toEqual(['198.18.0.5']);
  });
});
