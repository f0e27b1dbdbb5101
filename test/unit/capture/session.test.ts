// CaptureSession: the port selection (all, parent, one child — also one added live), the filter compiled only
// when asked for, and errors before any file is made.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureSession, type CaptureEnv, type CaptureSettings } from '../../../src/capture/session.js';
import { CaptureRing } from '../../../src/capture/ring.js';
import { Dir } from '../../../src/core/direction.js';
import { CaptureError } from '../../../src/capture/errors.js';
import { readPcapng } from './read-capture.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'umc-session-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const T0 = 1_700_000_000_000_000_000;
const noNative = (): never => { throw new Error('the addon must not be loaded without a filter'); };
const env = (over: Partial<CaptureEnv> = {}): CaptureEnv => ({
  parentName: 'eth9', children: [{ port: 1, name: 'c1' }, { port: 2, name: 'c2' }], maxPorts: 8,
  native: noNative, ringBytes: 1 << 16, cwd: dir, ...over,
});
const settings = (port: string, over: Partial<CaptureSettings> = {}): CaptureSettings =>
  ({ file: 's.pcapng', port, format: 'pcapng', snaplen: 262144, ...over });

/** What the worker does: offer on every port, both ways. */
function traffic(sab: SharedArrayBuffer, ports: number[], ts: number): void {
  const r = CaptureRing.attach(sab);
  const f = new Uint8Array(60);
  for (const p of ports) { r.offer(p, Dir.IN, f, 0, 60, ts); r.offer(p, Dir.OUT, f, 0, 60, ts); }
}
const names = (file: string): string[] => {
  const r = readPcapng(readFileSync(join(dir, 'captures', file)));
  return r.packets.map((p) => `${r.interfaces[p.ifid].name}/${p.flags === 1 ? 'in' : 'out'}`);
};

describe('CaptureSession', () => {
  test.each([
    ['all', ['eth9/in', 'eth9/out', 'c1/in', 'c1/out', 'c2/in', 'c2/out', 'c3/in', 'c3/out']],
    ['parent', ['eth9/in', 'eth9/out']],
    ['c2', ['c2/in', 'c2/out']],
    ['c3', ['c3/in', 'c3/out']], // not there at start, added live
  ])('--capture-port %s', async (port, want) => {
    const s = await CaptureSession.start(settings(port), env());
    traffic(s.ring.sab, [0, 1, 2], T0);
    s.portAdded(3, 'c3');
    traffic(s.ring.sab, [3], T0 + 1024);
    const st = await s.stop();
    expect(names('s.pcapng')).toEqual(want);
    expect(st).toMatchObject({ framesWritten: want.length, ringDrops: 0 });
  });

  test('a removed child is no longer captured', async () => {
    const s = await CaptureSession.start(settings('c1'), env());
    traffic(s.ring.sab, [1], T0);
    s.portRemoved(1, 'c1');
    traffic(s.ring.sab, [1], T0 + 1024);
    await s.stop();
    expect(names('s.pcapng')).toEqual(['c1/in', 'c1/out']);
  });

  test('a filter is compiled with the snaplen and installed in the ring', async () => {
    const calls: [string, number][] = [];
    // "byte 0 is 1", as libpcap would give it for ether[0] = 1
    const native = () => ({ bpfCompile: (e: string, n: number) => { calls.push([e, n]); return Uint32Array.of(0x30, 0, 0, 0, 0x15, 0, 1, 1, 6, 0, 0, n, 6, 0, 0, 0); } });
    const s = await CaptureSession.start(settings('all', { filter: 'ether[0] = 1', snaplen: 128 }), env({ native }));
    const r = CaptureRing.attach(s.ring.sab);
    r.offer(1, Dir.IN, Uint8Array.of(1, ...new Array(59).fill(0)), 0, 60, T0);
    r.offer(1, Dir.IN, new Uint8Array(60), 0, 60, T0);
    await s.stop();
    expect(calls).toEqual([['ether[0] = 1', 128]]);
    const f = readPcapng(readFileSync(join(dir, 'captures', 's.pcapng')));
    expect(f.packets).toHaveLength(1);
    expect(f.interfaces[0]).toMatchObject({ snaplen: 128, filter: 'ether[0] = 1' });
  });

  test('errors come before any file: no libpcap, a bad filter; an unwritable path', async () => {
    const missing = () => ({ bpfCompile: () => -2 });
    await expect(CaptureSession.start(settings('all', { filter: 'arp' }), env({ native: missing })))
      .rejects.toThrow(/^--capture-filter needs libpcap: apt-get install libpcap0\.8$/);
    const bad = () => ({ bpfCompile: () => 'syntax error' });
    await expect(CaptureSession.start(settings('all', { filter: 'arp and' }), env({ native: bad })))
      .rejects.toMatchObject({ code: 'UMV_ERR_CAPTURE_FILTER' });
    expect(existsSync(join(dir, 'captures'))).toBe(false);
    const e = await CaptureSession.start(settings('all', { file: join(dir, 'no', 'x') }), env()).catch((x) => x);
    expect(e).toBeInstanceOf(CaptureError);
    expect(e.code).toBe('UMV_ERR_CAPTURE_OPEN');
  });
});
