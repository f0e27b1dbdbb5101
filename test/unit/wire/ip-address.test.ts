// IP text, the one reader and writer of it in src/ (wire/ip-address.ts): as Go reads and prints it for the CNI
// results, in the canonical form that keeps the family for the daemon's own addresses, and the classes no interface
// address may be.

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  canonicalIp, formatCidr, formatIp, isIpv6WithZone, isMulticastIp, isUnspecifiedIp, parseCidr, parseIp, sameNet,
} from '../../../src/wire/ip-address.js';
import { addrText, addrWords } from '../../../src/core/nat-address.js';

describe('ip', () => {
  test('IPv4: dotted quads, no leading zeros', () => {
    expect(parseIp('198.18.0.1')).toEqual([198, 18, 0, 1]);
    for (const bad of ['198.18.0', '198.18.0.256', '198.018.0.1', '1.2.3.4.5', '', 'a.b.c.d']) expect(parseIp(bad)).toBeNull();
  });

  test('IPv6: every form, printed in RFC 5952 form as Go prints it', () => {
    const cases: Array<[string, string]> = [
      ['fd00:0:0:0:0:0:0:1', 'fd00::1'], ['FD00::1', 'fd00::1'], ['::', '::'], ['::1', '::1'], ['1::', '1::'],
      ['fd00:0:0:1:0:0:0:1', 'fd00:0:0:1::1'], ['fd00:1:0:1:0:1:0:1', 'fd00:1:0:1:0:1:0:1'], ['fd00:0:1:0:1:0:1:0', 'fd00:0:1:0:1:0:1:0'],
      ['::ffff:198.18.0.1', '198.18.0.1'], ['::198.18.0.1', '::c612:1'], ['fe80::0001', 'fe80::1'],
    ];
    for (const [text, want] of cases) expect(formatIp(parseIp(text)!), text).toBe(want);
    for (const bad of [':::', '1:::2', 'fd00::1::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '12345::', '::1.2.3']) expect(parseIp(bad), bad).toBeNull();
  });

  test('a formatted address reads back to itself', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
      const once = formatIp(parseIp(ip)!);
      expect(formatIp(parseIp(once)!)).toBe(once);
    }));
  });

  test('CIDRs keep their host bits; prefixes bounded by the family', () => {
    expect(formatCidr(parseCidr('198.18.0.5/24')!)).toBe('198.18.0.5/24');
    expect(formatCidr(parseCidr('fd00::5/64')!)).toBe('fd00::5/64');
    for (const bad of ['198.18.0.5', '198.18.0.5/33', 'fd00::/129', '198.18.0.5/024', '/24', '198.18.0.5/']) expect(parseCidr(bad)).toBeNull();
  });

  test('sameNet: equal prefixes and leading bits', () => {
    expect(sameNet(parseCidr('198.18.0.5/24')!, parseCidr('198.18.0.0/24')!)).toBe(true);
    expect(sameNet(parseCidr('198.18.1.5/24')!, parseCidr('198.18.0.0/24')!)).toBe(false);
    expect(sameNet(parseCidr('198.18.0.0/24')!, parseCidr('198.18.0.0/16')!)).toBe(false);
    expect(sameNet(parseCidr('0.0.0.0/0')!, parseCidr('198.18.0.1/0')!)).toBe(true);
    expect(sameNet(parseCidr('::ffff:198.18.0.0/120')!, parseCidr('198.18.0.0/24')!)).toBe(true);
  });
});

describe('canonical text, the family kept', () => {
  test('IPv6 compressed and lower case; an IPv4-mapped address stays IPv6 (as the WHATWG URL parser writes it)', () => {
    expect(canonicalIp('FD00:0:0::0001')).toBe('fd00::1');
    expect(canonicalIp('::ffff:198.18.0.1')).toBe('::ffff:c612:1');
    expect(formatIp(parseIp('::ffff:198.18.0.1')!)).toBe('198.18.0.1');
    expect(canonicalIp('198.18.0.1')).toBe('198.18.0.1');
    for (const bad of ['fe80::1%eth0', '198.18.0.0/15', '', '198.018.0.1', ' 198.18.0.1']) expect(canonicalIp(bad), bad).toBeNull();
  });

  test('agrees with the URL parser on every IPv6 address', () => {
    fc.assert(fc.property(fc.ipV6(), (ip) => {
      expect(canonicalIp(ip)).toBe(new URL(`http://[${ip}]/`).hostname.slice(1, -1));
    }));
  });

  test('a zone only where a listening socket takes one', () => {
    expect(isIpv6WithZone('fe80::1%eth0')).toBe(true);
    expect(isIpv6WithZone('fe80::1')).toBe(true);
    for (const bad of ['fe80::1%', 'fe80::1%e th0', 'fe80::1%eth0%1', '198.18.0.1', '198.18.0.1%eth0', 'x%eth0']) expect(isIpv6WithZone(bad), bad).toBe(false);
  });

  test('classes: unspecified and multicast, in either family', () => {
    for (const a of ['0.0.0.0', '::']) expect(isUnspecifiedIp(parseIp(a)!), a).toBe(true);
    for (const a of ['224.0.0.1', '239.255.255.255', 'ff02::1']) expect(isMulticastIp(parseIp(a)!), a).toBe(true);
    for (const a of ['198.18.0.1', '240.0.0.1', 'fd00::1', '::1']) {
      expect(isUnspecifiedIp(parseIp(a)!) || isMulticastIp(parseIp(a)!), a).toBe(false);
    }
  });

  test('the NAT table reads the same text: an IPv4 address however written is one entry', () => {
    expect(addrWords('::ffff:198.18.0.5')).toEqual(addrWords('198.18.0.5'));
    expect(addrText(addrWords('::ffff:198.18.0.5')!)).toBe('198.18.0.5');
  });
});
