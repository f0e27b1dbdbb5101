// Small daemon faults, each pinned over the fake host: a failing sd_notify at start-up stops what was started; a
// child kept out of the address table for a duplicate MAC comes back once its MAC is unique again, however the
// other holder lets go of it; `del X` then `add X` at once keeps the new child.
import { afterEach, describe, expect, test } from 'vitest';
import { Daemon, DaemonError, type PortListener } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-spec.js';
import { Mode } from '../../../src/core/constants.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const A = 0x02aa_0000_0001;
const B = 0x02aa_0000_0002;

const child = (name: string, mac: number): ChildConfig => ({ name, mac, mode: Mode.BRIDGE, flags: 0, macaddr: [] });
const running: Daemon[] = [];
afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

async function start(children: ChildConfig[], host = new FakeHost()) {
  const log = new MemoryLog();
  let dp: FakeDatapath | undefined;
  const d = await Daemon.start({ parent: 'p0', children, log: 'normal', busyPollUs: 0, maxGroups: 1024 }, host, log, (t, o) => (dp = new FakeDatapath(t, o)));
  running.push(d);
  return { d, host, dp: dp!, log };
}

/** c1 (A) and c2 (B) up; then c2's MAC is set to A from inside its namespace: c2 is dup-mac */
async function duplicate() {
  const r = await start([child('c1', A), child('c2', B)]);
  r.host.taps.get('c2')!.change({ mac: A });
  expect([r.d.children.get('c2')!.state, r.d.table.lookup(A)]).toEqual(['dup-mac', 1]);
  return r;
}
function backInTable(r: Awaited<ReturnType<typeof start>>): void {
  expect([r.d.children.get('c2')!.state, r.d.table.lookup(A), r.d.table.up[2]]).toEqual(['up', 2, 1]);
  expect(r.log.lines).toContain('child c2: its MAC 02:aa:00:00:00:01 is unique again; back in the address table');
  expect(r.dp.replica.snapshot()).toEqual(r.d.table.snapshot());
}

describe('start-up: READY=1 inside the start-up', () => {
  test('a NOTIFY_SOCKET that fails: start-up fails and everything it started is stopped', async () => {
    const host = new FakeHost();
    host.notify = () => { throw Object.assign(new Error('/run/stale.sock: sendto(NOTIFY_SOCKET): ECONNREFUSED'), { code: 'ECONNREFUSED' }); };
    let dp: FakeDatapath | undefined;
    const err = await Daemon.start({ parent: 'p0', children: [child('c1', A)], log: 'normal', busyPollUs: 0, maxGroups: 1024 }, host,
      new MemoryLog(), (t, o) => (dp = new FakeDatapath(t, o))).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(dp!.stopped).toBe(true);
    expect(host.taps.get('c1')!.closed).toBe(true);
    expect([host.parentWatched, host.vlansWatched, host.taps.get('c1')!.watched]).toEqual([false, false, false]);
  });
});

describe('dup-mac comes back when its MAC is unique again', () => {
  test('the holder deleted (del)', async () => {
    const r = await duplicate();
    await r.d.delChild('c1');
    backInTable(r);
  });

  test('the holder\'s TAP deleted from outside', async () => {
    const r = await duplicate();
    r.host.taps.get('c1')!.emit({ type: 'gone' });
    backInTable(r);
  });

  test('the holder set down from inside', async () => {
    const r = await duplicate();
    r.host.taps.get('c1')!.change({ up: false });
    backInTable(r);
    // and the holder coming up again is now the one with a MAC in use
    r.host.taps.get('c1')!.change({ up: true });
    expect([r.d.children.get('c1')!.state, r.d.table.lookup(A)]).toEqual(['dup-mac', 2]);
  });

  test('the holder given another MAC (set … mac)', async () => {
    const r = await duplicate();
    r.d.setChild('c1', { mac: 0x02aa_0000_0009 });
    backInTable(r);
  });

  test('not while another UP child still holds it', async () => {
    const r = await start([child('c1', A), child('c2', B), child('c3', 0x02aa_0000_0003)]);
    r.host.taps.get('c2')!.change({ mac: A });
    r.host.taps.get('c3')!.change({ mac: A });
    await r.d.delChild('c1');
    // the lowest slot comes back; the other still finds the MAC in use
    expect([r.d.children.get('c2')!.state, r.d.children.get('c3')!.state, r.d.table.lookup(A)]).toEqual(['up', 'dup-mac', 2]);
  });
});

describe('del X, then add X at once', () => {
  test('the new child is tracked, and listeners hear removed before added', async () => {
    const r = await start([child('x', A)]);
    const heard: string[] = [];
    const l: PortListener = { added: (s, n) => heard.push(`+${n}@${s}`), removed: (s, n) => heard.push(`-${n}@${s}`) };
    r.d.portListeners.add(l);
    const del = r.d.delChild('x');
    const rt = r.d.addChild(child('x', B));
    await del;
    expect(r.d.children.get('x')).toBe(rt);
    expect([rt.state, r.d.table.lookup(B), r.d.table.lookup(A)]).toEqual(['up', rt.slot, -1]);
    expect(heard).toEqual(['-x@1', `+x@${rt.slot}`]);
    await r.d.delChild('x');
    expect(r.d.children.has('x')).toBe(false);
  });
});
