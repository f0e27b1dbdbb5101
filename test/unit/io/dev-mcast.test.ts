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
