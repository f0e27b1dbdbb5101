// The bytes test/support/macvlan-netlink.ts sends to the kernel and the answers it reads, checked without root:
// the request nests IFLA_LINKINFO → kind "macvlan" + IFLA_INFO_DATA → IFLA_MACVLAN_BC_CUTOFF (s32), and an answer is
// read for its own sequence number only, a missing cutoff meaning the kernel's default 1.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BC_CUTOFF, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MACVLAN, buildGetLink, buildSetBcCutoff, parseAnswer,
} from '../../support/macvlan-netlink.js';

const le16 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff];
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const attr = (type: number, data: number[]): number[] => {
  const a = [...le16(4 + data.length), ...le16(type), ...data];
  while (a.length % 4) a.push(0);
  return a;
};
function linkMessage(seq: number, attrs: number[]): Uint8Array {
  const body = [...new Array<number>(16).fill(0), ...attrs];
  return Uint8Array.from([...le32(16 + body.length), ...le16(16), ...le16(2), ...le32(seq), ...le32(0), ...body]);
}
const kind = (s: string): number[] => [...new TextEncoder().encode(s), 0];

describe('test support: the kernel macvlan\'s broadcast knobs over rtnetlink', () => {
  it('bclim request: RTM_NEWLINK with an ACK, ifindex, linkinfo "macvlan" {BC_CUTOFF as s32}', () => {
    const b = buildSetBcCutoff(7, 42, -5);
    const dv = new DataView(b.buffer);
    expect([dv.getUint32(0, true), dv.getUint16(4, true), dv.getUint16(6, true), dv.getUint32(8, true), dv.getInt32(20, true)])
      .toEqual([b.length, 16, 0x5, 7, 42]);
    const want = attr(IFLA_LINKINFO | 0x8000, [...attr(IFLA_INFO_KIND, kind('macvlan')),
      ...attr(IFLA_INFO_DATA | 0x8000, attr(IFLA_MACVLAN.BC_CUTOFF, le32(-5 >>> 0)))]);
    expect(Array.from(b.subarray(32))).toEqual(want);
    expect(Array.from(buildSetBcCutoff(1, 1, -(2 ** 31)).subarray(b.length - 4))).toEqual(le32(2 ** 31));
  });

  it('refuses what is not an s32', () => {
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN]) expect(() => buildSetBcCutoff(1, 1, bad)).toThrow(RangeError);
  });

  it('GETLINK for one ifindex: header and ifinfomsg only', () => {
    const b = buildGetLink(3, 9);
    expect(b.length).toBe(32);
    expect(new DataView(b.buffer).getUint16(4, true)).toBe(18);
    expect(new DataView(b.buffer).getInt32(20, true)).toBe(9);
  });

  it('reads the knobs of its own answer; no cutoff reported means 1', () => {
    const data = (cut?: number): number[] => attr(IFLA_LINKINFO, [...attr(IFLA_INFO_KIND, kind('macvlan')), ...attr(IFLA_INFO_DATA, [
      ...attr(IFLA_MACVLAN.BC_QUEUE_LEN, le32(0)), ...attr(IFLA_MACVLAN.BC_QUEUE_LEN_USED, le32(4294967295)),
      ...(cut === undefined ? [] : attr(IFLA_MACVLAN.BC_CUTOFF, le32(cut >>> 0)))])]);
    const m = linkMessage(5, [...attr(3, kind('umk1a1')), ...data(-2147483648)]);
    expect(parseAnswer(m, m.length, 5)).toEqual({ knobs: { bcQueueLen: 0, bcQueueLenUsed: 4294967295, bcCutoff: -2147483648 } });
    const d = linkMessage(5, data());
    expect(parseAnswer(d, d.length, 5)).toEqual({ knobs: { bcQueueLen: 0, bcQueueLenUsed: 4294967295, bcCutoff: DEFAULT_BC_CUTOFF } });
    expect(parseAnswer(m, m.length, 6)).toBeNull();  // another request's answer
  });

  it('a link that is not a macvlan has no knobs; an error answer is its errno; a cut datagram is nothing', () => {
    const veth = linkMessage(1, attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, kind('veth'))));
    expect(parseAnswer(veth, veth.length, 1)).toEqual({ knobs: null });
    const err = Uint8Array.from([...le32(36), ...le16(2), ...le16(0), ...le32(4), ...le32(0), ...le32(-19 >>> 0), ...new Array<number>(16).fill(0)]);
    expect(parseAnswer(err, err.length, 4)).toEqual({ ack: -19 });
    expect(parseAnswer(veth, veth.length - 8, 1)).toBeNull();
  });
});
