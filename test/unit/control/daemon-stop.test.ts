// What the daemon removes at stop, over the fake host: the TAPs that go with it are handed to Host.removeTaps in one
// call (one delete per namespace on Linux), kept ones (--persist) never are; a slow fallback is said in one line.

import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import { Mode } from '../../../src/core/constants.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const child = (name: string, i: number, netns?: string): ChildConfig =>
  ({ name, mac: 0x02aa_0000_0000 + i + 1, mode: Mode.BRIDGE, flags: 0, macaddr: [], ...(netns ? { netns } : {}) });
const kids = (n: number): ChildConfig[] => Array.from({ length: n }, (_, i) => child(`c${i}`, i, i % 2 ? 'na' : undefined));

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

async function start(children: ChildConfig[], persist = false, host = new FakeHost(), dir = mkdtempSync(join(tmpdir(), 'umg-stop-'))) {
  host.namespaces.set('na', { dev: 4, ino: 1001 });
  const log = new MemoryLog();
  dirs.push(dir);
  const over = persist ? { persist: true, state: join(dir, 'p0.state') } : {};
  const d = await Daemon.start({ parent: 'p0', children, log: 'normal', busyPollUs: 0, maxGroups: 1024, ...over }, host, log,
    (t, o) => new FakeDatapath(t, o));
  return { d, host, log };
}

describe('stop: the TAPs that go', () => {
  test('without --persist: every TAP, in both namespaces, handed over in one removeTaps call and closed once', async () => {
    const { d, host, log } = await start(kids(4));
    await d.stop();
    expect(host.removals).toEqual([['c0', 'c1', 'c2', 'c3']]);
    for (const t of host.taps.values()) expect(t.calls.filter((c) => c === 'close')).toEqual(['close']);
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    expect(log.lines).toContain('stop: 4 of 4 TAPs removed by 2 group deletes');
  });

  test('a child deleted before the stop went then, alone, and is not handed over again', async () => {
    const { d, host } = await start(kids(3));
    await d.delChild('c1');
    expect(host.taps.get('c1')!.closed).toBe(true);
    await d.stop();
    expect(host.removals).toEqual([['c0', 'c2']]);
  });

  test('--persist: nothing is removed, every TAP kept without carrier', async () => {
    const { d, host } = await start(kids(3), true);
    await d.stop();
    expect(host.removals).toEqual([]);
    for (const t of host.taps.values()) {
      expect(t.exists).toBe(true);
      expect(t.carrier).toBe(false);
    }
  });

  test('--persist with removal (stop --remove-children, the parent gone): unpersisted first, then removed together', async () => {
    const { d, host } = await start(kids(3), true);
    d.removeOnStop = true;
    await d.stop();
    expect(host.removals).toEqual([['c0', 'c1', 'c2']]);
    for (const t of host.taps.values()) {
      expect(t.exists).toBe(false);
      expect(t.calls.slice(-2)).toEqual(['unpersist', 'close']);
    }
  });

  test('--persist, a start that fails after adopting: the kept TAPs (and the one it made) stay, none is removed', async () => {
    const first = await start(kids(3), true);
    await first.d.stop();
    const host = first.host;
    host.notify = () => { throw new Error('NOTIFY_SOCKET: ECONNREFUSED'); };
    const err = await start([...kids(3), child('c9', 9)], true, host, dirs[dirs.length - 1]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(host.removals).toEqual([]);
    for (const t of host.taps.values()) expect(t.exists).toBe(true);
    expect(host.taps.get('c9')!.persistent).toBe(true);
  });

  test('the group delete failing somewhere: one warning line, with what went slow and why', async () => {
    const { d, host, log } = await start(kids(2));
    host.removeProblems = ['netns inode 1001: RTM_SETLINK IFLA_GROUP: EPERM'];
    await d.stop();
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([
      'warn: stop: 2 of 2 TAPs removed one at a time (slow), the group delete failed: netns inode 1001: RTM_SETLINK IFLA_GROUP: EPERM',
    ]);
  });

  test('a second stop removes nothing more', async () => {
    const { d, host } = await start(kids(2));
    await d.stop();
    await d.stop();
    expect(host.removals).toHaveLength(1);
  });
});
