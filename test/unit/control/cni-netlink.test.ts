// The rtnetlink messages a CNI attachment sends into the container's namespace (io/rtnl-addr-codec.ts): each request
// read back by the answer parser (a dump answers with the same message types), the ACK and error read, and what does
// not answer our sequence number ignored.
import { describe, expect, test } from 'vitest';
import { AF, buildDump, buildNewAddr, buildNewRoute, parseAnswer, RTM_ADDR, type Parsed } from '../../../src/io/rtnl-addr-codec.js';
import { prefixOf, ipBytes } from '../../../src/control/netns-config.js';

const fresh = (): Parsed => ({ addrs: [], routes: [], error: null, done: false });

describe('rtnetlink for addresses and routes', () => {
  test('RTM_NEWADDR: family, prefix, link and address as sent', () => {
    const p = prefixOf('198.18.6.2/24')!;
    const msg = buildNewAddr(7, 5, p);
    const dv = new DataView(msg.buffer);
    expect([dv.getUint32(0, true), dv.getUint16(4, true), dv.getUint16(6, true) & 0x605]).toEqual([msg.length, 20, 0x605]);
    const out = fresh();
    parseAnswer(msg, msg.length, 7, out);
    expect(out.addrs).toEqual([{ ifindex: 5, prefix: { family: AF.INET, addr: p.addr, len: 24 } }]);
    const other = fresh();
    parseAnswer(msg, msg.length, 8, other);
    expect(other.addrs).toEqual([]);
  });

  test('RTM_NEWROUTE: a default route through a gateway, and a link route without one', () => {
    const gw = ipBytes('198.18.6.1')!;
    const out = fresh();
    const a = buildNewRoute(3, 9, prefixOf('0.0.0.0/0')!, gw);
    const b = buildNewRoute(3, 9, prefixOf('fd00::/64')!, null);
    const both = new Uint8Array(a.length + b.length);
    both.set(a); both.set(b, a.length);
    parseAnswer(both, both.length, 3, out);
    expect(out.routes.map((r) => [r.dst.len, r.gw, r.oif, r.table])).toEqual([[0, gw, 9, 254], [64, null, 9, 254]]);
    expect(out.routes[1].dst.addr).toEqual(ipBytes('fd00::')!);
  });

  test('the ACK, an error, the end of a dump; a truncated message stops the walk', () => {
    const ack = (seq: number, err: number): Uint8Array => {
      const m = new Uint8Array(36);
      const dv = new DataView(m.buffer);
      dv.setUint32(0, 36, true); dv.setUint16(4, 2, true); dv.setUint32(8, seq, true); dv.setInt32(16, err, true);
      return m;
    };
    const ok = fresh();
    parseAnswer(ack(4, 0), 36, 4, ok);
    expect([ok.error, ok.done]).toEqual([0, true]);
    const bad = fresh();
    parseAnswer(ack(4, -17), 36, 4, bad);
    expect(bad.error).toBe(-17);
    const cut = fresh();
    parseAnswer(ack(4, -17), 20, 4, cut);
    expect(cut.done).toBe(false);
    const dump = buildDump(5, RTM_ADDR.GET);
    expect(new DataView(dump.buffer).getUint16(6, true) & 0x300).toBe(0x300);
  });
});
