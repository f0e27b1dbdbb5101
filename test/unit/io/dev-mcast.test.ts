import { test, expect } from 'vitest';
import { parseDevMcast } from '../../../src/io/dev-mcast.js';

test('dev_mcast lines become (ifindex, name, users, MAC); anything else is skipped', () => {
  const text = [
    '1    lo              1     0     01005e000001',
    '7    umi42p0         2     0     333300000001',
    'garbage line',
    '9    eth0            1     0     0100',
    '',
  ].join('\n');
  expect(parseDevMcast(text)).toEqual([
    { ifindex: 1, ifname: 'lo', users: 1, mac: 0x01_00_5e_00_00_01 },
    { ifindex: 7, ifname: 'umi42p0', users: 2, mac: 0x33_33_00_00_00_01 },
  ]);
});

test('parseDevMcastBytes: the same lines from bytes, at most the limit kept per interface, the rest counted', async () => {
  const { parseDevMcastBytes, fnv1a } = await import('../../../src/io/dev-mcast.js');
  const text = [
    '1    lo              1     0     01005e000001',
    '7    umi42p0         2     0     333300000001',
    '7    umi42p0         1     0     01005E0A0B0C',
    '7    umi42p0         1     0     01005e0a0b0d',
    'garbage line',
    '9    eth0            1     0     0100',
    '',
  ].join('\n');
  const b = new TextEncoder().encode(text);
  const got = parseDevMcastBytes(b, b.length, (ifx) => (ifx === 7 ? 2 : 8));
  expect(got.get(1)).toEqual({ macs: [0x01_00_5e_00_00_01], count: 1 });
  expect(got.get(7)).toEqual({ macs: [0x33_33_00_00_00_01, 0x01_00_5e_0a_0b_0c], count: 3 });
  expect(got.has(9)).toBe(false);
  // Only the first len bytes count; the hash tells two files apart and depends on len alone, not what lies beyond it.
  expect(parseDevMcastBytes(b, 45, () => 8).get(7)).toBeUndefined();
  expect(fnv1a(b, b.length)).not.toBe(fnv1a(b, b.length - 1));
  expect(fnv1a(b, 10)).toBe(fnv1a(b.slice(0, 10), 10));
});

test('forEachChanged: one native read of every file names only those whose bytes differ from their last read', async () => {
  const { DevMcastFile, forEachChanged } = await import('../../../src/io/dev-mcast.js');
  // this process's own namespace: readable without root, and nothing here joins groups while the test runs
  const seen = new DevMcastFile({});
  const fresh = new DevMcastFile({});
  try {
    expect(seen.read(true)).not.toBeNull();
    const changed: number[] = [];
    forEachChanged([seen, fresh, seen], (i) => changed.push(i));
    // the native hash equals fnv1a's (else an unchanged file would be re-parsed on every tick); never read = changed
    expect(changed).toEqual([1]);
    expect(fresh.read(false)).not.toBeNull();
    changed.length = 0;
    forEachChanged([seen, fresh], (i) => changed.push(i));
    expect(changed).toEqual([]);
  } finally {
    seen.close();
    fresh.close();
  }
});
