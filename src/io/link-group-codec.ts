// The rtnetlink messages of a group delete (link-group.ts): a link's IFLA_GROUP set, every link of a group deleted
// with one RTM_DELLINK, and a dump read for each link's name, group and kind. Pure (no addon): unit-tested without
// root. Layouts: linux/netlink.h, linux/rtnetlink.h, linux/if_link.h; host byte order.

import { IFLA, IFLA_VLAN, NLM_F, RTM, eachAttr } from './rtnetlink-codec.js';

/** IFLA_GROUP (linux/if_link.h): the link's group, a u32; 0 is every link's default */
export const IFLA_GROUP = 27;

const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;
/** header, ifinfomsg, one u32 attribute */
const GROUP_MSG_LEN = NLMSG_HDRLEN + IFINFOMSG_LEN + 8;
const align4 = (n: number): number => (n + 3) & ~3;

/** A link of a dump as a group delete needs it */
export interface GroupLink {
  ifindex: number;
  ifname: string;
  group: number;
  /** IFLA_INFO_KIND ('tun' for a TAP), '' when the link has none (lo, a physical device) */
  kind: string;
}

/** One RTM_SETLINK (setGroup) or RTM_DELLINK by group (ifindex 0), with an ACK asked for, written at `off` of `dv`. */
function writeGroupMsg(dv: DataView, off: number, type: number, seq: number, ifindex: number, group: number): void {
  dv.setUint32(off, GROUP_MSG_LEN, true);
  dv.setUint16(off + 4, type, true);
  dv.setUint16(off + 6, NLM_F.REQUEST | NLM_F.ACK, true);
  dv.setUint32(off + 8, seq >>> 0, true);
  dv.setUint32(off + 12, 0, true);
  // ifinfomsg: family, pad, type, index, flags, change — only the index is said
  for (let i = 0; i < IFINFOMSG_LEN; i += 4) dv.setUint32(off + NLMSG_HDRLEN + i, 0, true);
  dv.setInt32(off + NLMSG_HDRLEN + 4, ifindex, true);
  const a = off + NLMSG_HDRLEN + IFINFOMSG_LEN;
  dv.setUint16(a, 8, true);
  dv.setUint16(a + 2, IFLA_GROUP, true);
  dv.setUint32(a + 4, group >>> 0, true);
}

/**
 * RTM_SETLINK messages putting each link in `group`, one datagram: the kernel handles the messages of a datagram one
 * after another and answers each with its own ACK (or error), so n links cost one send. Message i has seq firstSeq + i.
 */
export function buildSetGroups(firstSeq: number, ifindexes: readonly number[], group: number): Uint8Array {
  const out = new Uint8Array(GROUP_MSG_LEN * ifindexes.length);
  const dv = new DataView(out.buffer);
  ifindexes.forEach((ifx, i) => writeGroupMsg(dv, i * GROUP_MSG_LEN, RTM.SETLINK, firstSeq + i, ifx, group));
  return out;
}

/** RTM_DELLINK with ifindex 0 and IFLA_GROUP: the kernel deletes every link of that group in the namespace at once
 *  (rtnl_group_dellink: all or none — EOPNOTSUPP, nothing deleted, when one of them cannot be deleted; ENODEV when
 *  none carries it; EPERM for group 0). */
export function buildDelGroup(seq: number, group: number): Uint8Array {
  const out = new Uint8Array(GROUP_MSG_LEN);
  writeGroupMsg(new DataView(out.buffer), 0, RTM.DELLINK, seq, 0, group);
  return out;
}

/** The RTM_NEWLINK messages of one dump datagram, each with its seq. */
export function parseGroupLinks(buf: Uint8Array, len: number, on: (l: GroupLink, seq: number) => void): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.length));
  const end = dv.byteLength;
  for (let off = 0; off + NLMSG_HDRLEN <= end;) {
    const mlen = dv.getUint32(off, true);
    if (mlen < NLMSG_HDRLEN || off + mlen > end) return;  // malformed or cut: never read past it
    if (dv.getUint16(off + 4, true) === RTM.NEWLINK && mlen >= NLMSG_HDRLEN + IFINFOMSG_LEN) {
      const b = off + NLMSG_HDRLEN;
      const l: GroupLink = { ifindex: dv.getInt32(b + 4, true), ifname: '', group: 0, kind: '' };
      eachAttr(dv, b + IFINFOMSG_LEN, off + mlen, (t, d, n) => {
        if (t === IFLA.IFNAME) l.ifname = text(dv, d, n);
        else if (t === IFLA_GROUP && n >= 4) l.group = dv.getUint32(d, true);
        else if (t === IFLA_VLAN.LINKINFO) {
          eachAttr(dv, d, d + n, (it, id, inl) => { if (it === IFLA_VLAN.INFO_KIND) l.kind = text(dv, id, inl); });
        }
      });
      on(l, dv.getUint32(off + 8, true));
    }
    off += align4(mlen);
  }
}

function text(dv: DataView, d: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) { const c = dv.getUint8(d + i); if (c === 0) break; s += String.fromCharCode(c); }
  return s;
}

const HIGH = 0x8000_0000;

/**
 * A group no link of the namespace carries: drawn from the upper half of the u32 range, which `ip link set … group`
 * refuses (it takes 0 to 2^31-1), drawn again while taken; after 64 taken draws, the first free one from 2^31 up (there is
 * one: a namespace has fewer links than 2^31). `draw` returns a u32 (crypto in link-group.ts; fixed in tests).
 */
export function freeGroup(used: ReadonlySet<number>, draw: () => number): number {
  for (let i = 0; i < 64; i++) {
    const g = (draw() | HIGH) >>> 0;
    if (!used.has(g)) return g;
  }
  let g = HIGH;
  while (used.has(g)) g++;
  return g;
}
