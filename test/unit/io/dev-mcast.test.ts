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
