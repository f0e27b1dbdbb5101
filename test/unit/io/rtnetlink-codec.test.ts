// rtnetlink bytes: requests as the kernel expects them, link messages parsed into events, bad lengths never over-read.
import { describe, test, expect } from 'vitest';
import {
  buildGetLinkDump, buildSetLink, parseMessages, IFF, IFLA, RTM, NLM_F, type LinkEvent, type NlAck,
} from '../../../src/io/rtnetlink-codec.js';

/** A RTM_NEWLINK/DELLINK message built by hand, the way the kernel lays it out. */
function linkMsg(type: number, seq: number, ifindex: number, flags: number, attrs: Array<[number, number[]]>): number[] {
  const body: number[] = [];
  const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const le16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
  body.push(0, 0, ...le16(1), ...le32(ifindex), ...le32(flags), ...le32(0));
  for (const [t, d] of attrs) {
    body.push(...le16(4 + d.length), ...le16(t), ...d);
    while (body.length % 4) body.push(0);
  }
  return [...le32(16 + body.length), ...le16(type), ...le16(0), ...le32(seq), ...le32(0), ...body];
}
const str = (s: string) => [...Array.from(s, (c) => c.charCodeAt(0)), 0];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

describe('rtnetlink codec', () => {
  test('GETLINK dump request: header + ifinfomsg, DUMP flags', () => {
    const m = buildGetLinkDump(7);
    const dv = new DataView(m.buffer);
    expect(m.length).toBe(32);
    expect(dv.getUint32(0, true)).toBe(32);
    expect(dv.getUint16(4, true)).toBe(RTM.GETLINK);
    expect(dv.getUint16(6, true)).toBe(NLM_F.REQUEST | NLM_F.DUMP);
    expect(dv.getUint32(8, true)).toBe(7);
  });

  test('SETLINK: up flag with its change mask, MTU, MAC, namespace fd as attributes', () => {
    const m = buildSetLink(9, { ifindex: 12, up: true, mtu: 1400, mac: 0x02_aa_bb_cc_dd_ee, netnsFd: 33 });
    const dv = new DataView(m.buffer);
    expect(dv.getUint32(0, true)).toBe(m.length);
    expect(dv.getUint16(6, true)).toBe(NLM_F.REQUEST | NLM_F.ACK);
    expect(dv.getInt32(20, true)).toBe(12);
    expect(dv.getUint32(24, true)).toBe(IFF.UP);
    expect(dv.getUint32(28, true)).toBe(IFF.UP);
    const attrs = new Map<number, Uint8Array>();
    for (let a = 32; a < m.length;) {
      const len = dv.getUint16(a, true);
      attrs.set(dv.getUint16(a + 2, true), m.slice(a + 4, a + len));
      a += (len + 3) & ~3;
    }
    expect(Array.from(attrs.get(IFLA.MTU)!)).toEqual(u32(1400));
    expect(Array.from(attrs.get(IFLA.ADDRESS)!)).toEqual([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    expect(Array.from(attrs.get(IFLA.NET_NS_FD)!)).toEqual(u32(33));
    const down = new DataView(buildSetLink(1, { ifindex: 3, up: false }).buffer);
    expect([down.getUint32(24, true), down.getUint32(28, true)]).toEqual([0, IFF.UP]);
    const mtuOnly = new DataView(buildSetLink(1, { ifindex: 3, mtu: 9000 }).buffer);
    expect(mtuOnly.getUint32(28, true)).toBe(0);  // flags untouched
  });

  test('NEWLINK and DELLINK in one datagram become typed events; absent attributes are marked', () => {
    const flags = IFF.UP | IFF.RUNNING | IFF.LOWER_UP | IFF.PROMISC;
    const bytes = Uint8Array.from([
      ...linkMsg(RTM.NEWLINK, 0, 5, flags, [[IFLA.IFNAME, str('umv-c1')], [IFLA.MTU, u32(1500)],
        [IFLA.ADDRESS, [2, 0, 0, 0, 0, 1]], [IFLA.OPERSTATE, [6]], [IFLA.CARRIER, [1]]]),
      ...linkMsg(RTM.DELLINK, 0, 6, 0, [[IFLA.IFNAME, str('gone')]]),
    ]);
    const evs: LinkEvent[] = [];
    parseMessages(bytes, bytes.length, (e) => evs.push(e));
    expect(evs).toEqual([
      { type: 'new', ifindex: 5, ifname: 'umv-c1', flags, mac: 0x02_00_00_00_00_01, mtu: 1500, carrier: true, operstate: 6 },
      { type: 'del', ifindex: 6, ifname: 'gone', flags: 0, mac: -1, mtu: -1, carrier: null, operstate: -1 },
    ]);
  });

  test('ACK and error answers carry their sequence number and errno; DONE ends a dump', () => {
    const le32 = (v: number) => u32(v >>> 0);
    const err = (seq: number, e: number) => [...le32(36), 2, 0, 0, 0, ...le32(seq), ...le32(0), ...le32(e), ...new Array(16).fill(0)];
    const done = [...le32(20), 3, 0, 2, 0, ...le32(4), ...le32(0), 0, 0, 0, 0];
    const b = Uint8Array.from([...err(1, 0), ...err(2, -19), ...done]);
    const acks: NlAck[] = [];
    const dones: number[] = [];
    parseMessages(b, b.length, () => { throw new Error('no links here'); }, (a) => acks.push(a), (s) => dones.push(s));
    expect(acks).toEqual([{ seq: 1, error: 0 }, { seq: 2, error: -19 }]);
    expect(dones).toEqual([4]);
  });

  test('a message or attribute whose length runs past the data stops the walk instead of over-reading', () => {
    const good = linkMsg(RTM.NEWLINK, 0, 5, 0, [[IFLA.IFNAME, str('a')]]);
    const evs: LinkEvent[] = [];
    parseMessages(Uint8Array.from(good), good.length - 4, (e) => evs.push(e));  // cut datagram (MSG_TRUNC)
    expect(evs).toEqual([]);
    const badAttr = linkMsg(RTM.NEWLINK, 0, 8, 0, [[IFLA.MTU, u32(1500)]]);
    badAttr[32] = 200;  // attribute claims 200 bytes
    parseMessages(Uint8Array.from(badAttr), badAttr.length, (e) => evs.push(e));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ ifindex: 8, mtu: -1 });
    const zero = new Uint8Array(64);  // nlmsg_len 0 must not loop forever
    parseMessages(zero, zero.length, (e) => evs.push(e));
    expect(evs).toHaveLength(1);
  });
});
