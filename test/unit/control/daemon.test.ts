// The daemon's logic over a fake Host and a fake datapath (fake-host.ts), without root: start-up and its failures,
// add/del/set, what a TAP's events and the parent's events do to the table, the TAPs and the parent memberships.
// After every step the worker's replica, rebuilt from the typed messages alone, must equal the control side's table.

import { afterEach, describe, expect, test, vi } from 'vitest';
import { Daemon, DaemonError } from '../../../src/control/daemon.js';
import { EXIT } from '../../../src/control/help.js';
import { exitOf } from '../../../src/errors/catalog.js';
import type { ChildConfig } from '../../../src/control/child-spec.js';
import { Flag, Mode } from '../../../src/core/constants.js';
import type { DatapathOptions } from '../../../src/datapath/handle.js';
import type { PortTable } from '../../../src/core/port-table.js';
import type { ToWorker } from '../../../src/datapath/messages.js';
import { FakeDatapath, FakeHost, MemoryLog, PARENT_MAC } from './fake-host.js';

const A = 0x02aa_0000_0001;
const B = 0x02aa_0000_0002;
const G = 0x0100_5e00_0001;

function child(name: string, over: Partial<ChildConfig> = {}): ChildConfig {
  return { name, mac: A, mode: Mode.BRIDGE, flags: 0, macaddr: [], ...over };
}

type Cfg = Parameters<typeof Daemon.start>[0];
function config(children: ChildConfig[], parent = 'p0'): Cfg {
  return { parent, children, log: 'normal', busyPollUs: 0, maxGroups: 1024 };
}

interface Rig { d: Daemon; host: FakeHost; dp: FakeDatapath; log: MemoryLog }
const running: Daemon[] = [];

async function start(children: ChildConfig[], setup: (h: FakeHost) => void = () => {}): Promise<Rig> {
  const host = new FakeHost();
  setup(host);
  const log = new MemoryLog();
  let dp: FakeDatapath | undefined;
  const d = await Daemon.start(config(children), host, log, (t: PortTable, o: DatapathOptions) => (dp = new FakeDatapath(t, o)));
  running.push(d);
  return { d, host, dp: dp!, log };
}

/** Starts, expecting a failure; returns it with what the host saw */
async function startFails(children: ChildConfig[], setup: (h: FakeHost) => void, readyError?: Error) {
  const host = new FakeHost();
  setup(host);
  let dp: FakeDatapath | undefined;
  const err = await Daemon.start(config(children), host, new MemoryLog(), (t, o) => (dp = new FakeDatapath(t, o, readyError)))
    .then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(DaemonError);
  return { err: err as DaemonError, host, dp };
}

function inSync(r: Rig): void {
  expect(r.dp.replica.snapshot()).toEqual(r.d.table.snapshot());
}

const memberships = (ms: ToWorker[]): string[] =>
  ms.flatMap((m) => (m.op === 'membership' ? [`${m.add ? '+' : '-'}${m.kind}${'mac' in m ? ` ${m.mac.toString(16)}` : ''}`] : []));

afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  vi.useRealTimers();
});

describe('start-up', () => {
  test('each child: a TAP made down, given the parent carrier, brought up, in the table, attached; then READY', async () => {
    const r = await start([child('c1', { netns: 'n1' }), child('c2', { mac: B, mtu: 1400 })]);
    const c1 = r.host.taps.get('c1')!;
    const c2 = r.host.taps.get('c2')!;
    expect(c1.calls).toEqual(['carrier true', 'up true']);
    expect(c1.netns).toBe('n1');
    expect(c2.link.mtu).toBe(1400);
    expect([r.d.table.lookup(A), r.d.table.lookup(B)]).toEqual([1, 2]);
    expect(r.d.children.get('c1')!.state).toBe('up');
    expect(r.dp.sent.filter((m) => m.op === 'attach')).toEqual([{ op: 'attach', port: 1, fd: c1.fd }, { op: 'attach', port: 2, fd: c2.fd }]);
    expect(memberships(r.dp.sent)).toEqual([`+unicast ${A.toString(16)}`, `+unicast ${B.toString(16)}`]);
    expect(r.host.notes).toEqual(['READY=1']);
    expect(r.dp.opts.parent).toBe('p0');
    inSync(r);
  });

  test('not root: exit 3 before anything is opened', async () => {
    const { err, host, dp } = await startFails([child('c1')], (h) => { h.root = false; });
    expect(exitOf(err)).toBe(EXIT.NOT_ROOT);
    expect(host.taps.size).toBe(0);
    expect(dp).toBeUndefined();
  });

  test('a missing parent: exit 1 naming it', async () => {
    const { err, host } = await startFails([child('c1')], (h) => { h.parent = null; });
    expect(exitOf(err)).toBe(EXIT.FAILURE);
    expect(err.message).toBe('parent p0: no such interface');
    expect(host.taps.size).toBe(0);
  });

  test('a datapath that cannot open the parent: exit 1, the parent no longer watched, no TAP made', async () => {
    const { err, host, dp } = await startFails([child('c1')], () => {}, new Error('p0: socket: EPERM'));
    expect(exitOf(err)).toBe(EXIT.FAILURE);
    expect(err.message).toBe('p0: socket: EPERM');
    expect(host.parentWatched).toBe(false);
    expect(dp!.stopped).toBe(true);
    expect(host.taps.size).toBe(0);
  });

  test('a TAP name that is taken: exit 1, and the TAPs made before it are closed', async () => {
    const { err, host } = await startFails([child('c1'), child('c2', { mac: B })], (h) => h.refuse.add('c2'));
    expect(exitOf(err)).toBe(EXIT.FAILURE);
    expect(err.message).toMatch(/^child c2: .*EBUSY/);
    expect(host.taps.get('c1')!.closed).toBe(true);
  });

  test('two children with one MAC: exit 2 with the kernel\'s errno, the second TAP never made', async () => {
    const { err, host } = await startFails([child('c1'), child('c2')], () => {});
    expect(exitOf(err)).toBe(EXIT.USAGE);
    expect(err.message).toMatch(/^child c2: .*\(EADDRINUSE\)$/);
    expect([...host.taps.keys()]).toEqual(['c1']);
    expect(host.taps.get('c1')!.closed).toBe(true);
  });

  test('a namespace that has a link of that name already: exit 1, nothing made for it', async () => {
    const { err, host } = await startFails([child('c1', { netns: 'n1' })], (h) => h.taken.add('n1/c1'));
    expect(exitOf(err)).toBe(EXIT.FAILURE);
    expect(err.message).toBe('child c1: namespace n1 already has a link named c1');
    expect(host.taps.size).toBe(0);
  });

  test('a parent down at start: children get no carrier', async () => {
    const r = await start([child('c1')], (h) => { h.parent = { ...h.parent!, carrier: false }; });
    expect(r.host.taps.get('c1')!.carrier).toBe(false);
    expect(r.d.table.parentCarrier).toBe(false);
  });
});

describe('add, del, set', () => {
  test('add: a new child is forwarded to and announced; a taken name or MAC is refused without a TAP', async () => {
    const r = await start([child('c1')]);
    const added: string[] = [];
    r.d.portListeners.add({ added: (s, n) => added.push(`${s} ${n}`), removed: () => {} });
    const rt = r.d.addChild(child('c2', { mac: B }));
    expect(rt.slot).toBe(2);
    expect(r.d.table.lookup(B)).toBe(2);
    expect(added).toEqual(['2 c2']);
    expect(() => r.d.addChild(child('c2', { mac: 0x02aa_0000_0009 }))).toThrow(/a child of that name exists/);
    expect(() => r.d.addChild(child('c3', { mac: B }))).toThrow(/EADDRINUSE/);
    expect(r.host.taps.has('c3')).toBe(false);
    inSync(r);
  });

  test('del: detached and out of the table before its TAP closes; the MAC is free again; an unknown name is refused', async () => {
    const r = await start([child('c1'), child('c2', { mac: B })]);
    const removed: string[] = [];
    r.d.portListeners.add({ added: () => {}, removed: (s, n) => removed.push(`${s} ${n}`) });
    r.dp.take();
    await r.d.delChild('c1');
    const sent = r.dp.take();
    expect(sent[0]).toEqual({ op: 'detach', port: 1 });
    expect(memberships(sent)).toEqual([`-unicast ${A.toString(16)}`]);
    expect(sent.some((m) => m.op === 'table' && m.method === 'removeChild')).toBe(true);
    expect(r.host.taps.get('c1')!.closed).toBe(true);
    expect(r.d.table.lookup(A)).toBe(-1);
    expect(removed).toEqual(['1 c1']);
    await expect(r.d.delChild('nope')).rejects.toThrow('no child named nope');
    r.d.addChild(child('c3'));
    expect(r.d.table.lookup(A)).toBe(1);
    inSync(r);
  });

  test('set mtu and mac: the TAP is changed, the table follows, the unicast membership moves', async () => {
    const r = await start([child('c1')]);
    const tap = r.host.taps.get('c1')!;
    r.dp.take();
    r.d.setChild('c1', { mtu: 1400, mac: B });
    expect(tap.calls.slice(-2)).toEqual(['mtu 1400', `mac ${B}`]);
    expect([r.d.table.mtu[1], r.d.table.lookup(B), r.d.table.lookup(A)]).toEqual([1400, 1, -1]);
    expect(memberships(r.dp.take())).toEqual([`-unicast ${A.toString(16)}`, `+unicast ${B.toString(16)}`]);
    inSync(r);
  });

  test('set: refusals by the kernel\'s rules change nothing', async () => {
    const r = await start([child('c1'), child('c2', { mac: B })]);
    r.dp.take();
    expect(() => r.d.setChild('c1', { mac: B })).toThrow(/EADDRINUSE/);
    expect(() => r.d.setChild('c1', { mtu: 9000 })).toThrow(/EINVAL/);
    expect(() => r.d.setChild('nope', { mtu: 1400 })).toThrow('no child named nope');
    expect(r.dp.take()).toEqual([]);
    expect(r.d.table.mtu[1]).toBe(1500);
  });

  test('set mode, flags and a source list', async () => {
    const r = await start([child('c1')]);
    r.d.setChild('c1', { mode: Mode.SOURCE, sourceOp: 'set', sourceMacs: [B] });
    r.d.setChild('c1', { flags: Flag.NODST });
    expect([r.d.table.mode[1], r.d.table.flags[1], r.d.table.sourceList(1)]).toEqual([Mode.SOURCE, Flag.NODST, [B]]);
    r.d.setChild('c1', { sourceOp: 'del', sourceMacs: [B] });
    expect(r.d.table.sourceList(1)).toEqual([]);
    inSync(r);
  });

  test('a passthru child takes the parent\'s MAC, makes the parent promiscuous, and its MAC cannot be set', async () => {
    const r = await start([child('c1', { mode: Mode.PASSTHRU, mac: 'auto' })]);
    expect(r.d.table.mac[1]).toBe(PARENT_MAC);
    expect(memberships(r.dp.sent)).toEqual(['+promisc']);
    expect(() => r.d.setChild('c1', { mac: B })).toThrow(/set the parent's MAC instead/);
    r.dp.take();
    r.d.setChild('c1', { flags: Flag.NOPROMISC });
    expect(memberships(r.dp.take())).toEqual(['-promisc']);
  });
});

describe('TAP events', () => {
  test('down and up from inside: out of the address table and back, with the unicast membership', async () => {
    const r = await start([child('c1')]);
    const tap = r.host.taps.get('c1')!;
    r.dp.take();
    tap.change({ up: false });
    expect([r.d.children.get('c1')!.state, r.d.table.lookup(A)]).toEqual(['down', -1]);
    expect(memberships(r.dp.take())).toEqual([`-unicast ${A.toString(16)}`]);
    tap.change({ up: true });
    expect([r.d.children.get('c1')!.state, r.d.table.lookup(A)]).toEqual(['up', 1]);
    expect(memberships(r.dp.take())).toEqual([`+unicast ${A.toString(16)}`]);
    inSync(r);
  });

  test('a MAC set from inside is followed; a duplicate takes the child out of the table until it is unique again', async () => {
    const r = await start([child('c1'), child('c2', { mac: B })]);
    const tap = r.host.taps.get('c1')!;
    tap.change({ mac: 0x02aa_0000_0007 });
    expect(r.d.table.lookup(0x02aa_0000_0007)).toBe(1);
    tap.change({ mac: B });
    expect(r.d.children.get('c1')!.state).toBe('dup-mac');
    expect(r.d.table.lookup(B)).toBe(2);
    expect(r.log.lines.some((l) => /warn: child c1: MAC .* is in use/.test(l))).toBe(true);
    tap.change({ mac: A });
    expect(r.d.children.get('c1')!.state).toBe('up');
    inSync(r);
  });

  test('an MTU above the parent\'s from inside is bounded by the parent\'s; promisc and allmulti become memberships', async () => {
    const r = await start([child('c1')]);
    const tap = r.host.taps.get('c1')!;
    r.dp.take();
    tap.change({ mtu: 9000, promisc: true, allmulti: true });
    expect(r.d.table.mtu[1]).toBe(1500);
    expect(r.d.children.get('c1')!.ownMtu).toBe(9000);
    expect(memberships(r.dp.take()).sort()).toEqual(['+allmulti', '+promisc']);
    inSync(r);
  });

  test('moved: still forwarding, the namespace noted; deleted: the child is gone and its TAP closed', async () => {
    const r = await start([child('c1'), child('c2', { mac: B })]);
    const tap = r.host.taps.get('c1')!;
    tap.emit({ type: 'moved', netns: 'elsewhere' });
    expect(r.d.children.get('c1')!.netns).toBe('elsewhere');
    expect(r.d.table.lookup(A)).toBe(1);
    r.dp.take();
    tap.emit({ type: 'gone' });
    await r.d.settled();
    await new Promise((res) => setImmediate(res));
    expect(r.d.children.get('c1')!.state).toBe('gone');
    expect(tap.closed).toBe(true);
    expect(tap.watched).toBe(false);
    expect(r.dp.take()[0]).toEqual({ op: 'detach', port: 1 });
    expect(() => r.d.setChild('c1', { mtu: 1400 })).toThrow(/its TAP is gone/);
    expect(r.d.table.lookup(B)).toBe(2);
    inSync(r);
  });
});

describe('parent events', () => {
  test('carrier lost and back: every child\'s carrier follows, its UP flag is never touched', async () => {
    const r = await start([child('c1'), child('c2', { mac: B })]);
    r.host.changeParent({ carrier: false });
    for (const n of ['c1', 'c2']) expect(r.host.taps.get(n)!.carrier).toBe(false);
    expect(r.d.table.parentCarrier).toBe(false);
    inSync(r);
    r.host.changeParent({ up: false });
    r.host.changeParent({ up: true, carrier: true });
    for (const n of ['c1', 'c2']) expect(r.host.taps.get(n)!.calls.filter((c) => c.startsWith('up'))).toEqual(['up true']);
    expect(r.host.taps.get('c1')!.carrier).toBe(true);
    expect([r.d.table.parentUp, r.d.table.parentCarrier]).toEqual([true, true]);
    inSync(r);
  });

  test('a lower MTU clamps the children above it; a higher one raises nobody', async () => {
    const r = await start([child('c1', { mtu: 1400 }), child('c2', { mac: B })]);
    r.host.changeParent({ mtu: 1450 });
    expect(r.host.taps.get('c2')!.calls).toContain('mtu 1450');
    expect(r.host.taps.get('c1')!.calls.some((c) => c.startsWith('mtu'))).toBe(false);
    expect([r.d.table.mtu[0], r.d.table.mtu[1], r.d.table.mtu[2]]).toEqual([1450, 1400, 1450]);
    r.host.changeParent({ mtu: 9000 });
    expect([r.d.table.mtu[1], r.d.table.mtu[2]]).toEqual([1400, 1450]);
    inSync(r);
  });

  test('a new parent MAC is followed by the passthru child only', async () => {
    const r = await start([child('c1', { mode: Mode.PASSTHRU, mac: 'auto' })]);
    const N = 0x02cc_0000_0099;
    r.host.changeParent({ mac: N });
    expect(r.host.taps.get('c1')!.calls).toContain(`mac ${N}`);
    expect([r.d.table.mac[0], r.d.table.mac[1]]).toEqual([N, N]);
    inSync(r);
  });

  test('the parent deleted: the daemon ends with exit 4', async () => {
    const r = await start([child('c1')]);
    r.host.deleteParent();
    await expect(r.d.ended).resolves.toBe(EXIT.PARENT_GONE);
  });
});
