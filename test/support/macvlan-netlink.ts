// The kernel macvlan's broadcast knobs over rtnetlink, for tests that set them beside the daemon's: iproute2 6.1
// sets bcqueuelen but not bclim (IFLA_MACVLAN_BC_CUTOFF, kernel ≥ 6.4), and `ip -d link` prints no cutoff at all.
//
//   setBcCutoff(ns, 'umk123a1', -5);             // RTM_NEWLINK on the existing link: linkinfo "macvlan" {BC_CUTOFF -5}
//   macvlanKnobs(ns, 'umk123a1')                 // { bcQueueLen: 0, bcQueueLenUsed: 1000, bcCutoff: -5 }
//
// Requests go through the project's one rtnetlink receive loop (src/io/rtnetlink.ts roundTrip); the bytes are built
// and read here (pure, unit-tested in test/unit/support/macvlan-netlink.test.ts). Layouts: linux/if_link.h.

import { IfaceError } from '../../src/io/errors.js';
import { ifindex } from '../../src/io/link.js';
import { withNetns } from '../../src/io/netns.js';
import { roundTrip } from '../../src/io/rtnetlink.js';

const NLMSG_ERROR = 2;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLA_F_NESTED = 0x8000;
const HDR = 16;
const IFINFO = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN = { BC_QUEUE_LEN: 7, BC_QUEUE_LEN_USED: 8, BC_CUTOFF: 9 } as const;
/** What the kernel means when it reports no IFLA_MACVLAN_BC_CUTOFF (macvlan_fill_info leaves out the default) */
export const DEFAULT_BC_CUTOFF = 1;

export interface MacvlanKnobs {
  /** IFLA_MACVLAN_BC_QUEUE_LEN: what this child asked for */
  bcQueueLen: number;
  /** IFLA_MACVLAN_BC_QUEUE_LEN_USED: the port's queue, the largest request */
  bcQueueLenUsed: number;
  /** IFLA_MACVLAN_BC_CUTOFF: the port's; 1 when not reported */
  bcCutoff: number;
}

const align4 = (n: number): number => (n + 3) & ~3;

function attr(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + data.length));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 4 + data.length, true);
  dv.setUint16(2, type, true);
  out.set(data, 4);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

function message(type: number, flags: number, seq: number, ifindex: number, attrs: readonly Uint8Array[]): Uint8Array {
  const head = new Uint8Array(HDR + IFINFO);
  const dv = new DataView(head.buffer);
  dv.setUint16(4, type, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, seq, true);
  dv.setInt32(HDR + 4, ifindex, true);
  const msg = concat([head, ...attrs]);
  new DataView(msg.buffer).setUint32(0, msg.length, true);
  return msg;
}

/** RTM_NEWLINK on an existing link (no NLM_F_CREATE: macvlan_changelink) setting the port's bc_cutoff, ACK asked */
export function buildSetBcCutoff(seq: number, ifindex: number, cutoff: number): Uint8Array {
  if (!Number.isInteger(cutoff) || cutoff < -(2 ** 31) || cutoff >= 2 ** 31) throw new RangeError(`bc_cutoff ${cutoff} is not an s32`);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setInt32(0, cutoff, true);
  const data = attr(IFLA_INFO_DATA | NLA_F_NESTED, attr(IFLA_MACVLAN.BC_CUTOFF, v));
  const info = attr(IFLA_LINKINFO | NLA_F_NESTED, concat([attr(IFLA_INFO_KIND, new TextEncoder().encode('macvlan\0')), data]));
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex, [info]);
}

/** RTM_GETLINK for one link (answered by one RTM_NEWLINK, or an error) */
export function buildGetLink(seq: number, ifindex: number): Uint8Array {
  return message(RTM_GETLINK, NLM_F_REQUEST, seq, ifindex, []);
}

/** Calls fn(type, start, length) for each attribute in dv[from, to), stopping at the first malformed one. */
function eachAttr(dv: DataView, from: number, to: number, fn: (type: number, at: number, len: number) => void): void {
  for (let a = from; a + 4 <= to;) {
    const len = dv.getUint16(a, true);
    if (len < 4 || a + len > to) return;
    fn(dv.getUint16(a + 2, true) & 0x3fff, a + 4, len - 4);
    a += align4(len);
  }
}

export type Answer = { ack: number } | { knobs: MacvlanKnobs | null } | null;

/**
 * One datagram of the answer to request `seq`: its ACK or error ({ack: 0 or -errno}), the link's knobs ({knobs},
 * null when the link is not a macvlan), or null when it holds neither.
 */
export function parseAnswer(buf: Uint8Array, len: number, seq: number): Answer {
  const dv = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.length));
  for (let off = 0; off + HDR <= dv.byteLength;) {
    const mlen = dv.getUint32(off, true);
    if (mlen < HDR || off + mlen > dv.byteLength) return null;
    const type = dv.getUint16(off + 4, true);
    if (dv.getUint32(off + 8, true) === seq) {
      if (type === NLMSG_ERROR && mlen >= HDR + 4) return { ack: dv.getInt32(off + HDR, true) };
      if (type === RTM_NEWLINK && mlen >= HDR + IFINFO) return { knobs: knobsOf(dv, off + HDR + IFINFO, off + mlen) };
    }
    off += align4(mlen);
  }
  return null;
}

function knobsOf(dv: DataView, from: number, to: number): MacvlanKnobs | null {
  let kind = '';
  let data: [number, number] | null = null;
  eachAttr(dv, from, to, (type, at, len) => {
    if (type !== IFLA_LINKINFO) return;
    eachAttr(dv, at, at + len, (t, a, l) => {
      if (t === IFLA_INFO_KIND) kind = new TextDecoder().decode(new Uint8Array(dv.buffer, dv.byteOffset + a, l)).replace(/\0+$/, '');
      if (t === IFLA_INFO_DATA) data = [a, a + l];
    });
  });
  if (kind !== 'macvlan' || data === null) return null;
  const k: MacvlanKnobs = { bcQueueLen: -1, bcQueueLenUsed: -1, bcCutoff: DEFAULT_BC_CUTOFF };
  eachAttr(dv, data[0], data[1], (t, a, l) => {
    if (l !== 4) return;
    if (t === IFLA_MACVLAN.BC_QUEUE_LEN) k.bcQueueLen = dv.getUint32(a, true);
    if (t === IFLA_MACVLAN.BC_QUEUE_LEN_USED) k.bcQueueLenUsed = dv.getUint32(a, true);
    if (t === IFLA_MACVLAN.BC_CUTOFF) k.bcCutoff = dv.getInt32(a, true);
  });
  return k;
}

let seqCounter = 1;

function request(ns: string, ifname: string, build: (seq: number, ifindex: number) => Uint8Array, what: string): Answer {
  const index = ifindex(ifname, { netns: ns });
  const seq = seqCounter++;
  let answer: Answer = null;
  withNetns(ns, (nsfd) => roundTrip(nsfd, build(seq, index), `${ifname} ${what}`, (buf, n) => (answer = parseAnswer(buf, n, seq)) !== null));
  return answer;
}

/** Sets the port's bc_cutoff through the kernel macvlan `ifname` in namespace `ns`; throws the kernel's errno. */
export function setBcCutoff(ns: string, ifname: string, cutoff: number): void {
  const a = request(ns, ifname, (seq, i) => buildSetBcCutoff(seq, i, cutoff), 'bclim');
  if (a !== null && 'ack' in a && a.ack < 0) throw new IfaceError(ifname, 'RTM_NEWLINK IFLA_MACVLAN_BC_CUTOFF', -a.ack);
}

/** The broadcast knobs the kernel reports for macvlan `ifname` in namespace `ns` */
export function macvlanKnobs(ns: string, ifname: string): MacvlanKnobs {
  const a = request(ns, ifname, buildGetLink, 'RTM_GETLINK');
  if (a !== null && 'ack' in a) throw new IfaceError(ifname, 'RTM_GETLINK', -a.ack);
  if (a === null || a.knobs === null) throw new Error(`${ifname} in ${ns}: not a macvlan`);
  return a.knobs;
}
