// rtnl-addr-codec.ts — rtnetlink messages for addresses and routes (RTM_NEWADDR, RTM_NEWROUTE, their dumps), as a CNI
// attachment configures and checks them inside a container's namespace. Pure bytes: no I/O.

import { eachAttr } from './rtnetlink-codec.js';

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
export const RTM_ADDR = { NEW: 20, GET: 22 } as const;
export const RTM_ROUTE = { NEW: 24, GET: 26 } as const;
const F = { REQUEST: 0x1, ACK: 0x4, EXCL: 0x200, CREATE: 0x400, DUMP: 0x300 } as const;
const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
const RTA = { DST: 1, OIF: 4, GATEWAY: 5, TABLE: 15 } as const;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE = { UNIVERSE: 0, LINK: 253 } as const;
const RTN_UNICAST = 1;
export const AF = { INET: 2, INET6: 10 } as const;

/** An address or a route destination as bytes: 4 (IPv4) or 16 (IPv6) */
export interface IpPrefix { family: number; addr: Uint8Array; len: number }
export interface AddrEntry { ifindex: number; prefix: IpPrefix }
export interface RouteEntry { dst: IpPrefix; gw: Uint8Array | null; oif: number; table: number }

const align4 = (n: number): number => (n + 3) & ~3;

class Writer {
  readonly buf = new Uint8Array(256);
  readonly dv = new DataView(this.buf.buffer);
  off = 0;
  u8(v: number): void { this.dv.setUint8(this.off, v); this.off += 1; }
  u16(v: number): void { this.dv.setUint16(this.off, v, true); this.off += 2; }
  u32(v: number): void { this.dv.setUint32(this.off, v >>> 0, true); this.off += 4; }
  attr(type: number, data: Uint8Array): void { this.u16(4 + data.length); this.u16(type); this.buf.set(data, this.off); this.off = align4(this.off + data.length); }
  header(type: number, flags: number, seq: number): void { this.u32(0); this.u16(type); this.u16(flags); this.u32(seq); this.u32(0); }
  done(): Uint8Array { this.dv.setUint32(0, this.off, true); return this.buf.slice(0, this.off); }
}

function u32Bytes(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; }

/** RTM_NEWADDR (create, exclusive, ACK asked): `prefix` on the link `ifindex` */
export function buildNewAddr(seq: number, ifindex: number, p: IpPrefix): Uint8Array {
  const w = new Writer();
  w.header(RTM_ADDR.NEW, F.REQUEST | F.ACK | F.CREATE | F.EXCL, seq);
  w.u8(p.family); w.u8(p.len); w.u8(0); w.u8(RT_SCOPE.UNIVERSE); w.u32(ifindex);
  w.attr(IFA.LOCAL, p.addr);
  w.attr(IFA.ADDRESS, p.addr);
  return w.done();
}

/** RTM_NEWROUTE in the main table through the link `oif`; a gateway makes it universe scope, none a link route */
export function buildNewRoute(seq: number, oif: number, dst: IpPrefix, gw: Uint8Array | null): Uint8Array {
  const w = new Writer();
  w.header(RTM_ROUTE.NEW, F.REQUEST | F.ACK | F.CREATE | F.EXCL, seq);
  w.u8(dst.family); w.u8(dst.len); w.u8(0); w.u8(0);
  w.u8(RT_TABLE_MAIN); w.u8(RTPROT_BOOT); w.u8(gw ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK); w.u8(RTN_UNICAST); w.u32(0);
  if (dst.len > 0) w.attr(RTA.DST, dst.addr);
  if (gw) w.attr(RTA.GATEWAY, gw);
  w.attr(RTA.OIF, u32Bytes(oif));
  return w.done();
}

// ---- the host port's addresses and host routes (control/host-port.ts), set and removed in the daemon's namespace ----

const RTM_DEL = { ADDR: 21, ROUTE: 25 } as const;
/** RTPROT_STATIC: a route an administrator (here, the daemon) set, as `ip route add … proto static` marks it */
export const RTPROT_STATIC = 4;
const RT_SCOPE_NOWHERE = 255;

/** An address's 4 or 16 bytes (read from text by wire/ip-address.ts, the caller's) as a prefix of length `len`
 *  (default: a host's); the family follows from the length */
export function ipPrefix(addr: ArrayLike<number>, len?: number): IpPrefix {
  return { family: addr.length === 4 ? AF.INET : AF.INET6, addr: Uint8Array.from(addr), len: len ?? addr.length * 8 };
}

/** RTM_DELADDR (ACK asked): `prefix` off the link `ifindex`; EADDRNOTAVAIL when it is not there */
export function buildDelAddr(seq: number, ifindex: number, p: IpPrefix): Uint8Array {
  const w = new Writer();
  w.header(RTM_DEL.ADDR, F.REQUEST | F.ACK, seq);
  w.u8(p.family); w.u8(p.len); w.u8(0); w.u8(RT_SCOPE.UNIVERSE); w.u32(ifindex);
  w.attr(IFA.LOCAL, p.addr);
  w.attr(IFA.ADDRESS, p.addr);
  return w.done();
}

/**
 * `ip route add|del ADDR/32 (/128) dev OIF proto static` in the main table: a host route out of one device, no
 * gateway. An add of one already there answers EEXIST; a delete names our protocol and no scope, so it matches only
 * a route the daemon set (ESRCH otherwise).
 */
export function buildHostRoute(seq: number, add: boolean, oif: number, dst: IpPrefix): Uint8Array {
  const w = new Writer();
  w.header(add ? RTM_ROUTE.NEW : RTM_DEL.ROUTE, F.REQUEST | F.ACK | (add ? F.CREATE | F.EXCL : 0), seq);
  const scope = !add ? RT_SCOPE_NOWHERE : dst.family === AF.INET ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE;
  w.u8(dst.family); w.u8(dst.addr.length * 8); w.u8(0); w.u8(0);
  w.u8(RT_TABLE_MAIN); w.u8(RTPROT_STATIC); w.u8(scope); w.u8(RTN_UNICAST); w.u32(0);
  w.attr(RTA.DST, dst.addr);
  w.attr(RTA.OIF, u32Bytes(oif));
  return w.done();
}

/** A dump request of addresses (RTM_GETADDR) or routes (RTM_GETROUTE) of every family */
export function buildDump(seq: number, type: number): Uint8Array {
  const w = new Writer();
  w.header(type, F.REQUEST | F.DUMP, seq);
  if (type === RTM_ADDR.GET) { w.u8(0); w.u8(0); w.u8(0); w.u8(0); w.u32(0); } else { for (let i = 0; i < 8; i++) w.u8(0); w.u32(0); }
  return w.done();
}

export interface Parsed { addrs: AddrEntry[]; routes: RouteEntry[]; error: number | null; done: boolean }

/** The messages of one datagram that answer `seq`: addresses, routes, the error/ACK, the end of a dump. */
export function parseAnswer(buf: Uint8Array, len: number, seq: number, into: Parsed): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, len);
  for (let off = 0; off + NLMSG_HDRLEN <= len;) {
    const mlen = dv.getUint32(off, true);
    if (mlen < NLMSG_HDRLEN || off + mlen > len) return;
    const type = dv.getUint16(off + 4, true);
    const mine = dv.getUint32(off + 8, true) === seq;
    const body = off + NLMSG_HDRLEN, end = off + mlen;
    if (mine && type === NLMSG_ERROR && mlen >= NLMSG_HDRLEN + 4) { into.error = dv.getInt32(body, true); into.done = true; }
    else if (mine && type === NLMSG_DONE) into.done = true;
    else if (mine && type === RTM_ADDR.NEW && end - body >= 8) {
      const family = dv.getUint8(body), plen = dv.getUint8(body + 1), ifindex = dv.getUint32(body + 4, true);
      let local: Uint8Array | null = null, address: Uint8Array | null = null;
      eachAttr(dv, body + 8, end, (t, d, n) => {
        if (t === IFA.LOCAL) local = buf.slice(d, d + n);
        if (t === IFA.ADDRESS) address = buf.slice(d, d + n);
      });
      const a = local ?? address;
      if (a) into.addrs.push({ ifindex, prefix: { family, addr: a, len: plen } });
    } else if (mine && type === RTM_ROUTE.NEW && end - body >= 12) {
      const family = dv.getUint8(body), dlen = dv.getUint8(body + 1);
      let table = dv.getUint8(body + 4), oif = 0;
      let dst: Uint8Array = new Uint8Array(family === AF.INET6 ? 16 : 4), gw: Uint8Array | null = null;
      eachAttr(dv, body + 12, end, (t, d, n) => {
        if (t === RTA.DST) dst = buf.slice(d, d + n);
        if (t === RTA.GATEWAY) gw = buf.slice(d, d + n);
        if (t === RTA.OIF && n >= 4) oif = dv.getUint32(d, true);
        if (t === RTA.TABLE && n >= 4) table = dv.getUint32(d, true);
      });
      into.routes.push({ dst: { family, addr: dst, len: dlen }, gw, oif, table });
    }
    off += align4(mlen);
  }
}
