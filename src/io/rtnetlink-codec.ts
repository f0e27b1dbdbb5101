// rtnetlink messages as bytes: build the few requests we send, parse link messages into typed events.
// Pure (no addon), so it is unit-tested without root. Layouts: linux/netlink.h, linux/rtnetlink.h, linux/if_link.h;
// all integers in host order (little-endian on the machines we run on).

export const NLMSG = { ERROR: 2, DONE: 3 } as const;
export const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19 } as const;
export const NLM_F = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, DUMP: 0x300 } as const;
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, OPERSTATE: 16, NET_NS_FD: 28, CARRIER: 33 } as const;
export const RTMGRP_LINK = 1;
/** ifi_flags bits (linux/if.h) */
export const IFF = { UP: 0x1, BROADCAST: 0x2, RUNNING: 0x40, PROMISC: 0x100, ALLMULTI: 0x200, MULTICAST: 0x1000, LOWER_UP: 0x10000 } as const;

const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;
const align4 = (n: number): number => (n + 3) & ~3;

/** A link as rtnetlink reports it: RTM_NEWLINK ('new': appeared or changed) or RTM_DELLINK ('del'). */
export interface LinkEvent {
  type: 'new' | 'del';
  ifindex: number;
  ifname: string;
  /** ifi_flags: IFF_UP, PROMISC, ALLMULTI, LOWER_UP, RUNNING, … */
  flags: number;
  /** 48-bit MAC, -1 when the message had no IFLA_ADDRESS (or not a 6-byte one) */
  mac: number;
  /** -1 when absent */
  mtu: number;
  /** IFLA_CARRIER: true / false, or null when absent */
  carrier: boolean | null;
  /** IFLA_OPERSTATE (IF_OPER_UP = 6, DOWN = 2, …), -1 when absent */
  operstate: number;
}

/** What a link change asks for; fields left out are not touched. */
export interface LinkChange {
  ifindex: number;
  mtu?: number;
  mac?: number;
  up?: boolean;
  /** move the link to the namespace open on this fd */
  netnsFd?: number;
}

/** A kernel answer to one of our requests: 0 (ACK), or a negative errno. */
export interface NlAck { seq: number; error: number }

class Writer {
  readonly buf: Uint8Array;
  readonly dv: DataView;
  off = 0;
  constructor(size: number) { this.buf = new Uint8Array(size); this.dv = new DataView(this.buf.buffer); }
  u8(v: number) { this.dv.setUint8(this.off, v); this.off += 1; }
  u16(v: number) { this.dv.setUint16(this.off, v, true); this.off += 2; }
  u32(v: number) { this.dv.setUint32(this.off, v >>> 0, true); this.off += 4; }
  i32(v: number) { this.dv.setInt32(this.off, v, true); this.off += 4; }
  attr(type: number, data: Uint8Array) {
    this.u16(4 + data.length); this.u16(type); this.buf.set(data, this.off); this.off = align4(this.off + data.length);
  }
}

function u32Bytes(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; }
function macBytes(mac: number): Uint8Array {
  const b = new Uint8Array(6);
  for (let i = 5, v = mac; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v % 256;
  return b;
}

function header(w: Writer, type: number, flags: number, seq: number): void {
  w.u32(0); w.u16(type); w.u16(flags); w.u32(seq); w.u32(0);
}
function ifinfo(w: Writer, ifindex: number, flags: number, change: number): void {
  w.u8(0); w.u8(0); w.u16(0); w.i32(ifindex); w.u32(flags); w.u32(change);
}
function finish(w: Writer): Uint8Array {
  w.dv.setUint32(0, w.off, true);
  return w.buf.slice(0, w.off);
}

/** RTM_GETLINK dump request: every link of the namespace, answered by NEWLINK messages then NLMSG_DONE. */
export function buildGetLinkDump(seq: number): Uint8Array {
  const w = new Writer(NLMSG_HDRLEN + IFINFOMSG_LEN);
  header(w, RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, seq);
  ifinfo(w, 0, 0, 0);
  return finish(w);
}

/** RTM_SETLINK with an ACK asked for: address, MTU, up/down, namespace. */
export function buildSetLink(seq: number, c: LinkChange): Uint8Array {
  const w = new Writer(128);
  header(w, RTM.SETLINK, NLM_F.REQUEST | NLM_F.ACK, seq);
  const change = c.up === undefined ? 0 : IFF.UP;
  ifinfo(w, c.ifindex, c.up ? IFF.UP : 0, change);
  if (c.mtu !== undefined) w.attr(IFLA.MTU, u32Bytes(c.mtu));
  if (c.mac !== undefined) w.attr(IFLA.ADDRESS, macBytes(c.mac));
  if (c.netnsFd !== undefined) w.attr(IFLA.NET_NS_FD, u32Bytes(c.netnsFd));
  return finish(w);
}

/** Walks the messages of one datagram: link events go to onLink, ACK/error answers to onAck, DONE to onDone. */
export function parseMessages(buf: Uint8Array, len: number, onLink: (e: LinkEvent, seq: number) => void,
  onAck?: (a: NlAck) => void, onDone?: (seq: number) => void): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.length));
  let off = 0;
  const end = dv.byteLength;
  while (off + NLMSG_HDRLEN <= end) {
    const mlen = dv.getUint32(off, true);
    if (mlen < NLMSG_HDRLEN || off + mlen > end) break;  // malformed or cut: stop, never read past it
    const type = dv.getUint16(off + 4, true);
    const seq = dv.getUint32(off + 8, true);
    if (type === NLMSG.ERROR) {
      if (onAck && mlen >= NLMSG_HDRLEN + 4) onAck({ seq, error: dv.getInt32(off + NLMSG_HDRLEN, true) });
    } else if (type === NLMSG.DONE) {
      onDone?.(seq);
    } else if ((type === RTM.NEWLINK || type === RTM.DELLINK) && mlen >= NLMSG_HDRLEN + IFINFOMSG_LEN) {
      onLink(parseLink(dv, off, mlen, type === RTM.NEWLINK ? 'new' : 'del'), seq);
    }
    off += align4(mlen);
  }
}

function parseLink(dv: DataView, off: number, mlen: number, type: 'new' | 'del'): LinkEvent {
  const b = off + NLMSG_HDRLEN;
  const ev: LinkEvent = {
    type, ifindex: dv.getInt32(b + 4, true), ifname: '', flags: dv.getUint32(b + 8, true),
    mac: -1, mtu: -1, carrier: null, operstate: -1,
  };
  let a = b + IFINFOMSG_LEN;
  const end = off + mlen;
  while (a + 4 <= end) {
    const alen = dv.getUint16(a, true);
    const atype = dv.getUint16(a + 2, true) & 0x3fff;  // without NLA_F_NESTED / NET_BYTEORDER
    if (alen < 4 || a + alen > end) break;
    const d = a + 4, dlen = alen - 4;
    switch (atype) {
      case IFLA.IFNAME: {
        let s = '';
        for (let i = 0; i < dlen; i++) { const c = dv.getUint8(d + i); if (c === 0) break; s += String.fromCharCode(c); }
        ev.ifname = s;
        break;
      }
      case IFLA.ADDRESS:
        if (dlen === 6) { let m = 0; for (let i = 0; i < 6; i++) m = m * 256 + dv.getUint8(d + i); ev.mac = m; }
        break;
      case IFLA.MTU: if (dlen >= 4) ev.mtu = dv.getUint32(d, true); break;
      case IFLA.OPERSTATE: if (dlen >= 1) ev.operstate = dv.getUint8(d); break;
      case IFLA.CARRIER: if (dlen >= 1) ev.carrier = dv.getUint8(d) !== 0; break;
    }
    a += align4(alen);
  }
  return ev;
}

// ---- VLAN uppers: IFLA_LINKINFO and where a link lives (linux/if_link.h, linux/net_namespace.h) ----

export const IFLA_VLAN = {
  LINKINFO: 18, LINK_NETNSID: 37, NEW_NETNSID: 45, NEW_IFINDEX: 49,
  /** inside IFLA_LINKINFO */
  INFO_KIND: 1, INFO_DATA: 2,
  /** inside IFLA_INFO_DATA of kind "vlan" */
  VLAN_ID: 1, VLAN_PROTOCOL: 5,
} as const;
export const RTM_NSID = { NEW: 88, DEL: 89 } as const;
/** RTNLGRP_NSID as an nl_groups bit: namespace ids appearing and going (a namespace's end among them) */
export const RTMGRP_NSID = 1 << (28 - 1);
const NETNSA_NSID = 1;

/** What a link message says about VLAN-upper-ness and namespaces; the rest of the link is parseMessages' business. */
export interface VlanLinkEvent {
  type: 'new' | 'del';
  ifindex: number;
  /** IFLA_LINK: the lower device's ifindex, -1 when absent */
  link: number;
  /** IFLA_LINK_NETNSID: the lower lives in that namespace (an id as seen from where the message was made); null: here */
  linkNetnsid: number | null;
  /** IFLA_NEW_NETNSID / IFLA_NEW_IFINDEX on a DELLINK: the link was moved there, not deleted */
  newNetnsid: number | null;
  newIfindex: number | null;
  /** kind "vlan": the tag it terminates (IFLA_VLAN_PROTOCOL is big-endian, IFLA_VLAN_ID host order) */
  vlan: { proto: number; vid: number } | null;
}

/** RTM_NEWNSID / RTM_DELNSID: a namespace id assigned or released (its namespace may be gone) */
export interface NsidEvent { type: 'new' | 'del'; nsid: number }

/** Calls fn(type, dataOffset, dataLength) for each attribute in [a, end), stopping at a malformed one. */
export function eachAttr(dv: DataView, a: number, end: number, fn: (type: number, d: number, dlen: number) => void): void {
  while (a + 4 <= end) {
    const alen = dv.getUint16(a, true);
    if (alen < 4 || a + alen > end) return;
    fn(dv.getUint16(a + 2, true) & 0x3fff, a + 4, alen - 4);
    a += align4(alen);
  }
}

function linkKindVlan(dv: DataView, d: number, end: number): { proto: number; vid: number } | null {
  let kind = '';
  let data = -1, dataEnd = -1;
  eachAttr(dv, d, end, (t, o, n) => {
    if (t === IFLA_VLAN.INFO_KIND) {
      for (let i = 0; i < n; i++) { const c = dv.getUint8(o + i); if (c === 0) break; kind += String.fromCharCode(c); }
    } else if (t === IFLA_VLAN.INFO_DATA) { data = o; dataEnd = o + n; }
  });
  if (kind !== 'vlan' || data < 0) return null;
  let vid = -1;
  // The kernel always reports the protocol; 802.1Q is what a VLAN device without one means (vlan_newlink).
  let proto = 0x8100;
  eachAttr(dv, data, dataEnd, (t, o, n) => {
    if (t === IFLA_VLAN.VLAN_ID && n >= 2) vid = dv.getUint16(o, true) & 0x0fff;
    else if (t === IFLA_VLAN.VLAN_PROTOCOL && n >= 2) proto = dv.getUint16(o, false);
  });
  return vid < 0 ? null : { proto, vid };
}

/** Walks one datagram's link messages for VLAN uppers, and its namespace-id messages. */
export function parseVlanLinks(buf: Uint8Array, len: number, onLink: (e: VlanLinkEvent) => void,
  onNsid?: (e: NsidEvent) => void): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.length));
  const end = dv.byteLength;
  for (let off = 0; off + NLMSG_HDRLEN <= end;) {
    const mlen = dv.getUint32(off, true);
    if (mlen < NLMSG_HDRLEN || off + mlen > end) return;
    const type = dv.getUint16(off + 4, true);
    const b = off + NLMSG_HDRLEN;
    if ((type === RTM.NEWLINK || type === RTM.DELLINK) && mlen >= NLMSG_HDRLEN + IFINFOMSG_LEN) {
      const e: VlanLinkEvent = {
        type: type === RTM.NEWLINK ? 'new' : 'del', ifindex: dv.getInt32(b + 4, true), link: -1, linkNetnsid: null,
        newNetnsid: null, newIfindex: null, vlan: null,
      };
      eachAttr(dv, b + IFINFOMSG_LEN, off + mlen, (t, d, n) => {
        if (n < 4 && t !== IFLA_VLAN.LINKINFO) return;
        switch (t) {
          case IFLA.LINK: e.link = dv.getInt32(d, true); break;
          case IFLA_VLAN.LINK_NETNSID: e.linkNetnsid = dv.getInt32(d, true); break;
          case IFLA_VLAN.NEW_NETNSID: e.newNetnsid = dv.getInt32(d, true); break;
          case IFLA_VLAN.NEW_IFINDEX: e.newIfindex = dv.getInt32(d, true); break;
          case IFLA_VLAN.LINKINFO: e.vlan = linkKindVlan(dv, d, d + n); break;
        }
      });
      onLink(e);
    } else if ((type === RTM_NSID.NEW || type === RTM_NSID.DEL) && onNsid) {
      // struct rtgenmsg (1 byte, padded to 4), then NETNSA_* attributes
      let nsid: number | null = null;
      eachAttr(dv, b + 4, off + mlen, (t, d, n) => { if (t === NETNSA_NSID && n >= 4) nsid = dv.getInt32(d, true); });
      if (nsid !== null) onNsid({ type: type === RTM_NSID.NEW ? 'new' : 'del', nsid });
    }
    off += align4(mlen);
  }
}
