// explain(): one decision in words, for `umacvlan trace`. Control path: allocates freely.
// It runs decide() itself and only *names* the step from the table and the verdict, so the explanation cannot
// disagree with what the datapath does.

import { BROADCAST, ETH, ETHERTYPE_EXPERIMENTAL, ETHERTYPE_PAUSE, dstMac, etherType, isGroupDst, srcMac, writeMac } from '../wire/ethernet.js';
import { DROP_NAMES, Drop, Egress, Learn, Mode, PARENT } from './constants.js';
import { decide, floodMask, inBcFilter, inMcFilter } from './decide.js';
import type { PortTable } from './port-table.js';
import { Verdict } from './verdict.js';

export const EGRESS_NAMES: Readonly<Record<number, string>> = {
  [Egress.WIRE]: 'wire',
  [Egress.UNICAST]: 'unicast',
  [Egress.FLOOD]: 'flood',
  [Egress.LOCAL_FLOOD]: 'local_flood',
  [Egress.ORIGIN_ONLY]: 'origin_only',
  [Egress.SOURCE_COPY]: 'source_copy',
  [Egress.LOCAL_UNICAST]: 'local_unicast',
};

export interface TraceEgress {
  port: number;
  kind: number;
  /** Drop.* for this copy only, 0 = sent */
  drop: number;
}

export interface Trace {
  egress: TraceEgress[];
  reason: number;
  /** DROP_NAMES[reason] */
  reasonName: string;
  toHost: boolean;
  parentRxDropped: boolean;
  /** The spec step(s) that decided, e.g. 'I3 origin-only', 'X2 bridge-local unicast', 'U5 unknown unicast' */
  rule: string;
}

export interface TraceOptions {
  /** the frame carries a GSO type (exempt from MTU checks) */
  gso?: boolean;
}

export function explain(t: PortTable, from: number, frame: Uint8Array, opts: TraceOptions = {}): Trace {
  const v = new Verdict(Verdict.capacityFor(t.maxChildren));
  const n = decide(t, from, frame, 0, frame.length, opts.gso === true, v);
  const egress: TraceEgress[] = [];
  for (let i = 0; i < n; i++) egress.push({ port: v.port[i], kind: v.kind[i], drop: v.drop[i] });
  return {
    egress, reason: v.reason, reasonName: DROP_NAMES[v.reason] ?? String(v.reason), toHost: v.toHost,
    parentRxDropped: v.parentRxDropped, rule: t.natOn ? natRule(t, from, frame, v, ruleOf(t, from, frame, v)) : ruleOf(t, from, frame, v),
  };
}

/** --mac-nat (nat-decide.ts): what the address table made of the frame, after macvlan's own step */
function natRule(t: PortTable, from: number, b: Uint8Array, v: Verdict, rule: string): string {
  if (v.reason === Drop.NAT_CONFLICT) {
    return `mac-nat: the source address is child ${t.nat.ownerOf(learnEntry(t, b, v))}'s, not the sender's: refused (nat_conflict)`;
  }
  const learn = v.learnKind === Learn.CLAIM ? '; the source address is nobody\'s yet: the sender claims it'
    : v.learnKind === Learn.LEASE ? `; a DHCP ACK: the address becomes child ${v.learnSlot}'s for the lease` : '';
  if (from !== PARENT) {
    const wire = countKind(v, Egress.WIRE) > 0 ? "; mac-nat: on the wire its MACs become the parent's (Ethernet source, ARP sender, NDP options; a DHCP request asks for a broadcast answer)" : '';
    return rule + wire + learn;
  }
  if (v.natIn) return `mac-nat: to the parent's MAC, the destination address is child ${v.port[v.n - 1]}'s: delivered to it, the parent's MAC rewritten to the child's${learn}`;
  if (v.natUnowned) {
    const why = etherType(b, 0) === ETHERTYPE_EXPERIMENTAL || !isIpOrArp(b) ? 'not IPv4, IPv6 or ARP: never a child\'s' : 'no child owns the destination address';
    return `${rule}; mac-nat: ${why} (nat_unowned)${learn}`;
  }
  return rule + learn;
}

function isIpOrArp(b: Uint8Array): boolean {
  const type = etherType(b, 0);
  return type === 0x0800 || type === 0x86dd || type === 0x0806;
}

function learnEntry(t: PortTable, b: Uint8Array, v: Verdict): number {
  return v.learnLen === 16 ? t.nat.find6(b, v.learnAt) : t.nat.find4(b, v.learnAt);
}

function ruleOf(t: PortTable, from: number, b: Uint8Array, v: Verdict): string {
  if (v.reason === Drop.RUNT) return 'runt (shorter than an Ethernet header)';
  if (v.reason === Drop.VLAN_CLAIMED) return "a VLAN upper of the parent claims the frame's tag: the host's, not macvlan's";
  const sourceCopies = countKind(v, Egress.SOURCE_COPY);
  const withSource = (s: string): string => (sourceCopies > 0 ? `I2 source copies (${sourceCopies}) + ${s}` : s);
  if (from !== PARENT) return egressRule(t, from, b, v, withSource);
  const group = isGroupDst(b, 0);
  if (v.reason === Drop.NODST) return withSource(group ? 'I2 nodst: consumed' : 'I7 nodst: consumed');
  if (group) return groupRule(t, b, v, withSource);
  return withSource(unicastRule(t, b, v));
}

function egressRule(t: PortTable, from: number, b: Uint8Array, v: Verdict, withSource: (s: string) => string): string {
  switch (v.reason) {
    case Drop.LINK_DOWN: return 'X0 no carrier: the child cannot send';
    case Drop.OVERSIZE: return `X0 oversize: longer than the sender's MTU ${t.mtu[from]} + 18`;
    case Drop.PARENT_DOWN: return 'X2 bridge-local unicast refused: parent down';
    case Drop.MTU_EXCEEDED: return `X2 bridge-local unicast refused: longer than the parent's MTU ${t.mtu[0]} + 18`;
    case Drop.NODST: return withSource('X2 bridge-local unicast, then I7 nodst: consumed');
  }
  if (t.mode[from] === Mode.BRIDGE && isGroupDst(b, 0)) {
    const local = countKind(v, Egress.LOCAL_FLOOD);
    const pause = etherType(b, 0) === ETHERTYPE_PAUSE ? ', PAUSE not flooded' : '';
    return `X1 bridge-local flood (${local} sibling${local === 1 ? '' : 's'}${pause}) + X4 wire`;
  }
  if (countKind(v, Egress.LOCAL_UNICAST) > 0) return withSource('X2 bridge-local unicast');
  return t.mode[from] === Mode.BRIDGE ? 'X3 bridge unicast to a non-bridge, DOWN or unknown MAC: X4 wire' : 'X3/X4 wire';
}

function groupRule(t: PortTable, b: Uint8Array, v: Verdict, withSource: (s: string) => string): string {
  if (countKind(v, Egress.ORIGIN_ONLY) > 0) return withSource('I3 origin-only (G4: reflected frame of a private/passthru/source child)');
  const d = dstMac(b, 0);
  const bc = d === BROADCAST;
  const g = bc ? -1 : t.groupOf(d);
  const origin = t.lookup(srcMac(b, 0));
  const mask = floodMask(t, origin);
  const row = origin < 0 ? 'G1 external origin' : mask === Mode.VEPA ? 'G3 bridge origin' : 'G2 vepa origin';
  if (v.reason === Drop.QUEUE_FULL) return withSource('I4 Q1 broadcast queue, limit 0: dropped (parent rx_dropped +1)');
  const q = inBcFilter(t, bc, g) ? 'Q1 queued flood' : inMcFilter(t, bc, g) ? 'Q2 flood now' : 'Q3 no port filter match';
  const pause = etherType(b, 0) === ETHERTYPE_PAUSE ? ', PAUSE not flooded' : '';
  const floods = countKind(v, Egress.FLOOD);
  return withSource(`I6 ${row}, ${q} (${floods} cop${floods === 1 ? 'y' : 'ies'}${pause}) + I5 P-stack`);
}

function unicastRule(t: PortTable, b: Uint8Array, v: Verdict): string {
  const d = dstMac(b, 0);
  switch (v.reason) {
    case Drop.PASSTHRU_DOWN: return 'U7 passthru child down: dropped (I10)';
    case Drop.NO_DESTINATION: {
      const j = t.lookup(d);
      if (j >= 0 && t.mode[j] === Mode.SOURCE) return 'U2 a source child is never a destination: P-stack (I9)';
      if (d === t.mac[0]) return "U4 the parent's MAC: P-stack (I9)";
      for (let i = 1; i <= t.maxChildren; i++) {
        if (t.used[i] === 1 && t.up[i] === 0 && t.mac[i] === d) return 'U3 MAC of a DOWN child: P-stack (I9)';
      }
      return 'U5 unknown unicast: P-stack (I9)';
    }
  }
  return t.passthru !== 0 ? 'U6 passthru: all unicast to the child (I11)' : 'U1 unicast to its child (I11)';
}

function countKind(v: Verdict, kind: number): number {
  let k = 0;
  for (let i = 0; i < v.n; i++) if (v.kind[i] === kind) k++;
  return k;
}

/** The minimum frame explain() needs: dst, src, EtherType, padded to `len` bytes. */
export function traceFrame(dst: number, src: number, etherTypeValue = ETHERTYPE_EXPERIMENTAL, len = 60): Uint8Array {
  const b = new Uint8Array(Math.max(len, ETH.HLEN));
  writeMac(b, ETH.DST, dst);
  writeMac(b, ETH.SRC, src);
  b[ETH.TYPE] = etherTypeValue >>> 8;
  b[ETH.TYPE + 1] = etherTypeValue & 0xff;
  return b;
}
