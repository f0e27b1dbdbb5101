// The host port's address and host-route requests (io/rtnl-addr-codec.ts) byte by byte, as linux/if_addr.h and linux/rtnetlink.h
// lay them out: what ip(8) sends for `ip addr add 198.18.0.1/24 dev IF` and `ip route add 198.18.0.5/32 dev IF proto static`.

import { describe, expect, test } from 'vitest';
import { AF, buildDelAddr, buildHostRoute, buildNewAddr, ipPrefix as bytesPrefix, RTPROT_STATIC } from '../../../src/io/rtnl-addr-codec.js';
import { parseIp } from '../../../src/wire/ip-address.js';

/** The prefix the daemon hands io for an address it holds as text (control/host-linux.ts) */
const ipPrefix = (text: string, len?: number): ReturnType<typeof bytesPrefix> => bytesPrefix(parseIp(text)!, len);

const RTM = { NEWADDR: 20, DELADDR: 21, NEWROUTE: 24, DELROUTE: 25 };

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
/** The attributes after a fixed header of `fixed` bytes, as [type, bytes] */
function attrs(b: Uint8Array, fixed: number): Array<[number, number[]]> {
  const out: Array<[number, number[]]> = [];
  for (let a = 16 + fixed; a + 4 <= b.length;) {
    const len = dv(b).getUint16(a, true);
    out.push([dv(b).getUint16(a + 2, true), [...b.subarray(a + 4, a + len)]]);
    a += (len + 3) & ~3;
  }
  return out;
}

describe('address and route requests', () => {
  test('ipPrefix: IPv4, IPv6 with and without "::", an IPv4 tail; the family from the length, a host\'s length unless given', () => {
    expect(ipPrefix('198.18.0.1')).toEqual({ family: AF.INET, addr: Uint8Array.from([198, 18, 0, 1]), len: 32 });
    expect(ipPrefix('fd00::1', 64).len).toBe(64);
    expect(ipPrefix('fd00::1').len).toBe(128);
    const v6 = (t: string): number[] => [...ipPrefix(t).addr];
    expect(v6('fd00::1')).toEqual([0xfd, 0, ...new Array(13).fill(0), 1]);
    expect(v6('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(v6('fd00::')).toEqual([0xfd, ...new Array(15).fill(0)]);
    expect(v6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(v6('fd00:0:0:1::ab:cdef')).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef]);
    expect(v6('::ffff:198.18.0.1')).toEqual([...new Array(10).fill(0), 0xff, 0xff, 198, 18, 0, 1]);
    expect(ipPrefix('fd00::1').family).toBe(AF.INET6);
  });

  test('RTM_NEWADDR: ifaddrmsg, IFA_LOCAL and IFA_ADDRESS; create, exclusive, ACK', () => {
    const m = buildNewAddr(7, 5, ipPrefix('198.18.0.1', 24));
    expect(dv(m).getUint32(0, true)).toBe(m.length);
    expect(dv(m).getUint16(4, true)).toBe(RTM.NEWADDR);
    expect(dv(m).getUint16(6, true)).toBe(0x1 | 0x4 | 0x400 | 0x200);
    expect(dv(m).getUint32(8, true)).toBe(7);
    expect([...m.subarray(16, 20)]).toEqual([AF.INET, 24, 0, 0]);
    expect(dv(m).getUint32(20, true)).toBe(5);
    expect(attrs(m, 8)).toEqual([[2, [198, 18, 0, 1]], [1, [198, 18, 0, 1]]]);
    const del = buildDelAddr(8, 5, ipPrefix('fd00::1', 64));
    expect(dv(del).getUint16(4, true)).toBe(RTM.DELADDR);
    expect(dv(del).getUint16(6, true)).toBe(0x1 | 0x4);
    expect([...del.subarray(16, 18)]).toEqual([AF.INET6, 64]);
    expect(attrs(del, 8)[0][1]).toHaveLength(16);
  });

  test('RTM_NEWROUTE: a /32 (/128) in the main table, proto static, scope link for IPv4, RTA_DST and RTA_OIF', () => {
    const m = buildHostRoute(9, true, 6, ipPrefix('198.18.0.5'));
    expect(dv(m).getUint16(4, true)).toBe(RTM.NEWROUTE);
    expect(dv(m).getUint16(6, true)).toBe(0x1 | 0x4 | 0x400 | 0x200);
    // family, dst_len, src_len, tos, table, protocol, scope, type; flags
    expect([...m.subarray(16, 24)]).toEqual([AF.INET, 32, 0, 0, 254, RTPROT_STATIC, 253, 1]);
    expect(dv(m).getUint32(24, true)).toBe(0);
    expect(attrs(m, 12)).toEqual([[1, [198, 18, 0, 5]], [4, [6, 0, 0, 0]]]);
    const v6 = buildHostRoute(10, true, 6, ipPrefix('fd00::5'));
    expect([...v6.subarray(16, 24)]).toEqual([AF.INET6, 128, 0, 0, 254, RTPROT_STATIC, 0, 1]);
    const del = buildHostRoute(11, false, 6, ipPrefix('198.18.0.5'));
    expect(dv(del).getUint16(4, true)).toBe(RTM.DELROUTE);
    expect(dv(del).getUint16(6, true)).toBe(0x1 | 0x4);
    expect(del[22]).toBe(255); // RT_SCOPE_NOWHERE: any scope
  });
});
