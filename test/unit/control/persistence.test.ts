// A --persist daemon over the fake host (persistence.ts with daemon.ts): TAPs marked and recorded, the state file
// kept, kept TAPs adopted by a second daemon rather than made again, and what was gone meanwhile handled.

import { afterEach, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, DaemonError } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import { Mode } from '../../../src/core/constants.js';
import { FakeDatapath, FakeHost, MemoryLog, link } from './fake-host.js';

const A = 0x02aa_0000_0001;
const B = 0x02aa_0000_0002;
const child = (name: string, over: Partial<ChildConfig> = {}): ChildConfig =>
  ({ name, mac: name === 'a' ? A : B, mode: Mode.BRIDGE, flags: 0, macaddr: [], ...over });

const dirs: string[] = [];
const running: Daemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'umr-persist-'));
  dirs.push(dir);
  const host = new FakeHost();
  host.namespaces.set('na', { dev: 4, ino: 1001 });
  const state = join(dir, 'p0.state');
  const log = new MemoryLog();
  const start = async (children: ChildConfig[], over: Record<string, unknown> = {}): Promise<Daemon> => {
    const d = await Daemon.start({ parent: 'p0', children, log: 'normal', busyPollUs: 0, maxGroups: 1024, persist: true, state, ...over }, host, log,
      (t, o) => new FakeDatapath(t, o));
    running.push(d);
    return d;
  };
  const fails = async (children: ChildConfig[], over: Record<string, unknown> = {}): Promise<DaemonError> => {
    const e = await start(children, over).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(DaemonError);
    return e as DaemonError;
  };
  /** SIGTERM: the daemon stops, its children stay */
  const stop = async (d: Daemon): Promise<void> => { running.splice(running.indexOf(d), 1); await d.stop(); };
  const file = (): { instance: string; children: Array<{ name: string; mac: string; netns: unknown }> } => JSON.parse(readFileSync(state, 'utf8'));
  return { host, state, log, start, fails, stop, file };
}

describe('--persist over the fake host', () => {
  test('TAPs are made persistent with the alias, the state file lists them with their namespace', async () => {
    const r = rig();
    await r.start([child('a', { netns: 'na' }), child('b')]);
    const f = r.file();
    expect(r.host.taps.get('a')!.calls).toContain(`persist umacvlan:${f.instance}:a`);
    expect(f.children).toEqual([
      expect.objectContaining({ name: 'a', mac: '02:aa:00:00:00:01', netns: { path: 'na', dev: 4, ino: 1001 } }),
      expect.objectContaining({ name: 'b', netns: null }),
    ]);
  });

  test('stopped, the children stay without carrier; the next daemon adopts them (attach, no new TAP)', async () => {
    const r = rig();
    await r.stop(await r.start([child('a', { netns: 'na' }), child('b')]));
    const a = r.host.taps.get('a')!;
    expect(a.exists && a.closed && !a.carrier).toBe(true);
    const opened = r.host.taps.size;
    const d = await r.start([child('a', { mac: 'auto', netns: 'na' }), child('b')]);
    expect(r.host.taps.size).toBe(opened);
    expect(a.calls).toContain('attach');
    expect(a.carrier).toBe(true); // the parent is up with carrier
    // UP as the first daemon left them: read from the TAP, not set again
    expect([...d.children.values()].map((c) => [c.name, c.adopted, c.state])).toEqual([['a', true, 'up'], ['b', true, 'up']]);
    expect(a.calls.filter((c) => c === 'up true')).toHaveLength(1);
    expect(d.restartGapMs).not.toBeNull();
  });

  test('the port\'s bclim, set live through a child that is gone since, is back after a restart', async () => {
    const r = rig();
    const d1 = await r.start([child('a'), child('b')]);
    d1.setChild('b', { bcCutoff: -3 });
    await r.stop(d1);
    const d2 = await r.start([child('a')], { forget: ['b'] });
    expect(d2.table.bcCutoff).toBe(-3);
  });

  test('a MAC changed from inside while down is followed, as live', async () => {
    const r = rig();
    await r.stop(await r.start([child('a')]));
    r.host.taps.get('a')!.link = { ...r.host.taps.get('a')!.link, mac: 0x02aa_0000_0009, up: true };
    const d = await r.start([child('a')]);
    expect(d.table.mac[d.children.get('a')!.slot]).toBe(0x02aa_0000_0009);
    expect(d.children.get('a')!.state).toBe('up');
    await d.settled();
  });

  test('a child added live is kept; --forget deletes it; stop with removal deletes all and the file', async () => {
    const r = rig();
    const d1 = await r.start([child('a')]);
    d1.addChild(child('b'));
    expect(r.file().children.map((c) => c.name)).toEqual(['a', 'b']);
    await r.stop(d1);
    const d2 = await r.start([child('a')]);
    expect(d2.children.get('b')?.adopted).toBe(true);
    await r.stop(d2);
    const d3 = await r.start([child('a')], { forget: ['b'] });
    expect(d3.children.has('b')).toBe(false);
    expect(r.host.taps.get('b')!.exists).toBe(false);
    d3.removeOnStop = true;
    await r.stop(d3);
    expect(r.host.taps.get('a')!.exists).toBe(false);
    expect(existsSync(r.state)).toBe(false);
  });

  test('what is gone: a namespace dropped, one found again under /proc, a TAP made again', async () => {
    const r = rig();
    r.host.namespaces.set('nb', { dev: 4, ino: 1002 });
    await r.stop(await r.start([child('a', { netns: 'na' }), child('b', { netns: 'nb' })]));
    r.host.namespaces.delete('na');                       // its path went, a process still has it
    r.host.procNs.set('/proc/77/ns/net', { dev: 4, ino: 1001 });
    r.host.namespaces.delete('nb');                       // gone for good
    r.host.taps.delete('a');                              // …and a's TAP was deleted as well: made again there
    const d = await r.start([]);
    expect(d.children.has('b')).toBe(false);
    expect(r.log.lines).toContain('warn: child b: its namespace nb no longer exists; its entry is dropped');
    expect(r.log.lines).toContain('warn: child a: its TAP was deleted while the daemon was down; made again');
    expect(r.host.taps.get('a')!.netns).toBe('/proc/77/ns/net');
  });

  test('a TAP moved from outside while running: the state file follows it; a namespace no path leads to keeps the old entry', async () => {
    const r = rig();
    r.host.procNs.set('/proc/88/ns/net', { dev: 4, ino: 1003 });
    await r.start([child('a', { netns: 'na' })]);
    r.host.taps.get('a')!.emit({ type: 'moved', netns: 'netns inode 1003', id: { dev: 4, ino: 1003 } });
    expect(r.file().children[0].netns).toMatchObject({ path: '/proc/88/ns/net', dev: 4, ino: 1003 });
    r.host.taps.get('a')!.emit({ type: 'moved', netns: 'netns inode 1004', id: { dev: 4, ino: 1004 } });
    expect(r.file().children[0].netns).toMatchObject({ path: '/proc/88/ns/net', ino: 1003 });
    expect(r.log.lines).toContain('warn: child a: moved to a namespace no path leads to (inode 1004); a restart looks for it where it was');
  });

  test('a /proc/PID/ns/net namespace is pinned beside the state file while a child lives there; adopted after its process exits', async () => {
    const r = rig();
    r.host.procNs.set('/proc/77/ns/net', { dev: 4, ino: 1003 });
    r.host.namespaces.set('/proc/77/ns/net', { dev: 4, ino: 1003 });
    await r.stop(await r.start([child('a', { netns: '/proc/77/ns/net' }), child('b', { netns: '/proc/77/ns/net' })]));
    expect([...r.host.pins]).toEqual([[expect.stringMatching(/netns\/1003$/), '/proc/77/ns/net']]);
    expect(r.file().children[0].netns).toEqual({ path: '/proc/77/ns/net', dev: 4, ino: 1003, pin: [...r.host.pins.keys()][0] });
    r.host.procNs.clear();
    r.host.namespaces.delete('/proc/77/ns/net');           // the process exited: only the pin holds it
    // The fake keeps a TAP's namespace as a path: the pinned one is the same namespace, reached by the pin now.
    r.host.taps.get('a')!.netns = [...r.host.pins.keys()][0];
    r.host.taps.get('b')!.netns = [...r.host.pins.keys()][0];
    const d = await r.start([]);
    expect([...d.children.values()].map((c) => c.adopted)).toEqual([true, true]);
    await d.delChild('a');
    expect(r.host.pins.size).toBe(1);                      // b still lives there
    await d.delChild('b');
    expect(r.host.pins.size).toBe(0);
  });

  test('a link of the kept name that umacvlan did not make is not adopted', async () => {
    const r = rig();
    await r.stop(await r.start([child('a')]));
    r.host.taps.delete('a');
    r.host.foreign.set('/a', { name: 'a', alias: '', tap: true, owner: 1000 });
    const e = await r.fails([child('a')]);
    expect(e.code).toBe('UMV_ERR_FOREIGN_TAP');
    expect(e.message).toBe('child a: the link a is not the TAP umacvlan made (alias "", owner 1000): not adopted; delete it, or --forget a');
  });

  test('the parent made again meanwhile: the children are removed with the state file, and the configured ones made', async () => {
    const r = rig();
    await r.stop(await r.start([child('a')]));
    const first = r.host.taps.get('a')!;
    r.host.parent = link('p0', { ifindex: 99 });
    const d = await r.start([child('a')]);
    expect(first.calls.slice(-2)).toEqual(['unpersist', 'close']);
    expect(d.children.get('a')!.adopted).toBeUndefined();
  });

  test('the parent deleted while running: exit 4, the children and the state file removed', async () => {
    const r = rig();
    const d = await r.start([child('a')]);
    r.host.deleteParent();
    expect(await d.ended).toBe(4);
    await r.stop(d);
    expect(r.host.taps.get('a')!.calls.slice(-2)).toEqual(['unpersist', 'close']);
    expect(r.host.taps.get('a')!.exists).toBe(false);
    expect(existsSync(r.state)).toBe(false);
  });

  test('a state file without --persist is refused; --forget-all removes the children and the file', async () => {
    const r = rig();
    await r.stop(await r.start([child('a')]));
    const e = await r.fails([], { persist: undefined });
    expect(e.code).toBe('UMV_ERR_STATE_EXISTS');
    expect(e.message).toMatch(/--persist.*--forget-all/);
    const d = await r.start([], { persist: undefined, forgetAll: true });
    expect(d.persistent).toBe(false);
    expect(r.host.taps.get('a')!.exists).toBe(false);
    expect(existsSync(r.state)).toBe(false);
  });
});
