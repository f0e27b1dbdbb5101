// The MAC-NAT steps of decide() (core/nat-decide.ts) and its address table (core/nat-table.ts, nat-address.ts):
// who gets a frame sent to the parent's MAC, what a child may send from, what the worker is told to post, and that
// with --mac-nat off the verdicts are the kernel's as before.

import { describe, expect, test } from 'vitest';
import { PortTable } from '../../../src/core/port-table.js';
import { Drop, Egress, Learn, Mode, PARENT } from '../../../src/core/constants.js';
import { decide } from '../../../src/core/decide.js';
import { Verdict } from '../../../src/core/verdict.js';
import { explain } from '../../../src/core/trace.js';
import { checkAdd } from '../../../src/core/rules.js';
import { NatTable, NAT_MAX_ADDRESSES } from '../../../src/core/nat-table.js';
import { addrText, addrWords } from '../../../src/core/nat-address.js';
import { eth } from '../../support/packets.js';
import {
  BC, C1, C2, OUT, PMAC, arpReply, arpRequest, dhcpAck, ip6, macNum, ndp, udp4,
} from './nat-frames.js';

function table(nat = true): PortTable {
  const t = new PortTable(4);
  t.setParent({ mac: macNum(PMAC), mtu: 1500, up: true, carrier: true, promisc: true });
  t.addChild(1, { mac: macNum(C1), mode: Mode.BRIDGE, flags: 0, mtu: 1500 });
  t.addChild(2, { mac: macNum(C2), mode: Mode.VEPA, flags: 0, mtu: 1500 });
  t.setUp(1, true);
  t.setUp(2, true);
  t.setMacNat(nat);
  const own = (a: string, c: number): void => { const w = addrWords(a)!; t.natSet(w[0], w[1], w[2], w[3], c); };
  own('198.18.0.5', 1);
  own('fd00::5', 2);
  return t;
}

function run(t: PortTable, from: number, f: Uint8Array): Verdict {
  const v = new Verdict(Verdict.capacityFor(t.maxChildren));
  decide(t, from, f, 0, f.length, false, v);
  return v;
}
const rows = (v: Verdict): Array<[number, number]> => Array.from({ length: v.n }, (_, i) => [v.port[i], v.kind[i]]);

describe('from the wire, to the parent\'s MAC', () => {
  test('IPv4 to a child\'s address: to that child, to be rewritten, not the parent stack\'s', () => {
    const v = run(table(), PARENT, udp4(OUT, PMAC, '198.18.0.1', '198.18.0.5', 7, 7, []));
    expect(rows(v)).toEqual([[1, Egress.UNICAST]]);
    expect([v.natIn, v.toHost, v.reason, v.natUnowned]).toEqual([true, false, Drop.NONE, false]);
  });

  test('IPv6 (an NDP solicitation unicast to the parent\'s MAC) to a child\'s address: to that child', () => {
    const f = ndp(OUT, PMAC, ip6(0xfd00, [1]), ip6(0xfd00, [5]), 135, ip6(0xfd00, [5]), [[1, OUT]]);
    const v = run(table(), PARENT, f);
    expect(rows(v)).toEqual([[2, Egress.UNICAST]]);
    expect(v.natIn).toBe(true);
  });

  test('an ARP reply for a child\'s address: to that child', () => {
    const v = run(table(), PARENT, arpReply(PMAC, OUT, '198.18.0.1', PMAC, '198.18.0.5'));
    expect(rows(v)).toEqual([[1, Egress.UNICAST]]);
  });

  test('an address nobody owns, and non-IP unicast (never a child\'s): the parent stack\'s, counted nat_unowned', () => {
    for (const f of [udp4(OUT, PMAC, '198.18.0.1', '198.18.0.9', 7, 7, []), eth(PMAC, OUT, 0x88b5, new Array(46).fill(0))]) {
      const v = run(table(), PARENT, f);
      expect(rows(v)).toEqual([]);
      expect([v.natIn, v.toHost, v.reason, v.natUnowned]).toEqual([false, true, Drop.NO_DESTINATION, true]);
    }
    expect(explain(table(), PARENT, eth(PMAC, OUT, 0x88b5, new Array(46).fill(0))).rule).toMatch(/never a child's \(nat_unowned\)/);
  });

  test('the owner is down: the parent stack\'s', () => {
    const t = table();
    t.setUp(1, false);
    const v = run(t, PARENT, udp4(OUT, PMAC, '198.18.0.1', '198.18.0.5', 7, 7, []));
    expect([v.n, v.natUnowned, v.toHost]).toEqual([0, true, true]);
  });

  test('unicast to a child\'s own MAC, and broadcast, follow macvlan\'s rules as before', () => {
    const u = run(table(), PARENT, udp4(OUT, C2, '198.18.0.1', '198.18.0.5', 7, 7, []));
    expect(rows(u)).toEqual([[2, Egress.UNICAST]]);
    expect(u.natIn).toBe(false);
    const b = run(table(), PARENT, arpRequest(OUT, '198.18.0.1', '198.18.0.5'));
    expect(rows(b).map((r) => r[0])).toEqual([1, 2]);
    expect(b.natIn).toBe(false);
  });

  test('a DHCP ACK for a child\'s chaddr: the worker is told the address is that child\'s for the lease', () => {
    const f = dhcpAck(C2, '198.18.0.50', 3600);
    const v = run(table(), PARENT, f);
    expect([v.learnKind, v.learnSlot, v.learnLen, v.learnLease]).toEqual([Learn.LEASE, 2, 4, 3600]);
    expect([...f.slice(v.learnAt, v.learnAt + 4)]).toEqual([198, 18, 0, 50]);
    expect(rows(v).map((r) => r[0])).toEqual([1, 2]);  // broadcast: flooded as before
    const other = run(table(), PARENT, dhcpAck(OUT, '198.18.0.51', 60));
    expect(other.learnKind).toBe(Learn.NONE);
  });
});

describe('from a child', () => {
  test('its own address: forwarded, the owner still uses it (SEEN with its entry)', () => {
    const t = table();
    const v = run(t, 1, udp4(C1, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []));
    expect(rows(v)).toEqual([[PARENT, Egress.WIRE]]);
    expect([v.learnKind, v.learnSlot, v.learnEntry]).toEqual([Learn.SEEN, 1, t.nat.find(...addrWords('198.18.0.5')!)]);
  });

  test('an address nobody owns (IPv4, IPv6, ARP sender): forwarded, claimed', () => {
    const t = table();
    for (const f of [udp4(C1, OUT, '198.18.0.7', '198.18.0.1', 7, 7, []), arpRequest(C1, '198.18.0.7', '198.18.0.1'),
      ndp(C1, OUT, ip6(0xfd00, [7]), ip6(0xfd00, [1]), 136, ip6(0xfd00, [7]), [[2, C1]])]) {
      const v = run(t, 1, f);
      expect(rows(v)).toEqual([[PARENT, Egress.WIRE]]);
      expect([v.learnKind, v.learnSlot]).toEqual([Learn.CLAIM, 1]);
    }
  });

  test('another child\'s address: refused, nat_conflict (trace says whose)', () => {
    const t = table();
    const f = udp4(C2, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []);
    const v = run(t, 2, f);
    expect([v.n, v.reason, v.learnKind, v.learnSlot]).toEqual([0, Drop.NAT_CONFLICT, Learn.CONFLICT, 2]);
    expect(explain(t, 2, f).rule).toMatch(/child 1's, not the sender's: refused \(nat_conflict\)/);
  });

  test('no address yet (DHCP discover from 0.0.0.0, DAD from ::, ARP probe): nothing to claim', () => {
    const t = table();
    for (const f of [udp4(C1, BC, '0.0.0.0', '255.255.255.255', 68, 67, []), arpRequest(C1, '0.0.0.0', '198.18.0.7'),
      ndp(C1, BC, new Array(16).fill(0), ip6(0xff02, [1, 0xff, 0, 0, 7]), 135, ip6(0xfd00, [7]), [])]) {
      expect(run(t, 1, f).learnKind).toBe(Learn.NONE);
    }
  });
});

describe('--mac-nat off', () => {
  test('the same frames give the kernel\'s verdicts: no NAT delivery, no refusal, nothing to learn', () => {
    const t = table(false);
    const v = run(t, PARENT, udp4(OUT, PMAC, '198.18.0.1', '198.18.0.5', 7, 7, []));
    expect([v.n, v.reason, v.toHost, v.natIn]).toEqual([0, Drop.NO_DESTINATION, true, false]);
    const c = run(t, 2, udp4(C2, OUT, '198.18.0.5', '198.18.0.1', 7, 7, []));
    expect([rows(c), c.reason, c.learnKind]).toEqual([[[PARENT, Egress.WIRE]], Drop.NONE, Learn.NONE]);
  });
});

describe('rules', () => {
  test('a passthru child cannot be added while --mac-nat is on (EINVAL); it can without', () => {
    const t = new PortTable(4);
    t.setMacNat(true);
    expect(checkAdd(t, { mode: Mode.PASSTHRU })).toMatchObject({ code: 'UMV_ERR_NAT_PASSTHRU', errno: 'EINVAL' });
    expect(checkAdd(new PortTable(4), { mode: Mode.PASSTHRU })).toBeNull();
  });

  test('removing a child forgets its addresses; a snapshot carries the table and the switch', () => {
    const t = table();
    const copy = t.clone();
    expect([copy.natOn, copy.nat.count]).toEqual([true, 2]);
    t.removeChild(1);
    expect(t.nat.count).toBe(1);
    expect(t.nat.find(...addrWords('198.18.0.5')!)).toBe(-1);
  });
});

describe('the address table', () => {
  test('set, find, move, delete, with many colliding runs: every address still found after deletions', () => {
    const n = new NatTable();
    const w = (i: number): [number, number, number, number] => [0, 0, 0xffff, (198 << 24) | (18 << 16) | i];
    for (let i = 1; i <= 3000; i++) n.set(...w(i), 1 + (i % 3));
    for (let i = 1; i <= 3000; i += 2) n.delete(...w(i));
    expect(n.count).toBe(1500);
    for (let i = 1; i <= 3000; i++) expect(n.ownerOf(n.find(...w(i)))).toBe(i % 2 === 1 ? -1 : 1 + (i % 3));
    n.forgetSlot(2);
    for (let i = 2; i <= 3000; i += 2) expect(n.ownerOf(n.find(...w(i)))).toBe(1 + (i % 3) === 2 ? -1 : 1 + (i % 3));
    n.set(...w(4), 3);
    expect(n.ownerOf(n.find(...w(4)))).toBe(3);
  });

  test('full: a new address is not taken beyond NAT_MAX_ADDRESSES', () => {
    const n = new NatTable();
    for (let i = 0; i <= NAT_MAX_ADDRESSES; i++) n.set(1, 2, 3, i, 1);
    expect(n.count).toBe(NAT_MAX_ADDRESSES);
  });

  test('addresses as text: IPv4, IPv6 with and without ::, refusals', () => {
    for (const a of ['198.18.0.5', 'fd00::5', 'fe80::1:2:3:4', '::', 'fd00:1:2:3:4:5:6:7', '::1']) expect(addrText(addrWords(a)!)).toBe(a);
    for (const a of ['198.18.0.256', '01.2.3.4', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'x', '', '1::2::3']) expect(addrWords(a)).toBeNull();
  });
});

describe('IPv6 addresses derived from the hidden MAC', () => {
  test('SLAAC: an EUI-64 address from the child\'s MAC is claimed and sent from the parent\'s MAC, unchanged', async () => {
    const { natRewriteOut } = await import('../../../src/core/nat-rewrite.js');
    // fe80::aa:ff:fe00:b1 from 02:aa:00:00:00:b1 (the U/L bit flipped: 00aa:00ff:fe00:00b1)
    const eui = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0xaa, 0x00, 0xff, 0xfe, 0x00, 0x00, 0xb1];
    const f = ndp(C1, OUT, eui, ip6(0xfe80, [1]), 136, eui, []);
    const t = table();
    const v = run(t, 1, f);
    expect([v.learnKind, v.learnLen]).toEqual([Learn.CLAIM, 16]);
    const b = new Uint8Array(10 + f.length);
    b.set(f, 10);
    natRewriteOut(t, b, 10, f.length);
    expect([...b.slice(16, 22)]).toEqual(PMAC);
    expect([...b.slice(10 + 22, 10 + 38)]).toEqual(eui);
  });
});
