// An independent, deliberately slow model of the macvlan forwarding decision, written from the rows of
// docs/forwarding.md (§1.2 U1–U8, §1.3 G1–G4, §2.1 X0–X4, §2.2 matrix, §2.3, §3.1–§3.4 Q1–Q3, §4.2 SR1–SR10,
// §5 PT*, §6 umacvlan's own checks). It keeps plain objects, Sets and mode *names*, and answers each question by
// looking a row up in a literal table, so that it shares neither structure nor bit tricks with src/core/decide.ts.
// It never reads decide.ts, port-table.ts or verdict.ts; toPortTable() drives a PortTable through PortTableApi only.

import { Drop, Egress, Flag, Mode, PARENT } from '../../../src/core/constants.js';
import type { ModeBit } from '../../../src/core/constants.js';
import type { PortTableApi, VerdictApi } from '../../../src/core/contract.js';
import { ETHERTYPE_PAUSE_REF, REF_BROADCAST, getMac, refIsGroup } from './ref-frames.js';

export type ModeName = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
export const MODE_BIT: Readonly<Record<ModeName, ModeBit>> = {
  private: Mode.PRIVATE, vepa: Mode.VEPA, bridge: Mode.BRIDGE, passthru: Mode.PASSTHRU, source: Mode.SOURCE,
};

export interface RefChild {
  slot: number;
  mac: number;
  mode: ModeName;
  /** Flag.NOPROMISC | Flag.NODST */
  flags: number;
  up: boolean;
  promisc: boolean;
  allmulti: boolean;
  mtu: number;
  bcQueueLen: number;
  /** the child's link-layer multicast list */
  groups: Set<number>;
  /** source-mode allow-list (source MACs) */
  allow: Set<number>;
}

export interface RefParent {
  mac: number;
  mtu: number;
  up: boolean;
  carrier: boolean;
  /** PROMISC or ALLMULTI set on the parent itself (§3.1); UP children may raise them too */
  promiscuous: boolean;
  /** the parent filters unicast (IFF_UNICAST_FLT); absent: it does, as a NIC. A veth does not */
  unicastFilter?: boolean;
}

export interface RefModel {
  maxChildren: number;
  parent: RefParent;
  bcCutoff: number;
  children: RefChild[];
  /** (tag protocol, VID) of the parent's VLAN uppers: the host takes these tags before macvlan does */
  vlanClaims?: Array<{ proto: 0x8100 | 0x88a8; vid: number }>;
}

export interface RefFrame {
  b: Uint8Array;
  at: number;
  len: number;
  gso: boolean;
}

export interface RefEgress { port: number; kind: number; drop: number }
export interface RefVerdict {
  egress: RefEgress[];
  reason: number;
  toHost: boolean;
  parentRxDropped: boolean;
}

export function refChild(slot: number, mac: number, mode: ModeName, over: Partial<RefChild> = {}): RefChild {
  return {
    slot, mac, mode, flags: 0, up: true, promisc: false, allmulti: false, mtu: 1500, bcQueueLen: 1000,
    groups: new Set(), allow: new Set(), ...over,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The spec's tables, as data.

/** §1.3 Table G1–G4: which receiver modes a group frame from outside may reach, by the origin's class.
 *  'origin-only' is G4: the frame goes back to its origin alone, without a filter check (I3). */
const GROUP_FROM_OUTSIDE: Readonly<Record<'external' | ModeName, readonly ModeName[] | 'origin-only'>> = {
  external: ['private', 'vepa', 'bridge', 'passthru'], // G1 (a DOWN child's MAC counts as external)
  vepa: ['vepa', 'bridge'], //                             G2
  bridge: ['vepa'], //                                     G3 (bridge siblings had it from X1)
  private: 'origin-only', //                               G4
  passthru: 'origin-only', //                              G4, PT6
  source: 'origin-only', //                                G4, SR10
};

/** §3.2 Q1–Q3: what happens to a group frame from outside, by the two port filters. */
const GROUP_DELIVERY: Readonly<Record<'bc' | 'mc' | 'neither', 'enqueue' | 'flood' | 'none'>> = {
  bc: 'enqueue', // Q1 (whatever mc_filter says)
  mc: 'flood', //   Q2
  neither: 'none', // Q3
};

/** §1.2: the row a unicast from outside falls in, and what it yields for the children and P-stack. */
type URow = 'U1' | 'U2' | 'U3' | 'U4' | 'U5' | 'U6' | 'U7';
const UNICAST_FROM_OUTSIDE: Readonly<Record<URow, { deliver: 'owner' | 'passthru' | 'nobody'; reason: number; toHost: boolean }>> = {
  U1: { deliver: 'owner', reason: Drop.NONE, toHost: false },
  U2: { deliver: 'nobody', reason: Drop.NO_DESTINATION, toHost: true },
  U3: { deliver: 'nobody', reason: Drop.NO_DESTINATION, toHost: true },
  U4: { deliver: 'nobody', reason: Drop.NO_DESTINATION, toHost: true },
  U5: { deliver: 'nobody', reason: Drop.NO_DESTINATION, toHost: true },
  U6: { deliver: 'passthru', reason: Drop.NONE, toHost: false },
  U7: { deliver: 'nobody', reason: Drop.PASSTHRU_DOWN, toHost: false },
};

/** §2.2: unicast from a child, sender's mode × what the destination MAC is. 'local' = X2, 'wire' = X3/X4. */
type UnicastTarget = ModeName | 'parent' | 'unknown' | 'itself';
const ALL_WIRE: Readonly<Record<UnicastTarget, 'local' | 'wire'>> = {
  bridge: 'wire', vepa: 'wire', private: 'wire', source: 'wire', passthru: 'wire', parent: 'wire', unknown: 'wire', itself: 'wire',
};
const SIBLING_UNICAST: Readonly<Record<ModeName, Readonly<Record<UnicastTarget, 'local' | 'wire'>>>> = {
  bridge: { ...ALL_WIRE, bridge: 'local', itself: 'local' },
  vepa: ALL_WIRE,
  private: ALL_WIRE, // hairpin (not blocked) — the reflection comes back as a frame from the parent
  source: ALL_WIRE, //  SR8
  passthru: ALL_WIRE, // PT7
};

/** §2.3: group frames sent by a child — which siblings get a local (X1) copy besides the wire. */
const GROUP_FROM_CHILD_LOCAL: Readonly<Record<ModeName, readonly ModeName[]>> = {
  bridge: ['bridge'], // X1 (source children not: SR7)
  vepa: [],
  private: [],
  source: [],
  passthru: [],
};

/** §4.2: what a source-table hit does (SR1 copy to an UP source child, SR3/SR4 NODST consumes). */
const SOURCE_HIT = { copyTo: (c: RefChild) => c.up && c.mode === 'source', consumes: (c: RefChild) => (c.flags & Flag.NODST) !== 0 };

/** The bound __dev_forward_skb puts on a copy: MTU + Ethernet header + one tag + FCS (GSO exempt). */
const FORWARD_OVERHEAD = 18;
const tooLong = (f: RefFrame, mtu: number): boolean => !f.gso && f.len > mtu + FORWARD_OVERHEAD;

// ---------------------------------------------------------------------------------------------------------------
// State as the kernel keeps it (§0), recomputed from scratch on every question.

/** Address table: UP children only. */
function owner(m: RefModel, mac: number): RefChild | undefined {
  return m.children.find((c) => c.up && c.mac === mac);
}

/** §3.1 child filter: all groups when PROMISC or ALLMULTI, else broadcast + its own list. */
function childFilterHas(c: RefChild, d: number): boolean {
  if (c.promisc || c.allmulti) return true;
  return d === REF_BROADCAST || c.groups.has(d);
}

/** §3.1 "held by N children": the sync count of P's entry, UP children only. */
function holders(m: RefModel, d: number): number {
  return m.children.filter((c) => c.up && c.groups.has(d)).length;
}

/** §3.1: what an UP child passes down to P. A passthru child adds no MAC to P's unicast list and its own PROMISC
 *  stays its own; every other child's MAC goes on P's list, which a P without a unicast filter answers by going
 *  promiscuous. */
const RAISES: Readonly<Record<'passthru' | 'other', (c: RefChild, ucFilter: boolean) => boolean>> = {
  passthru: (c) => (c.flags & Flag.NOPROMISC) === 0 || c.allmulti,
  other: (c, ucFilter) => c.promisc || c.allmulti || !ucFilter,
};

/** §3.1: P is PROMISC or ALLMULTI, set on it or raised by an UP child */
function parentOpen(m: RefModel): boolean {
  const ucFilter = m.parent.unicastFilter ?? true;
  return m.parent.promiscuous || m.children.some((c) => c.up && RAISES[c.mode === 'passthru' ? 'passthru' : 'other'](c, ucFilter));
}

/** §3.1 port filters */
function inMcFilter(m: RefModel, d: number): boolean {
  if (parentOpen(m)) return true;
  return d === REF_BROADCAST || holders(m, d) >= 1;
}
function inBcFilter(m: RefModel, d: number): boolean {
  if (m.bcCutoff < 0) return false;
  if (parentOpen(m)) return true;
  return d === REF_BROADCAST || holders(m, d) > m.bcCutoff;
}

/** §3.4 queue limit: max request over all children, UP or DOWN */
function queueLimit(m: RefModel): number {
  return m.children.reduce((mx, c) => Math.max(mx, c.bcQueueLen), 0);
}

function passthruChild(m: RefModel): RefChild | undefined {
  return m.children.find((c) => c.mode === 'passthru');
}

// ---------------------------------------------------------------------------------------------------------------

type Acc = RefVerdict;
const fresh = (): Acc => ({ egress: [], reason: Drop.NONE, toHost: false, parentRxDropped: false });

/** §4.2 SR1–SR4: copies to listed source children; true when a NODST listing consumes the frame. */
function sourceStage(m: RefModel, s: number, out: Acc): boolean {
  const listed = m.children.filter((c) => c.allow.has(s));
  for (const c of listed) if (SOURCE_HIT.copyTo(c)) out.egress.push({ port: c.slot, kind: Egress.SOURCE_COPY, drop: 0 });
  return listed.some(SOURCE_HIT.consumes);
}

/** §1.2 row for a unicast destination (after the source stage). */
function unicastRow(m: RefModel, d: number): { row: URow; target?: RefChild } {
  const pt = passthruChild(m);
  if (pt) return pt.up ? { row: 'U6', target: pt } : { row: 'U7' };
  const o = owner(m, d);
  if (o) return o.mode === 'source' ? { row: 'U2' } : { row: 'U1', target: o };
  if (m.children.some((c) => c.mac === d)) return { row: 'U3' };
  if (d === m.parent.mac) return { row: 'U4' };
  return { row: 'U5' };
}

/** A unicast arriving on P (from the wire, or re-injected by X2 with `kind` LOCAL_UNICAST): I7–I11, U1–U8. */
function unicastIngress(m: RefModel, d: number, s: number, kind: number, out: Acc): void {
  if (sourceStage(m, s, out)) { out.reason = Drop.NODST; out.toHost = false; return; }
  const { row, target } = unicastRow(m, d);
  const r = UNICAST_FROM_OUTSIDE[row];
  if (r.deliver !== 'nobody' && target) out.egress.push({ port: target.slot, kind, drop: 0 });
  out.reason = r.reason;
  out.toHost = r.toHost;
}

/** A group frame arriving on P: I2–I6, G1–G4, Q1–Q3, §3.4. */
function groupIngress(m: RefModel, d: number, s: number, et: number, out: Acc): void {
  if (sourceStage(m, s, out)) { out.reason = Drop.NODST; out.toHost = false; return; }
  const origin = owner(m, s);
  const receivers = GROUP_FROM_OUTSIDE[origin ? origin.mode : 'external'];
  if (receivers === 'origin-only') {
    out.egress.push({ port: origin!.slot, kind: Egress.ORIGIN_ONLY, drop: 0 });
    return; // G4: P-stack no
  }
  out.toHost = true; // I5
  const delivery = GROUP_DELIVERY[inBcFilter(m, d) ? 'bc' : inMcFilter(m, d) ? 'mc' : 'neither'];
  let flood = delivery === 'flood';
  if (delivery === 'enqueue') {
    if (queueLimit(m) === 0) { out.reason = Drop.QUEUE_FULL; out.parentRxDropped = true; } else flood = true;
  }
  if (flood) {
    for (const c of m.children) {
      if (c === origin || !c.up || !receivers.includes(c.mode)) continue;
      if (!childFilterHas(c, d) || et === ETHERTYPE_PAUSE_REF) continue; // §3.5
      out.egress.push({ port: c.slot, kind: Egress.FLOOD, drop: 0 });
    }
  }
  if (out.egress.length === 0 && out.reason === Drop.NONE) out.reason = Drop.MODE_FORBIDS;
}

/** A frame a child sends: X0–X4, §2.2, §2.3. */
function childEgress(m: RefModel, sender: RefChild, d: number, s: number, et: number, f: RefFrame, out: Acc): void {
  if (!m.parent.carrier) { out.reason = Drop.LINK_DOWN; return; } // X0
  if (tooLong(f, sender.mtu)) { out.reason = Drop.OVERSIZE; return; }
  if (refIsGroup(d)) {
    const localModes = GROUP_FROM_CHILD_LOCAL[sender.mode];
    for (const c of m.children) {
      if (c === sender || !c.up || !localModes.includes(c.mode)) continue;
      if (!childFilterHas(c, d) || et === ETHERTYPE_PAUSE_REF) continue;
      out.egress.push({ port: c.slot, kind: Egress.LOCAL_FLOOD, drop: tooLong(f, c.mtu) ? Drop.MTU_EXCEEDED : 0 });
    }
    out.egress.push({ port: PARENT, kind: Egress.WIRE, drop: 0 });
    return;
  }
  const o = owner(m, d);
  const target: UnicastTarget = o === sender ? 'itself' : o ? o.mode : d === m.parent.mac ? 'parent' : 'unknown';
  if (SIBLING_UNICAST[sender.mode][target] === 'wire') {
    out.egress.push({ port: PARENT, kind: Egress.WIRE, drop: 0 });
    return;
  }
  // X2: dev_forward_skb(P) — P must be UP and the frame within P's MTU, else P counts an rx drop.
  if (!m.parent.up) { out.reason = Drop.PARENT_DOWN; out.parentRxDropped = true; return; }
  if (tooLong(f, m.parent.mtu)) { out.reason = Drop.MTU_EXCEEDED; out.parentRxDropped = true; return; }
  unicastIngress(m, d, s, Egress.LOCAL_UNICAST, out); // SR6: the source table is consulted on the way back in
  out.toHost = false; // a re-injected frame never reaches P-stack
}

/** The verdict the spec gives for `f` arriving on port `from` (0 = parent). */
export function expected(m: RefModel, from: number, f: RefFrame): RefVerdict {
  const out = fresh();
  if (f.len < 14) { out.reason = Drop.RUNT; return out; }
  const d = getMac(f.b, f.at);
  const s = getMac(f.b, f.at + 6);
  const et = f.b[f.at + 12] * 256 + f.b[f.at + 13];
  if (from === PARENT) {
    // vlan_do_receive runs before macvlan's rx_handler: the outer tag's TPID and the low 12 bits of its TCI
    const vid = f.len >= 16 ? (f.b[f.at + 14] % 16) * 256 + f.b[f.at + 15] : -1;
    if ((m.vlanClaims ?? []).some((c) => c.proto === et && c.vid === vid)) { out.reason = Drop.VLAN_CLAIMED; return out; }
    if (refIsGroup(d)) groupIngress(m, d, s, et, out);
    else unicastIngress(m, d, s, Egress.UNICAST, out);
    return out;
  }
  const sender = m.children.find((c) => c.slot === from);
  if (!sender) throw new Error(`reference model: no child in slot ${from}`);
  childEgress(m, sender, d, s, et, f, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Derived port state the PortTable must report (§0, §3.4, §5)

export function expectedPassthru(m: RefModel): number {
  return passthruChild(m)?.slot ?? 0;
}
export function expectedBcQueueLimit(m: RefModel): number {
  return queueLimit(m);
}

// ---------------------------------------------------------------------------------------------------------------
// Building the real table


/**
 * Builds the real table through PortTableApi mutators only. `churn` takes a long way round — decoy MACs, modes,
 * groups, allow-list entries, a throwaway child that is removed again, state changes while UP — and ends in the same
 * state, so a mutator that leaves a derived table (address table, source table, hold counts) stale shows up as a
 * verdict mismatch.
 */
export function toPortTable<T extends PortTableApi>(m: RefModel, make: (maxChildren: number) => T, churn = false): T {
  for (const c of m.children) {
    if (c.mode !== 'source' && c.allow.size > 0) throw new Error(`child ${c.slot}: only a source child has an allow-list (§4.1)`);
  }
  const t = make(m.maxChildren);
  // PortTableApi has no parent mutator: the parent's MAC and MTU are slot 0 of the arrays it exposes.
  t.mac[PARENT] = m.parent.mac;
  t.mtu[PARENT] = m.parent.mtu;
  t.parentUp = m.parent.up;
  t.parentCarrier = m.parent.carrier;
  t.parentPromisc = m.parent.promiscuous;
  t.parentFiltersUnicast = m.parent.unicastFilter ?? true;
  t.bcCutoff = m.bcCutoff;
  for (const c of m.vlanClaims ?? []) t.setVlanClaimed(c.proto, c.vid, true);
  if (!churn) {
    for (const c of m.children) {
      t.addChild(c.slot, { mac: c.mac, mode: MODE_BIT[c.mode], flags: c.flags, mtu: c.mtu, bcQueueLen: c.bcQueueLen });
      t.setGroups(c.slot, [...c.groups]);
      for (const a of c.allow) t.sourceAdd(c.slot, a);
      t.setPromisc(c.slot, c.promisc);
      t.setAllmulti(c.slot, c.allmulti);
      t.setUp(c.slot, c.up);
    }
    return t;
  }
  buildTheLongWay(t, m);
  return t;
}

// Decoys live in a MAC range no test uses: 06:de:…
const DECOY_BASE = 0x06de_0000_0000;
const DECOY_GROUP = 0x0100_5eee_0000;

function buildTheLongWay(t: PortTableApi, m: RefModel): void {
  const usedSlots = new Set(m.children.map((c) => c.slot));
  // A throwaway child with state in every derived table, deleted before anything else happens.
  let spare = -1;
  for (let i = 1; i <= m.maxChildren && spare < 0; i++) if (!usedSlots.has(i)) spare = i;
  const listedSources = [...new Set(m.children.flatMap((c) => [...c.allow]))];
  const groupsInUse = [...new Set(m.children.flatMap((c) => [...c.groups]))];
  if (spare > 0) {
    t.addChild(spare, { mac: DECOY_BASE + 0xffff, mode: Mode.SOURCE, flags: Flag.NODST, mtu: 9000, bcQueueLen: 0 });
    t.setBcCutoff(m.bcCutoff + 7); // forgotten with the port when this, its only child, goes (lifecycle.md §8)
    t.setUp(spare, true);
    t.setGroups(spare, [...groupsInUse, REF_BROADCAST - 1]);
    t.setAllmulti(spare, true);
    for (const a of [...listedSources, ...m.children.map((c) => c.mac)]) t.sourceAdd(spare, a);
    t.setBcQueueLen(spare, 100_000);
    t.removeChild(spare);
  }
  // Phase A: every child starts as something else, UP, with decoy groups.
  m.children.forEach((c, k) => {
    const decoyMode = c.mode === 'source' ? Mode.VEPA : Mode.SOURCE;
    t.addChild(c.slot, { mac: DECOY_BASE + k, mode: decoyMode, flags: c.flags ^ (Flag.NOPROMISC | Flag.NODST), mtu: c.mtu + 7, bcQueueLen: c.bcQueueLen + 3 });
    if (decoyMode === Mode.SOURCE) t.sourceAdd(c.slot, DECOY_BASE + 0x100 + k); // flushed by leaving SOURCE
    t.setUp(c.slot, true);
    t.joinGroup(c.slot, DECOY_GROUP + k);
    t.setGroups(c.slot, [DECOY_GROUP + 0x100 + k, ...c.groups, ...c.groups]); // a list is a set: repeats count once
    for (const g of c.groups) t.joinGroup(c.slot, g); // already a member: no change
    t.joinGroup(c.slot, DECOY_GROUP + 0x200 + k);
    t.leaveGroup(c.slot, DECOY_GROUP + 0x200 + k);
    t.leaveGroup(c.slot, DECOY_GROUP + 0x100 + k);
    t.setPromisc(c.slot, !c.promisc);
    t.setAllmulti(c.slot, !c.allmulti);
  });
  t.setBcCutoff(m.bcCutoff);
  // Phase B: children that end DOWN go down first, then take their MAC (a DOWN child may share a MAC).
  for (const c of m.children) if (!c.up) { t.setUp(c.slot, false); t.setMac(c.slot, c.mac); }
  // Phase C: children that end UP change MAC while UP (their final MACs are unique).
  for (const c of m.children) if (c.up) t.setMac(c.slot, c.mac);
  for (const c of m.children) {
    t.setMode(c.slot, MODE_BIT[c.mode]);
    t.setFlags(c.slot, c.flags);
    t.setMtu(c.slot, c.mtu);
    t.setBcQueueLen(c.slot, c.bcQueueLen);
    t.setPromisc(c.slot, c.promisc);
    t.setAllmulti(c.slot, c.allmulti);
    if (c.mode === 'source') {
      t.sourceAdd(c.slot, DECOY_BASE + 0x300);
      t.sourceFlush(c.slot);
      for (const a of c.allow) { t.sourceAdd(c.slot, a); t.sourceAdd(c.slot, a); } // ADD twice is a no-op (§4.1)
      t.sourceAdd(c.slot, DECOY_BASE + 0x301);
      t.sourceDel(c.slot, DECOY_BASE + 0x301);
      t.sourceDel(c.slot, DECOY_BASE + 0x302); // not present: no-op
    }
  }
  // An UP child that ends UP goes through one DOWN/UP cycle: hold counts must drop and come back.
  const cycled = m.children.find((c) => c.up);
  if (cycled) { t.setUp(cycled.slot, false); t.setUp(cycled.slot, true); }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing verdicts: egress order is not part of the contract, so both sides become sorted lists.

export function readVerdict(v: VerdictApi): RefVerdict {
  const egress: RefEgress[] = [];
  for (let i = 0; i < v.n; i++) egress.push({ port: v.port[i], kind: v.kind[i], drop: v.drop[i] });
  return { egress, reason: v.reason, toHost: v.toHost, parentRxDropped: v.parentRxDropped };
}

export function canonical(r: RefVerdict): RefVerdict {
  const egress = [...r.egress].sort((a, b) => a.port - b.port || a.kind - b.kind || a.drop - b.drop);
  return { egress, reason: r.reason, toHost: r.toHost, parentRxDropped: r.parentRxDropped };
}

const KIND_NAMES = Object.fromEntries(Object.entries(Egress).map(([k, n]) => [n, k])) as Record<number, string>;
const DROP_NAMES_REF = Object.fromEntries(Object.entries(Drop).map(([k, n]) => [n, k])) as Record<number, string>;

/** "c2 FLOOD, parent WIRE | reason MODE_FORBIDS toHost parentRxDropped" — stable text for messages and equality */
export function verdictText(r: RefVerdict): string {
  const c = canonical(r);
  const eg = c.egress.map((e) => `${e.port === PARENT ? 'parent' : `c${e.port}`} ${KIND_NAMES[e.kind] ?? e.kind}` +
    (e.drop ? `(dropped ${DROP_NAMES_REF[e.drop] ?? e.drop})` : '')).join(', ');
  return `[${eg}] reason ${DROP_NAMES_REF[c.reason] ?? c.reason}${c.toHost ? ' toHost' : ''}${c.parentRxDropped ? ' parentRxDropped' : ''}`;
}

export function describeModel(m: RefModel): string {
  const p = m.parent;
  const head = `parent{mtu ${p.mtu}${p.up ? '' : ' DOWN'}${p.carrier ? '' : ' NO-CARRIER'}${p.promiscuous ? ' promisc' : ''}${p.unicastFilter === false ? ' no-uc-filter' : ''}} bcCutoff ${m.bcCutoff}`;
  const kids = m.children.map((c) => {
    const bits: string[] = [`c${c.slot} ${c.mode} ${c.mac.toString(16)}`];
    if (!c.up) bits.push('DOWN');
    if (c.flags & Flag.NODST) bits.push('nodst');
    if (c.flags & Flag.NOPROMISC) bits.push('nopromisc');
    if (c.promisc) bits.push('promisc');
    if (c.allmulti) bits.push('allmulti');
    bits.push(`mtu ${c.mtu}`, `bcq ${c.bcQueueLen}`);
    if (c.groups.size) bits.push(`groups [${[...c.groups].map((g) => g.toString(16)).join(' ')}]`);
    if (c.allow.size) bits.push(`allow [${[...c.allow].map((g) => g.toString(16)).join(' ')}]`);
    return bits.join(' ');
  });
  return [head, ...kids].join('; ');
}
