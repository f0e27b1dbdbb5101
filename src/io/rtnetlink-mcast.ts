// IP-level multicast joins and leaves as rtnetlink announces them: RTM_NEWMULTICAST / RTM_DELMULTICAST on the groups
// RTNLGRP_IPV4_MCADDR and RTNLGRP_IPV6_MCADDR. The uapi headers of the machines we build on predate them, so the
// numbers are written here (linux/rtnetlink.h of Linux 6.13 and later). Pure: unit-tested without root.

/** rtnetlink message types */
export const RTM_MCAST = { NEW: 56, DEL: 57 } as const;
/** rtnetlink group numbers (not bits: join them with NETLINK_ADD_MEMBERSHIP, they do not fit nl_groups) */
export const RTNLGRP = { IPV4_MCADDR: 37, IPV6_MCADDR: 38 } as const;
/** ifaddrmsg attribute carrying the group address */
export const IFA_MULTICAST = 7;
const AF_INET = 2;
const AF_INET6 = 10;

const NLMSG_HDRLEN = 16;
const IFADDRMSG_LEN = 8;
const align4 = (n: number): number => (n + 3) & ~3;

/** One IP group joined (or left) on one interface, with the link-layer group it maps to. */
export interface McastEvent {
  join: boolean;
  ifindex: number;
  /** "4:" or "6:" and the address in hex: a key, not for display */
  key: string;
  /** the group's link-layer MAC (48 bits): 01:00:5e + low 23 bits (IPv4), 33:33 + low 32 bits (IPv6) */
  mac: number;
}

/** The MAC an IPv4 group maps to (RFC 1112 §6.4): 01:00:5e, then the address's low 23 bits. */
export function ipv4GroupMac(b: ArrayLike<number>): number {
  return 0x01005e * 2 ** 24 + (b[1] & 0x7f) * 65536 + b[2] * 256 + b[3];
}

/** The MAC an IPv6 group maps to (RFC 2464 §7): 33:33, then the address's low 32 bits. */
export function ipv6GroupMac(b: ArrayLike<number>): number {
  return 0x3333 * 2 ** 32 + ((b[12] << 24) >>> 0) + b[13] * 65536 + b[14] * 256 + b[15];
}

/** Walks one datagram; each RTM_NEWMULTICAST / RTM_DELMULTICAST with an IFA_MULTICAST of its family goes to `on`. */
export function parseMcastMessages(buf: Uint8Array, len: number, on: (e: McastEvent) => void): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.length));
  const end = dv.byteLength;
  let off = 0;
  while (off + NLMSG_HDRLEN <= end) {
    const mlen = dv.getUint32(off, true);
    if (mlen < NLMSG_HDRLEN || off + mlen > end) break;  // malformed or cut: never read past it
    const type = dv.getUint16(off + 4, true);
    if ((type === RTM_MCAST.NEW || type === RTM_MCAST.DEL) && mlen >= NLMSG_HDRLEN + IFADDRMSG_LEN) {
      const e = parseOne(buf, dv, off, mlen, type === RTM_MCAST.NEW);
      if (e) on(e);
    }
    off += align4(mlen);
  }
}

function parseOne(buf: Uint8Array, dv: DataView, off: number, mlen: number, join: boolean): McastEvent | null {
  const b = off + NLMSG_HDRLEN;
  const family = dv.getUint8(b);
  const ifindex = dv.getUint32(b + 4, true);
  const want = family === AF_INET ? 4 : family === AF_INET6 ? 16 : 0;
  if (want === 0) return null;
  const end = off + mlen;
  let a = b + IFADDRMSG_LEN;
  while (a + 4 <= end) {
    const alen = dv.getUint16(a, true);
    const atype = dv.getUint16(a + 2, true) & 0x3fff;
    if (alen < 4 || a + alen > end) break;
    if (atype === IFA_MULTICAST && alen - 4 === want) {
      const addr = buf.subarray(a + 4, a + 4 + want);
      let hex = '';
      for (let i = 0; i < want; i++) hex += addr[i].toString(16).padStart(2, '0');
      const mac = want === 4 ? ipv4GroupMac(addr) : ipv6GroupMac(addr);
      return { join, ifindex, key: `${want === 4 ? 4 : 6}:${hex}`, mac };
    }
    a += align4(alen);
  }
  return null;
}
