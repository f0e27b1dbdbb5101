// rtnetlink requests for an interface's addresses and host routes (RTM_NEWADDR/DELADDR, RTM_NEWROUTE/DELROUTE), as
// bytes. Pure (no addon): unit-tested without root. Layouts: linux/if_addr.h (ifaddrmsg), linux/rtnetlink.h (rtmsg);
// integers in host order (little-endian on the machines we run on), addresses in network order.

import { NLM_F } from './rtnetlink-codec.js';

export const RTM_ADDR = { NEWADDR: 20, DELADDR: 21, NEWROUTE: 24, DELROUTE: 25 } as const;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
export const AF = { INET: 2, INET6: 10 } as const;
const IFA_ADDRESS = 1, IFA_LOCAL = 2;
const RTA_DST = 1, RTA_OIF = 4;
const RT_TABLE_MAIN = 254;
/** RTPROT_STATIC: a route an administrator (here, the daemon) set, as `ip route add … proto static` marks it */
export const RTPROT_STATIC = 4;
const RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_NOWHERE = 255;
const RTN_UNICAST = 1;

/** An IP address as rtnetlink carries it: family and 4 or 16 bytes in network order. */
export interface IpBytes { family: number; bytes: Uint8Array }

/** Dotted-quad or IPv6 text (validated by the caller: node:net isIP) as bytes. */
export function ipBytes(text: string): IpBytes {
  if (!text.includes(':')) return { family: AF.INET, bytes: Uint8Array.from(text.split('.').map(Number)) };
  const bytes = new Uint8Array(16);
  let t = text;
  // An IPv4 tail (::ffff:198.18.0.1) becomes its two last groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const q = v4[2].split('.').map(Number);
    t = `${v4[1]}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, tail] = t.includes('::') ? t.split('::') : [t, null];
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? hs : [...hs, ...new Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  groups.forEach((g, i) => { const v = parseInt(g, 16); bytes[2 * i] = v >> 8; bytes[2 * i + 1] = v & 0xff; });
  return { family: AF.INET6, bytes };
}

class Msg {
  private readonly buf = new Uint8Array(128);
  private readonly dv = new DataView(this.buf.buffer);
  private off = 16;
  constructor(type: number, flags: number, seq: number) {
    this.dv.setUint16(4, type, true); this.dv.setUint16(6, flags, true); this.dv.setUint32(8, seq, true);
  }
  u8(...v: number[]): this { for (const x of v) this.dv.setUint8(this.off++, x); return this; }
  u32(v: number): this { this.dv.setUint32(this.off, v >>> 0, true); this.off += 4; return this; }
  attr(type: number, data: Uint8Array): this {
    this.dv.setUint16(this.off, 4 + data.length, true); this.dv.setUint16(this.off + 2, type, true);
    this.buf.set(data, this.off + 4);
    this.off = (this.off + 4 + data.length + 3) & ~3;
    return this;
  }
  done(): Uint8Array { this.dv.setUint32(0, this.off, true); return this.buf.slice(0, this.off); }
}

const u32le = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };

/** `ip addr add|del ADDR/PREFIX dev IFINDEX`: with an ACK; an add of an address already there answers EEXIST. */
export function buildAddr(seq: number, add: boolean, ifindex: number, addr: string, prefix: number): Uint8Array {
  const a = ipBytes(addr);
  const m = new Msg(add ? RTM_ADDR.NEWADDR : RTM_ADDR.DELADDR, NLM_F.REQUEST | NLM_F.ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
  // struct ifaddrmsg: family, prefixlen, flags, scope, index
  m.u8(a.family, prefix, 0, RT_SCOPE_UNIVERSE).u32(ifindex);
  return m.attr(IFA_LOCAL, a.bytes).attr(IFA_ADDRESS, a.bytes).done();
}

/**
 * `ip route add|del ADDR/32 (or /128) dev IFINDEX proto static` in the main table: a host route out of one device,
 * no gateway. An add of a route already there answers EEXIST; a delete matches our protocol only, so a route of the
 * same destination someone else set is left alone (ESRCH).
 */
export function buildHostRoute(seq: number, add: boolean, ifindex: number, addr: string): Uint8Array {
  const a = ipBytes(addr);
  const m = new Msg(add ? RTM_ADDR.NEWROUTE : RTM_ADDR.DELROUTE, NLM_F.REQUEST | NLM_F.ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
  const v4 = a.family === AF.INET;
  // A delete names no scope (RT_SCOPE_NOWHERE matches any), as ip(8) does.
  const scope = !add ? RT_SCOPE_NOWHERE : v4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
  m.u8(a.family, a.bytes.length * 8, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, scope, RTN_UNICAST).u32(0);
  return m.attr(RTA_DST, a.bytes).attr(RTA_OIF, u32le(ifindex)).done();
}
