// A --persist daemon's CNI children over the fake host: the attachment kept in the state file and taken back with
// the child, a tombstone (left by a DEL while no daemon ran) dropping exactly its child at the next start, and the
// daemon's tombstones removed once read.
import { afterEach, describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import { tombstoneName } from '../../../src/control/cni-attachment.js';
import { tombstoneDir } from '../../../src/control/cni-tombstones.js';
import { Mode } from '../../../src/core/constants.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const dirs: string[] = [];
const running: Daemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const cniChild = (name: string, containerId: string): ChildConfig => ({
  name, mac: 'auto', mode: Mode.BRIDGE, flags: 0, macaddr: [], netns: 'na',
  cni: { network: 'net', containerId, ifname: 'eth0', ips: [] },
});

describe('CNI children of a --persist daemon', () => {
  test('kept with their attachment; a tombstone drops exactly its child, and the tombstones go', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ucd-persist-'));
    dirs.push(dir);
    const host = new FakeHost();
    host.namespaces.set('na', { dev: 4, ino: 1001 });
    const control = join(dir, 'p0.sock');
    const start = async (): Promise<Daemon> => {
      const d = await Daemon.start({ parent: 'p0', children: [], log: 'normal', busyPollUs: 0, maxGroups: 1024, persist: true, state: join(dir, 'p0.state'), control },
        host, new MemoryLog(), (t, o) => new FakeDatapath(t, o));
      running.push(d);
      return d;
    };
    const stop = async (d: Daemon): Promise<void> => { running.splice(running.indexOf(d), 1); await d.stop(); };

    const d1 = await start();
    d1.addChild(cniChild('c1', 'A'));
    d1.addChild(cniChild('c2', 'B'));
    d1.cniAttached('c1', ['198.18.6.2/24']);
    expect(host.taps.has('eth0')).toBe(true);  // the TAP is named CNI_IFNAME in the namespace, not by its handle
    await stop(d1);

    const tombs = tombstoneDir(control);
    mkdirSync(tombs);
    writeFileSync(join(tombs, tombstoneName('B', 'eth0')), 'net\n');
    writeFileSync(join(tombs, tombstoneName('Z', 'eth0')), 'net\n');
    const d2 = await start();
    expect([...d2.children.keys()]).toEqual(['c1']);
    expect(d2.children.get('c1')!.cfg.cni).toEqual({ network: 'net', containerId: 'A', ifname: 'eth0', ips: ['198.18.6.2/24'] });
    expect(d2.book.of('c1')).toEqual(['198.18.6.2']);  // its addresses are told to the address book again
    expect(existsSync(tombs) ? readdirSync(tombs) : []).toEqual([]);
  });
});
