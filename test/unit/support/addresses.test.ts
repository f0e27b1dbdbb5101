// The sandboxes' address plan: the MACs tests have always used come out of testMac unchanged, and nothing outside
// the plan (a group MAC, an address outside 198.18.0.0/15) can be made.
import { describe, expect, it } from 'vitest';
import { macText, testIp, testMac } from '../../../support/addresses.js';

describe('support/addresses', () => {
  it('testMac(lab, host) is 02:ee:<lab>:<host in 3 bytes>, locally administered unicast', () => {
    expect(testMac(0x0a, 0x11)).toBe(0x02_ee_0a_00_00_11);
    expect(macText(testMac(0x10, 0xff02))).toBe('02:ee:10:00:ff:02');
    expect(macText(testMac(0xff, 0xff_ffff))).toBe('02:ee:ff:ff:ff:ff');
    expect(Math.floor(testMac(0x5e, 1) / 2 ** 40) & 0x03).toBe(0x02);  // I/G clear, U/L set
  });
  it('testMac refuses what would spill into another octet', () => {
    expect(() => testMac(0x100, 1)).toThrow(/out of range/);
    expect(() => testMac(1, 0x100_0000)).toThrow(/out of range/);
    expect(() => testMac(-1, 1)).toThrow(/out of range/);
  });
  it('testIp stays inside 198.18.0.0/15', () => {
    expect(testIp(0, 1)).toBe('198.18.0.1');
    expect(() => testIp(256, 1)).toThrow(/out of range/);
    expect(() => testIp(0, 256)).toThrow(/out of range/);
  });
});
