// The host port through the daemon over the fake host (host-port.ts with daemon.ts): a bridge child in the daemon's
// namespace with its addresses, host routes that follow the address book (added, changed, removed with the child),
// set again when the port comes back up, nothing done after stop, and kept across a --persist restart.

import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, DaemonError } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import type { HostPortConfig } from '../../../src/control/host-port-config.js';
import { handleRequest, portViews } from '../../../src/control/requests.js';
import { Mode } from '../../../src/core/constants.js';
import { CATALOG, exitOf } from '../../../src/errors/catalog.js';
import { AddressBook } from '../../../src/control/address-book.js';
import { startHostPort } from '../../../src/control/host-port.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const child = (name: string, mac: number, mode: number = Mode.BRIDGE): ChildConfig =>
  ({ name, mac, mode: mode as ChildConfig['mode'], flags: 0, macaddr: [], netns: 'na' });
const HP: HostPortConfig = { name: 'hp0', mac: 'auto', addrs: [{ addr: '198.18.0.1', prefix: 24 }, { addr: 'fd00::1', prefix: 64 }] };

const dirs: string[] = [];
const running: Daemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rig(persist = false) {
  const host = new FakeHost();
  const log = new MemoryLog();
  const dir = mkdtempSync(join(tmpdir(), 'umr-hostport-'));
  dirs.push(dir);
  const state = join(dir, 'p0.state');
  const start = async (children: ChildConfig[], hostPort: HostPortConfig | undefined = HP): Promise<Daemon> => {
    const d = await Daemon.start({ parent: 'p0', children, log: 'normal', busyPollUs: 0, maxGroups: 1024, ...(hostPort ? { hostPort } : {}),
      ...(persist ? { persist: true, state } : {}) }, host, log, (t, o) => new FakeDatapath(t, o));
    running.push(d);
    return d;
  };
  const stop = async (d: Daemon): Promise<void> => { running.splice(running.indexOf(d), 1); await d.stop(); };
  const tap = () => host.taps.get('hp0')!;
  const routes = (): string[] => [...(host.routes.get(tap().link.ifindex) ?? [])].sort();
  const addrs = (): string[] => [...(host.addrs.get(tap().link.ifindex) ?? [])].sort();
  return { host, log, state, start, stop, tap, routes, addrs };
}

describe('the host port', () => {
  test('a bridge child in the daemon\'s namespace, up, with its addresses; show names it', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    expect(r.tap().netns).toBeUndefined();
    expect(r.tap().link.up).toBe(true);
    expect(d.table.mode[d.children.get('hp0')!.slot]).toBe(Mode.BRIDGE);
    expect(r.addrs()).toEqual(['198.18.0.1/24', 'fd00::1/64']);
    expect(r.routes()).toEqual([]);
    const view = portViews(d, 'hp0')[0];
    expect(view).toMatchObject({ name: 'hp0', kind: 'host-port', mode: 'bridge', netns: null, hostPort: { addrs: ['198.18.0.1/24', 'fd00::1/64'], routes: [] } });
    expect(portViews(d, 'c1')[0].kind).toBeUndefined();
  });

  test('routes follow the book: added, changed, shared, and gone with the child', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001), child('c2', 0x0200_0000_0002)]);
    d.book.set('cni', 'c1', ['198.18.0.11', 'fd00::11']);
    d.book.set('static', 'c2', ['198.18.0.12', '198.18.0.1']); // the host port's own address is not routed
    expect(r.routes()).toEqual(['198.18.0.11', '198.18.0.12', 'fd00::11']);
    d.book.set('cni', 'c1', ['198.18.0.13']);
    expect(r.routes()).toEqual(['198.18.0.12', '198.18.0.13']);
    d.book.set('nat', 'c2', ['198.18.0.13']); // claimed by both: one route
    await d.delChild('c1');
    expect(d.book.of('c1')).toEqual([]);
    expect(r.routes()).toEqual(['198.18.0.12', '198.18.0.13']);
    await d.delChild('c2');
    expect(r.routes()).toEqual([]);
    expect(portViews(d, 'hp0')[0].hostPort?.routes).toEqual([]);
  });

  test('addresses the book holds when the host port starts are routed at once', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    const book = new AddressBook();
    book.set('static', 'c1', ['198.18.0.11']);
    book.set('static', 'gone-child', ['198.18.0.12']);
    const hp = startHostPort(HP, undefined, d.children, r.host, r.log, book)!;
    expect(hp.view().routes.sort()).toEqual(['198.18.0.11', '198.18.0.12']);
    expect(r.routes()).toEqual(['198.18.0.11', '198.18.0.12']);
    hp.stop();
    expect(startHostPort(undefined, undefined, d.children, r.host, r.log, book)).toBeNull();
  });

  test('set down and up again from outside: its addresses and routes are set again', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    d.book.set('cni', 'c1', ['198.18.0.11']);
    // the kernel flushes the routes through a downed device (and IPv6 addresses on it)
    r.tap().change({ up: false });
    r.host.routes.clear();
    r.host.addrs.get(r.tap().link.ifindex)!.delete('fd00::1/64');
    r.tap().change({ up: true });
    expect(r.routes()).toEqual(['198.18.0.11']);
    expect(r.addrs()).toEqual(['198.18.0.1/24', 'fd00::1/64']);
  });

  test('a route the kernel refuses is logged once and tried again when the port comes back up', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    r.host.ipRefuse.set('fd00::11', 'EACCES');
    d.book.set('cni', 'c1', ['198.18.0.11', 'fd00::11']);
    d.book.set('cni', 'c1', ['198.18.0.12', 'fd00::11']);
    expect(r.routes()).toEqual(['198.18.0.12']);
    expect(r.log.lines.filter((l) => l.includes('fd00::11'))).toEqual([expect.stringMatching(/^warn: host port hp0: cannot add a route to fd00::11: .*EACCES/)]);
    r.host.ipRefuse.clear();
    r.tap().change({ up: false });
    r.tap().change({ up: true });
    expect(r.routes()).toEqual(['198.18.0.12', 'fd00::11']);
  });

  test('a passthru child cannot be added beside it (EINVAL, the kernel\'s rule for any child)', async () => {
    const r = rig();
    const d = await r.start([]);
    const e = (() => { try { d.addChild(child('pt', 0x0200_0000_0009, Mode.PASSTHRU)); return null; } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(DaemonError);
    expect((e as DaemonError).code).toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
    expect(exitOf(e)).toBe(CATALOG.UMV_ERR_PASSTHRU_NOT_ALONE.exit);
    expect((e as Error).message).toMatch(/EINVAL/);
  });

  test('stopped: its TAP is closed (the kernel takes its addresses and routes along), the book no longer followed', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    d.book.set('cni', 'c1', ['198.18.0.11']);
    await r.stop(d);
    expect(r.tap().closed && !r.tap().persistent).toBe(true);
    d.book.set('cni', 'c1', ['198.18.0.12']);
    expect(r.routes()).toEqual(['198.18.0.11']);
  });

  test('set cannot take it out of bridge mode (UMV_ERR_HOST_PORT_MODE); set mode bridge and set mac still work', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    const set = (...argv: string[]) => handleRequest(d, { cmd: 'exec', argv: ['set', ...argv] });
    for (const mode of ['vepa', 'private', 'source', 'passthru']) {
      const a = await set('hp0', 'mode', mode);
      expect(a.ok).toBe(false);
      expect(a.code).toBe('UMV_ERR_HOST_PORT_MODE');
      expect(d.table.mode[d.children.get('hp0')!.slot]).toBe(Mode.BRIDGE);
    }
    expect((await set('hp0', 'mode', 'bridge')).ok).toBe(true);
    expect((await set('hp0', 'mac', '02:00:00:00:00:99')).ok).toBe(true);
    expect((await set('c1', 'mode', 'vepa')).ok).toBe(true);  // an ordinary child still can
    expect(d.table.mode[d.children.get('c1')!.slot]).toBe(Mode.VEPA);
  });

  test('deleted with del: it stops following the book', async () => {
    const r = rig();
    const d = await r.start([child('c1', 0x0200_0000_0001)]);
    const before = r.tap().link.ifindex;
    await d.delChild('hp0');
    d.book.set('cni', 'c1', ['198.18.0.11']);
    expect(r.host.routes.get(before)?.size ?? 0).toBe(0);
    expect(portViews(d).some((v) => v.kind === 'host-port')).toBe(false);
  });
});

describe('the host port under --persist', () => {
  test('the state file keeps it; a restart adopts its TAP and keeps its routes until a source speaks again', async () => {
    const r = rig(true);
    const d = await r.start([child('c1', 0x0200_0000_0001), child('c2', 0x0200_0000_0002)]);
    d.book.set('cni', 'c1', ['198.18.0.11']);
    d.book.set('cni', 'c2', ['198.18.0.12']);
    await r.stop(d);
    const file = JSON.parse(readFileSync(r.state, 'utf8')) as { hostPort: unknown; children: Array<{ name: string }> };
    expect(file.hostPort).toEqual({ name: 'hp0', addrs: ['198.18.0.1/24', 'fd00::1/64'], routes: { c1: ['198.18.0.11'], c2: ['198.18.0.12'] } });
    expect(file.children.map((c) => c.name)).toContain('hp0');
    expect(r.tap().persistent).toBe(true);
    const opened = r.host.taps.size;

    const d2 = await r.start([child('c1', 0x0200_0000_0001), child('c2', 0x0200_0000_0002)]);
    expect(r.host.taps.size).toBe(opened);
    expect(r.tap().calls).toContain('attach');
    expect(portViews(d2, 'hp0')[0]).toMatchObject({ kind: 'host-port', adopted: true });
    expect(r.routes()).toEqual(['198.18.0.11', '198.18.0.12']);
    expect(r.addrs()).toEqual(['198.18.0.1/24', 'fd00::1/64']);
    d2.book.set('cni', 'c1', ['198.18.0.21']); // the source speaks for c1 again: its kept route is replaced
    expect(r.routes()).toEqual(['198.18.0.12', '198.18.0.21']);
    await d2.delChild('c2'); // a kept child deleted: its kept route goes
    expect(r.routes()).toEqual(['198.18.0.21']);
  });

  test('a restart without --host-port keeps the stored one; one with other addresses replaces them', async () => {
    const r = rig(true);
    await r.stop(await r.start([]));
    const d2 = await r.start([], undefined);
    expect(portViews(d2, 'hp0')[0].kind).toBe('host-port');
    expect(r.addrs()).toEqual(['198.18.0.1/24', 'fd00::1/64']);
    await r.stop(d2);
    await r.start([], { ...HP, addrs: [{ addr: '198.18.0.2', prefix: 24 }] });
    expect(r.addrs()).toEqual(['198.18.0.2/24']);
  });

  test('a restart naming another host port: the kept one stays an ordinary kept child, with a warning', async () => {
    const r = rig(true);
    await r.stop(await r.start([]));
    const d2 = await r.start([], { ...HP, name: 'hp1' });
    expect(r.log.lines).toContainEqual(expect.stringMatching(/^warn: host port: the kept hp0 is now an ordinary kept child \(this start names hp1\); --forget hp0/));
    expect(portViews(d2, 'hp0')[0].kind).toBeUndefined();
    expect(portViews(d2, 'hp1')[0].kind).toBe('host-port');
    const file = JSON.parse(readFileSync(r.state, 'utf8')) as { hostPort: { name: string } };
    expect(file.hostPort.name).toBe('hp1');
  });

  test('a corrupt hostPort entry is refused with the file named', async () => {
    const r = rig(true);
    await r.stop(await r.start([]));
    const f = JSON.parse(readFileSync(r.state, 'utf8')) as Record<string, unknown>;
    for (const bad of [{ name: 'hp0', addrs: ['x'], routes: {} }, { name: 'nope', addrs: [], routes: {} }, { name: 'hp0', addrs: [], routes: { c1: [1] } }, 'hp0']) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(r.state, JSON.stringify({ ...f, hostPort: bad }));
      const e = await r.start([]).then(() => null, (x: unknown) => x);
      expect(e, JSON.stringify(bad)).toBeInstanceOf(DaemonError);
      expect((e as DaemonError).code).toBe('UMV_ERR_STATE_CORRUPT');
      expect((e as Error).message).toMatch(/hostPort/);
    }
  });
});
