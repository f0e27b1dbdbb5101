// wire/ethernet.ts against frames written out as hex: read every field, write and compare bytes, MAC text forms.

import { describe, expect, it } from 'vitest';
import {
  BROADCAST, BROADCAST_HI, BROADCAST_LO, ETH, ETH_OVERHEAD, macHi, macHiAt, macLo, macLoAt, ETHERTYPE_IPV4, ETHERTYPE_PAUSE, ETHERTYPE_VLAN, dstMac, etherType, formatMac,
  isGroupDst, isGroupMac, macAt, parseMac, srcMac, writeMac,
} from '../../../src/wire/ethernet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// ARP request from 02:aa:00:00:00:b1, broadcast
const ARP_BCAST = hex('ffffffffffff 02aa000000b1 0806 0001 0800 06 04 0001 02aa000000b1 c6120001 000000000000 c6120002');
// IPv4 unicast between two locally administered MACs
const IPV4_UNI = hex('02cc00000001 02ee00000001 0800 4500001c0000400040110000c6120001c6120002');
// 802.1Q VID 5, inner EtherType 0x88b5, to an IPv4 multicast MAC
const VLAN_MC = hex('01005e112233 02ee00000001 8100 0005 88b5 deadbeef');
// PAUSE frame to the reserved MAC control address
const PAUSE = hex('0180c2000001 02ee00000009 8808 0001 ffff');

describe('ethernet readers (hex fixtures)', () => {
  it('offsets: dst 0, src 6, type 12, header 14; overhead MTU + 18', () => {
    expect(ETH).toEqual({ DST: 0, SRC: 6, TYPE: 12, HLEN: 14 });
    expect(ETH_OVERHEAD).toBe(18);
  });

  it('ARP broadcast', () => {
    expect(dstMac(ARP_BCAST, 0)).toBe(BROADCAST);
    expect(srcMac(ARP_BCAST, 0)).toBe(0x02aa_0000_00b1);
    expect(etherType(ARP_BCAST, 0)).toBe(0x0806);
    expect(isGroupDst(ARP_BCAST, 0)).toBe(true);
  });

  it('IPv4 unicast', () => {
    expect(dstMac(IPV4_UNI, 0)).toBe(0x02cc_0000_0001);
    expect(srcMac(IPV4_UNI, 0)).toBe(0x02ee_0000_0001);
    expect(etherType(IPV4_UNI, 0)).toBe(ETHERTYPE_IPV4);
    expect(isGroupDst(IPV4_UNI, 0)).toBe(false);
  });

  it('802.1Q: the type at 12 is the TPID; the group bit still comes from the destination', () => {
    expect(etherType(VLAN_MC, 0)).toBe(ETHERTYPE_VLAN);
    expect(dstMac(VLAN_MC, 0)).toBe(0x0100_5e11_2233);
    expect(isGroupDst(VLAN_MC, 0)).toBe(true);
  });

  it('PAUSE', () => {
    expect(etherType(PAUSE, 0)).toBe(ETHERTYPE_PAUSE);
    expect(isGroupDst(PAUSE, 0)).toBe(true);
  });

  it('reads at an offset without touching the bytes before it', () => {
    const b = new Uint8Array(10 + IPV4_UNI.length).fill(0xff);
    b.set(IPV4_UNI, 10);
    expect([dstMac(b, 10), srcMac(b, 10), etherType(b, 10), isGroupDst(b, 10)]).toEqual([0x02cc_0000_0001, 0x02ee_0000_0001, 0x0800, false]);
  });

  it('macAt covers the full 48 bits: high bytes ≥ 0x80 stay positive, exact in a double', () => {
    const b = hex('ffeeddccbbaa');
    expect(macAt(b, 0)).toBe(0xffee_ddcc_bbaa);
    expect(macAt(hex('000000000000'), 0)).toBe(0);
    expect(macAt(hex('00000080 0000'), 0)).toBe(0x80_0000);
  });
});

describe('writeMac round trip', () => {
  it('rebuilds the fixtures byte for byte', () => {
    for (const f of [ARP_BCAST, IPV4_UNI, VLAN_MC, PAUSE]) {
      const b = f.slice();
      b.fill(0, 0, 12);
      writeMac(b, 0, dstMac(f, 0));
      writeMac(b, 6, srcMac(f, 0));
      expect(toHex(b)).toBe(toHex(f));
    }
  });

  it('macAt(writeMac(x)) === x for edge values', () => {
    const b = new Uint8Array(8);
    for (const x of [0, 1, 0xff, 0x1_0000_0000, 0xffff_ffff, 0x0100_0000_0000, 0xffff_ffff_ffff, 0x8000_0000_0001]) {
      writeMac(b, 1, x);
      expect(macAt(b, 1)).toBe(x);
      expect(b[0]).toBe(0);
      expect(b[7]).toBe(0);
    }
  });
});

describe('parseMac / formatMac', () => {
  it('parses either case; formats lower case with leading zeros', () => {
    expect(parseMac('02:AA:00:00:00:b1')).toBe(0x02aa_0000_00b1);
    expect(formatMac(0x02aa_0000_00b1)).toBe('02:aa:00:00:00:b1');
    expect(formatMac(0)).toBe('00:00:00:00:00:00');
    expect(formatMac(BROADCAST)).toBe('ff:ff:ff:ff:ff:ff');
  });

  it('round trips', () => {
    for (const s of ['00:00:00:00:00:01', '01:00:5e:7f:ff:fa', 'fe:dc:ba:98:76:54', '33:33:de:ad:be:ef']) {
      expect(formatMac(parseMac(s))).toBe(s);
    }
  });

  it('rejects anything else with -1', () => {
    for (const s of ['', '02:aa:00:00:00', '02:aa:00:00:00:b1:00', '02-aa-00-00-00-b1', '2:aa:00:00:00:b1', 'g2:aa:00:00:00:b1', ' 02:aa:00:00:00:b1']) {
      expect(parseMac(s), s).toBe(-1);
    }
  });
});

describe('isGroupMac', () => {
  it('is the I/G bit of the first octet (multicast and broadcast)', () => {
    expect(isGroupMac(BROADCAST)).toBe(true);
    expect(isGroupMac(parseMac('01:00:5e:00:00:01'))).toBe(true);
    expect(isGroupMac(parseMac('33:33:00:00:00:01'))).toBe(true);
    expect(isGroupMac(parseMac('03:00:00:00:00:00'))).toBe(true);
    expect(isGroupMac(parseMac('02:aa:00:00:00:01'))).toBe(false);
    expect(isGroupMac(parseMac('00:01:00:00:00:00'))).toBe(false); // bit 0 of the 2nd octet is not the I/G bit
    expect(isGroupMac(parseMac('fe:ff:ff:ff:ff:ff'))).toBe(false);
    expect(isGroupMac(0)).toBe(false);
  });

  it('agrees with isGroupDst on the bytes', () => {
    const b = new Uint8Array(14);
    for (const first of [0x00, 0x01, 0x02, 0x03, 0xfe, 0xff]) {
      const mac = first * 2 ** 40 + 0x12_3456_789a;
      writeMac(b, 0, mac);
      expect(isGroupMac(mac)).toBe(isGroupDst(b, 0));
    }
  });
});

describe('MACs as (hi, lo) small integers (the hot path form)', () => {
  it('macHiAt/macLoAt agree with macHi/macLo of macAt, lo signed, for edge values', () => {
    const b = new Uint8Array(6);
    for (const x of [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x02aa_0000_00b1, 0xffff_ffff_ffff, 0x8000_8000_0000]) {
      writeMac(b, 0, x);
      expect([macHiAt(b, 0), macLoAt(b, 0)], x.toString(16)).toEqual([macHi(x), macLo(x)]);
      expect(macHi(x) * 2 ** 32 + (macLo(x) >>> 0)).toBe(x);
      expect(Number.isInteger(macLo(x)) && macLo(x) >= -(2 ** 31) && macLo(x) < 2 ** 31).toBe(true);
    }
    expect([macHi(BROADCAST), macLo(BROADCAST)]).toEqual([BROADCAST_HI, BROADCAST_LO]);
    expect([macHiAt(ARP_BCAST, 0), macLoAt(ARP_BCAST, 0)]).toEqual([BROADCAST_HI, BROADCAST_LO]);
    expect([macHiAt(IPV4_UNI, 6), macLoAt(IPV4_UNI, 6)]).toEqual([0x02ee, 0x0000_0001]);
  });
});
