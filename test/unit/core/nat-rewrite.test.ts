// The MAC-NAT rewrites (core/nat-rewrite.ts) byte for byte: which bytes change, to what, and that every checksum
// still verifies when summed again from scratch (nat-frames.ts, not src/wire/checksum.ts); a checksum-partial frame
// (virtio-net NEEDS_CSUM) keeps its partial sum.

import { describe, expect, test } from 'vitest';
import { PortTable } from '../../../src/core/port-table.js';
import { Mode } from '../../../src/core/constants.js';
import { natRewriteIn, natRewriteOut } from '../../../src/core/nat-rewrite.js';
import {
  BC, C1, OUT, PMAC, arpReply, arpRequest, dhcpAck, dhcpRequest, diff, icmp6Ok, ip4, ip6, macNum, ndp, range, udp4,
  udp4Ok,
} from './nat-frames.js';

const V = 10;

function table(): PortTable {
  const t = new PortTable(4);
  t.setParent({ mac: macNum(PMAC), mtu: 1500, up: true, carrier: true, promisc: true });
  t.addChild(1, { mac: macNum(C1), mode: Mode.BRIDGE, flags: 0, mtu: 1500 });
  t.setUp(1, true);
  t.setMacNat(true);
  return t;
}

/** The frame behind a virtio-net header (all zero, or NEEDS_CSUM from csumStart) as the engine lays it out */
function laid(f: Uint8Array, csumStart = -1, csumOffset = 0): Uint8Array {
  const b = new Uint8Array(V + f.length);
  b.set(f, V);
  if (csumStart >= 0) {
    b[0] = 1;
    b[6] = csumStart & 0xff; b[7] = csumStart >> 8;
    b[8] = csumOffset & 0xff; b[9] = csumOffset >> 8;
  }
  return b;
}

const out = (f: Uint8Array, csumStart = -1, csumOffset = 0): Uint8Array => {
  const b = laid(f, csumStart, csumOffset);
  natRewriteOut(table(), b, V, f.length);
  return b.slice(V);
};
const into = (f: Uint8Array): Uint8Array => {
  const b = laid(f);
  natRewriteIn(table(), 1, b, V, f.length);
  return b.slice(V);
};
const at = (f: Uint8Array, from: number, n = 6): number[] => [...f.slice(from, from + n)];

describe('out to the wire', () => {
  test('any frame: the Ethernet source becomes the parent\'s MAC, nothing else changes', () => {
    const f = udp4(C1, OUT, '198.18.0.5', '198.18.0.1', 5000, 7, [1, 2, 3]);
    const g = out(f);
    expect(at(g, 6)).toEqual(PMAC);
    expect(diff(f, g).every((i) => i >= 6 && i < 12)).toBe(true);
    expect(udp4Ok(g)).toBe(true);
  });

  test('ARP: the sender hardware address becomes the parent\'s; addresses and target stay', () => {
    const f = arpRequest(C1, '198.18.0.5', '198.18.0.1');
    const g = out(f);
    expect(at(g, 6)).toEqual(PMAC);
    expect(at(g, 22)).toEqual(PMAC);
    expect(diff(f, g)).toEqual([...range(6, 6), ...range(22, 6)].filter((i) => f[i] !== g[i]));
    expect(at(g, 28, 4)).toEqual(ip4('198.18.0.5'));
    expect(at(g, 38, 4)).toEqual(ip4('198.18.0.1'));
  });

  test('NDP neighbor solicitation: the source link-layer option becomes the parent\'s, the ICMPv6 checksum verifies', () => {
    const f = ndp(C1, [0x33, 0x33, 0xff, 0, 0, 1], ip6(0xfd00, [5]), ip6(0xff02, [1, 0xff, 0, 0, 1]), 135, ip6(0xfd00, [1]), [[1, C1]]);
    expect(icmp6Ok(f)).toBe(true);
    const g = out(f);
    expect(at(g, 80)).toEqual(PMAC);
    expect(icmp6Ok(g)).toBe(true);
    expect(diff(f, g).every((i) => (i >= 6 && i < 12) || (i >= 80 && i < 86) || i === 56 || i === 57)).toBe(true);
  });

  test('NDP neighbor advertisement and router solicitation: target and source options rewritten, checksums verify', () => {
    const na = ndp(C1, OUT, ip6(0xfd00, [5]), ip6(0xfd00, [1]), 136, ip6(0xfd00, [5]), [[2, C1]]);
    const g = out(na);
    expect(at(g, 80)).toEqual(PMAC);
    expect(icmp6Ok(g)).toBe(true);
    const rs = ndp(C1, [0x33, 0x33, 0, 0, 0, 2], ip6(0xfe80, [5]), ip6(0xff02, [2]), 133, null, [[1, C1]]);
    const h = out(rs);
    expect(at(h, 54 + 8 + 2)).toEqual(PMAC);
    expect(icmp6Ok(h)).toBe(true);
  });

  test('NDP from a checksum-partial frame (NEEDS_CSUM from the ICMPv6 header): the partial sum is left as it was', () => {
    const f = ndp(C1, OUT, ip6(0xfd00, [5]), ip6(0xfd00, [1]), 136, ip6(0xfd00, [5]), [[2, C1]]);
    const g = out(f, 54, 2);
    expect(at(g, 80)).toEqual(PMAC);
    expect(at(g, 56, 2)).toEqual(at(f, 56, 2));
  });

  test('DHCP request: broadcast flag set, UDP checksum verifies, chaddr and client identifier stay the child\'s', () => {
    const f = dhcpRequest(C1);
    expect(udp4Ok(f)).toBe(true);
    const g = out(f);
    expect(g[52]).toBe(0x80);
    expect(udp4Ok(g)).toBe(true);
    expect(at(g, 70)).toEqual(C1);
    const opt61 = 42 + 240 + 3;
    expect([...g.slice(opt61, opt61 + 9)]).toEqual([61, 7, 1, ...C1]);
    expect(diff(f, g).every((i) => (i >= 6 && i < 12) || i === 52 || i === 40 || i === 41)).toBe(true);
  });

  test('DHCP request without a UDP checksum (0): stays 0; with NEEDS_CSUM: the partial sum is left', () => {
    const g = out(dhcpRequest(C1, true));
    expect(g[52]).toBe(0x80);
    expect(at(g, 40, 2)).toEqual([0, 0]);
    const f = dhcpRequest(C1);
    const h = out(f, 34, 6);
    expect(h[52]).toBe(0x80);
    expect(at(h, 40, 2)).toEqual(at(f, 40, 2));
  });

  test('a DHCP request already asking for broadcast, and a DHCP reply, are left as they are (bar the source MAC)', () => {
    const req = dhcpRequest(C1);
    req[52] = 0x80;
    const g = out(req);
    expect(diff(req, g).every((i) => i >= 6 && i < 12)).toBe(true);
  });

  test('truncated or malformed headers are not read past the frame', () => {
    for (const f of [dhcpRequest(C1).slice(0, 53), ndp(C1, OUT, ip6(0xfd00, [5]), ip6(0xfd00, [1]), 136, ip6(0xfd00, [5]), [[2, C1]]).slice(0, 70),
      arpRequest(C1, '198.18.0.5', '198.18.0.1').slice(0, 30)]) {
      const g = out(f);
      expect(at(g, 6)).toEqual(PMAC);
      expect(diff(f, g).every((i) => i >= 6 && i < 12)).toBe(true);
    }
  });
});

describe('in from the wire', () => {
  test('unicast IP to the parent\'s MAC: the destination becomes the child\'s, nothing else changes', () => {
    const f = udp4(OUT, PMAC, '198.18.0.1', '198.18.0.5', 7, 5000, [9]);
    const g = into(f);
    expect(at(g, 0)).toEqual(C1);
    expect(diff(f, g).every((i) => i < 6)).toBe(true);
  });

  test('ARP reply to the parent\'s MAC: destination and target hardware address become the child\'s', () => {
    const f = arpReply(PMAC, OUT, '198.18.0.1', PMAC, '198.18.0.5');
    const g = into(f);
    expect(at(g, 0)).toEqual(C1);
    expect(at(g, 32)).toEqual(C1);
    expect(at(g, 22)).toEqual(OUT);
  });

  test('NDP: an option naming the parent\'s MAC becomes the child\'s (checksum verifies); another host\'s stays', () => {
    const na = ndp(OUT, PMAC, ip6(0xfd00, [1]), ip6(0xfd00, [5]), 136, ip6(0xfd00, [1]), [[2, OUT]]);
    const g = into(na);
    expect(at(g, 0)).toEqual(C1);
    expect(at(g, 80)).toEqual(OUT);
    expect(icmp6Ok(g)).toBe(true);
    const redirectLike = ndp(OUT, PMAC, ip6(0xfd00, [1]), ip6(0xfd00, [5]), 135, ip6(0xfd00, [5]), [[1, PMAC]]);
    const h = into(redirectLike);
    expect(at(h, 80)).toEqual(C1);
    expect(icmp6Ok(h)).toBe(true);
  });

  test('a DHCP ACK is delivered as sent (the child reads its own chaddr)', () => {
    const f = dhcpAck(C1, '198.18.0.50', 120);
    const b = new Uint8Array(V + f.length);
    b.set(f, V);
    b.set(BC, V);
    natRewriteIn(table(), 1, b, V, f.length);
    expect(diff(f, b.slice(V)).every((i) => i < 6)).toBe(true);
  });
});
