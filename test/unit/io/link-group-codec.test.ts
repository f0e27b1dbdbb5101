// The group delete's messages as bytes (io/link-group-codec.ts), against the uapi layout: nlmsghdr, ifinfomsg,
// IFLA_GROUP (27, u32) — and a dump's link messages read for their name, group and kind.
import { describe, expect, test } from 'vitest';
import { IFLA_GROUP, buildDelGroup, buildSetGroups, freeGroup, parseGroupLinks, type GroupLink } from '../../../src/io/link-group-codec.js';
import { IFLA, IFLA_VLAN, NLM_F, RTM } from '../../../src/io/rtnetlink-codec.js';

const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const pad = (b: number[]): number[] => { const o = [...b]; while (o.length % 4) o.push(0); return o; };
const attr = (type: number, data: number[], nested = false): number[] =>
  pad([...le16(4 + data.length), ...le16(type | (nested ? 0x8000 : 0)), ...data]);
const str = (s: string): number[] => [...Array.from(s, (c) => c.charCodeAt(0)), 0];

function linkMsg(seq: number, ifindex: number, attrs: number[][]): number[] {
  const body = [0, 0, ...le16(1), ...le32(ifindex), ...le32(0x1043), ...le32(0), ...attrs.flat()];
  return [...le32(16 + body.length), ...le16(RTM.NEWLINK), ...le16(NLM_F.MULTI), ...le32(seq), ...le32(0), ...body];
}
const kind = (k: string): number[] => attr(IFLA_VLAN.LINKINFO, attr(IFLA_VLAN.INFO_KIND, str(k)), true);

/** One 40-byte message: header, ifinfomsg, IFLA_GROUP */
function expectGroupMsg(b: Uint8Array, off: number, type: number, seq: number, ifindex: number, group: number): void {
  const dv = new DataView(b.buffer, b.byteOffset + off, 40);
  expect(dv.getUint32(0, true)).toBe(40);
  expect(dv.getUint16(4, true)).toBe(type);
  expect(dv.getUint16(6, true)).toBe(NLM_F.REQUEST | NLM_F.ACK);
  expect(dv.getUint32(8, true)).toBe(seq);
  expect(dv.getUint8(16)).toBe(0);  // AF_UNSPEC
  expect(dv.getInt32(20, true)).toBe(ifindex);
  expect(dv.getUint32(24, true)).toBe(0);  // ifi_flags
  expect(dv.getUint32(28, true)).toBe(0);  // ifi_change: no flag is touched
  expect(dv.getUint16(32, true)).toBe(8);
  expect(dv.getUint16(34, true)).toBe(IFLA_GROUP);
  expect(dv.getUint32(36, true)).toBe(group);
}

describe('group delete messages', () => {
  test('IFLA_GROUP is 27', () => { expect(IFLA_GROUP).toBe(27); });

  test('setGroups: one RTM_SETLINK per link in one datagram, seqs in a row, the group as a u32', () => {
    const b = buildSetGroups(100, [7, 9, 4096], 0xdeadbeef);
    expect(b.length).toBe(120);
    expectGroupMsg(b, 0, RTM.SETLINK, 100, 7, 0xdeadbeef);
    expectGroupMsg(b, 40, RTM.SETLINK, 101, 9, 0xdeadbeef);
    expectGroupMsg(b, 80, RTM.SETLINK, 102, 4096, 0xdeadbeef);
  });

  test('delGroup: RTM_DELLINK with ifindex 0 (no link named), the group only', () => {
    const b = buildDelGroup(5, 0x80000001);
    expect(b.length).toBe(40);
    expectGroupMsg(b, 0, RTM.DELLINK, 5, 0, 0x80000001);
  });
});

describe('a dump read for name, group and kind', () => {
  test('a TAP in a group, a veth without one, lo without a kind', () => {
    const b = Uint8Array.from([
      ...linkMsg(3, 12, [attr(IFLA.IFNAME, str('umgx0')), attr(IFLA_GROUP, le32(0x90000000)), kind('tun')]),
      ...linkMsg(3, 13, [attr(IFLA.IFNAME, str('umgv')), attr(IFLA_GROUP, le32(0)), kind('veth')]),
      ...linkMsg(3, 1, [attr(IFLA.IFNAME, str('lo')), attr(IFLA_GROUP, le32(0))]),
    ]);
    const out: Array<[GroupLink, number]> = [];
    parseGroupLinks(b, b.length, (l, s) => out.push([l, s]));
    expect(out).toEqual([
      [{ ifindex: 12, ifname: 'umgx0', group: 0x90000000, kind: 'tun' }, 3],
      [{ ifindex: 13, ifname: 'umgv', group: 0, kind: 'veth' }, 3],
      [{ ifindex: 1, ifname: 'lo', group: 0, kind: '' }, 3],
    ]);
  });

  test('a message cut short ends the walk: nothing is read past it', () => {
    const whole = linkMsg(1, 12, [attr(IFLA.IFNAME, str('umgx0')), attr(IFLA_GROUP, le32(5))]);
    const b = Uint8Array.from([...whole, ...whole.slice(0, 30)]);
    const out: GroupLink[] = [];
    parseGroupLinks(b, b.length, (l) => out.push(l));
    expect(out).toEqual([{ ifindex: 12, ifname: 'umgx0', group: 5, kind: '' }]);
  });
});

describe('freeGroup', () => {
  test('a draw in the upper half of the u32 range, never 0, drawn again while taken', () => {
    const draws = [0x1234, 0x80001234, 0x5];
    const g = freeGroup(new Set([0, 0x80001234]), () => draws.shift()!);
    // 0x1234 | 2^31 is taken, and so is the second draw: the third is free
    expect(freeGroup(new Set([0]), () => 0)).toBe(0x80000000);
    expect(g).toBe(0x80000005);
  });

  test('a draw that keeps hitting taken groups ends with the first free one from 2^31 up', () => {
    const used = new Set([0x80000000, 0x80000001, 0x80000002]);
    expect(freeGroup(used, () => 1)).toBe(0x80000003);
  });
});
