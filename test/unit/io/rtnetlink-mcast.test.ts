// RTM_NEWMULTICAST / RTM_DELMULTICAST as the kernel builds them (inet_fill_ifmcaddr, inet6_fill_ifmcaddr): an ifaddrmsg,
// then IFA_MULTICAST and IFA_CACHEINFO; parsed into the group's key and the link-layer MAC it maps to.

import { expect, test } from 'vitest';
import { ipv4GroupMac, ipv6GroupMac, parseMcastMessages, RTM_MCAST, IFA_MULTICAST, type McastEvent } from '../../../src/io/rtnetlink-mcast.js';

function msg(type: number, family: number, ifindex: number, addr: number[]): Uint8Array {
  const attrLen = 4 + addr.length;
  const cache = 4 + 16;  // IFA_CACHEINFO (6), 16 bytes: skipped
  const len = 16 + 8 + ((attrLen + 3) & ~3) + cache;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, len, true); dv.setUint16(4, type, true);
  dv.setUint8(16, family); dv.setUint8(17, family === 2 ? 32 : 128); dv.setUint32(20, ifindex, true);
  let a = 24;
  dv.setUint16(a, 4 + 16, true); dv.setUint16(a + 2, 6, true); a += 20;  // cache info first: order must not matter
  dv.setUint16(a, attrLen, true); dv.setUint16(a + 2, IFA_MULTICAST, true); b.set(addr, a + 4);
  return b;
}

test('IPv4 and IPv6 joins and leaves become (ifindex, key, MAC); other families and types are skipped', () => {
  const v4 = msg(RTM_MCAST.NEW, 2, 7, [239, 129, 2, 3]);
  const v6addr = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x00, 0x00, 0x01];
  const v6 = msg(RTM_MCAST.DEL, 10, 9, v6addr);
  const other = msg(RTM_MCAST.NEW, 7, 9, [1, 2, 3, 4]);
  const link = msg(16, 2, 9, [1, 2, 3, 4]);
  const all = new Uint8Array(v4.length + v6.length + other.length + link.length);
  all.set(v4); all.set(v6, v4.length); all.set(other, v4.length + v6.length); all.set(link, v4.length + v6.length + other.length);
  const got: McastEvent[] = [];
  parseMcastMessages(all, all.length, (e) => got.push(e));
  expect(got).toEqual([
    { join: true, ifindex: 7, key: '4:ef810203', mac: 0x01_00_5e_01_02_03 },
    { join: false, ifindex: 9, key: '6:ff0200000000000000000001ff000001', mac: 0x33_33_ff_00_00_01 },
  ]);
  // Cut short: nothing past the cut is read.
  const cut: McastEvent[] = [];
  parseMcastMessages(all, v4.length - 1, (e) => cut.push(e));
  expect(cut).toEqual([]);
});

test('group MACs: 01:00:5e + low 23 bits (IPv4), 33:33 + low 32 bits (IPv6)', () => {
  expect(ipv4GroupMac([224, 0, 0, 251])).toBe(0x01_00_5e_00_00_fb);
  expect(ipv4GroupMac([239, 255, 255, 255])).toBe(0x01_00_5e_7f_ff_ff);
  expect(ipv6GroupMac([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xab, 0xcd, 0xef])).toBe(0x33_33_ff_ab_cd_ef);
});
