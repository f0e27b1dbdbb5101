// Test helpers: frames as bytes, the spec's topologies (cases.md T0, TS, TP) as PortTables, and a decision
// rendered as names so a test reads like a row of the spec.

import { BROADCAST, parseMac } from '../../../src/wire/ethernet.js';
import { TEST_ETHERTYPE } from '../../../support/addresses.js';
import { ethFrame } from '../../support/frames.js';
import { DROP_NAMES, Egress, Flag, Mode, PARENT } from '../../../src/core/constants.js';
import type { ModeBit } from '../../../src/core/constants.js';
import { PortTable } from '../../../src/core/port-table.js';
import { Verdict } from '../../../src/core/verdict.js';
import { decide } from '../../../src/core/decide.js';

export const m = (s: string): number => {
  const v = parseMac(s);
  if (v < 0) throw new Error(`bad MAC in test: ${s}`);
  return v;
};

export const BCAST = BROADCAST;
/** cases.md: E, UNK, the test EtherType */
export const E = m('02:ee:00:00:00:01');
export const UNK = m('02:ee:00:00:00:99');
export const ET_TEST = TEST_ETHERTYPE;

export interface FrameSpec {
  dst: number;
  src: number;
  type?: number;
  /** total length including the Ethernet header; default 100 (cases.md test frames) */
  len?: number;
  /** 802.1Q VID: inserts a tag (TPID 0x8100) before `type` */
  vid?: number;
}

/** Builds a frame's bytes (body zero). `at` > 0 puts it at an offset inside a larger buffer (filled with 0xee before). */
export function frame(s: FrameSpec, at = 0): Uint8Array {
  const f = ethFrame({ dst: s.dst, src: s.src, type: s.type, tci: s.vid === undefined ? undefined : s.vid & 0x0fff, len: Math.max(s.len ?? 100, 0) });
  if (at === 0) return f;
  const b = new Uint8Array(at + f.length).fill(0xee, 0, at);
  b.set(f, at);
  return b;
}

export interface ChildDef {
  name: string;
  mac: number;
  mode: ModeBit;
  flags?: number;
  up?: boolean;
  sources?: number[];
  groups?: number[];
  mtu?: number;
}

/** A table plus names for its ports. Port 0 is called 'P' (parent) or 'wire' for egress, 'E' as a sender. */
export class Topo {
  readonly t: PortTable;
  readonly slot = new Map<string, number>();
  readonly name = new Map<number, string>();

  constructor(parentMac: number, children: ChildDef[], maxChildren = 16) {
    this.t = new PortTable(maxChildren);
    // cases.md: P is a veth: no unicast filter, so promiscuous once a child other than a nopromisc passthru one is UP
    this.t.setParent({ mac: parentMac, mtu: 1500, up: true, carrier: true, promisc: false, unicastFilter: false });
    for (const c of children) this.add(c);
  }

  add(c: ChildDef): number {
    const i = this.t.freeSlot();
    this.t.addChild(i, { mac: c.mac, mode: c.mode, flags: c.flags ?? 0, mtu: c.mtu ?? 1500 });
    for (const s of c.sources ?? []) this.t.sourceAdd(i, s);
    for (const g of c.groups ?? []) this.t.joinGroup(i, g);
    if (c.up !== false) this.t.setUp(i, true);
    this.slot.set(c.name, i);
    this.name.set(i, c.name);
    return i;
  }

  s(name: string): number {
    if (name === 'E' || name === 'P') return PARENT;
    const i = this.slot.get(name);
    if (i === undefined) throw new Error(`no child ${name}`);
    return i;
  }

  mac(name: string): number {
    return name === 'P' ? this.t.mac[0] : this.t.mac[this.s(name)];
  }

  portName(p: number): string {
    return p === PARENT ? 'wire' : (this.name.get(p) ?? `#${p}`);
  }
}

const KIND_NAMES: Record<number, string> = {
  [Egress.WIRE]: 'wire', [Egress.UNICAST]: 'unicast', [Egress.FLOOD]: 'flood', [Egress.LOCAL_FLOOD]: 'local_flood',
  [Egress.ORIGIN_ONLY]: 'origin_only', [Egress.SOURCE_COPY]: 'source_copy', [Egress.LOCAL_UNICAST]: 'local_unicast',
};

export interface Outcome {
  /** ports that get a copy that is sent, sorted by name ('wire' for the parent) */
  to: string[];
  /** every egress row as 'NAME:kind' or 'NAME:kind!drop', in verdict order */
  rows: string[];
  reason: string;
  toHost: boolean;
  parentRxDropped: boolean;
  /** the kernel would put the frame in the broadcast queue (§3.4): the datapath queues it and floods it later */
  queued: boolean;
  /** the raw verdict, copied */
  n: number;
}

export function outcomeOf(topo: Topo, v: Verdict): Outcome {
  const to: string[] = [];
  const rows: string[] = [];
  for (let i = 0; i < v.n; i++) {
    const nm = topo.portName(v.port[i]);
    const k = KIND_NAMES[v.kind[i]];
    rows.push(v.drop[i] === 0 ? `${nm}:${k}` : `${nm}:${k}!${DROP_NAMES[v.drop[i]]}`);
    if (v.drop[i] === 0) to.push(nm);
  }
  return { to: to.sort(), rows, reason: DROP_NAMES[v.reason], toHost: v.toHost, parentRxDropped: v.parentRxDropped,
    queued: v.queued, n: v.n };
}

/** decide() one frame sent by `from` ('E' = from outside, on the parent) */
export function run(topo: Topo, from: string, f: Uint8Array, gso = false, v = new Verdict(Verdict.capacityFor(topo.t.maxChildren))): Outcome {
  decide(topo.t, topo.s(from), f, 0, f.length, gso, v);
  return outcomeOf(topo, v);
}

export interface HairpinOutcome {
  /** children that receive, from the local step and from the reflection, sorted (duplicates kept) */
  receivers: string[];
  wire: boolean;
  /** P-stack: only the reflection can reach it */
  pStack: boolean;
  first: Outcome;
  reflected: Outcome | null;
}

/**
 * A child sends with a hairpin switch outside (cases.md "hairpin on"): whatever goes to the wire comes back on the
 * parent unchanged and is decided again as ingress.
 */
export function hairpin(topo: Topo, from: string, f: Uint8Array, on = true): HairpinOutcome {
  const first = run(topo, from, f);
  const wire = first.to.includes('wire');
  const reflected = on && wire ? run(topo, 'E', f) : null;
  const receivers = [...first.to.filter((x) => x !== 'wire'), ...(reflected?.to ?? [])].sort();
  return { receivers, wire, pStack: reflected?.toHost ?? false, first, reflected };
}

// ---- cases.md topologies ----

export const P_MAC = m('02:cc:00:00:00:01');
export const P2_MAC = m('02:cc:00:00:01:01');

/** T0: B1, B2 bridge; V1, V2 vepa; R1, R2 private; all UP; P promiscuous (veth) */
export function t0(extra: ChildDef[] = []): Topo {
  return new Topo(P_MAC, [
    { name: 'B1', mac: m('02:aa:00:00:00:b1'), mode: Mode.BRIDGE },
    { name: 'B2', mac: m('02:aa:00:00:00:b2'), mode: Mode.BRIDGE },
    { name: 'V1', mac: m('02:aa:00:00:00:c1'), mode: Mode.VEPA },
    { name: 'V2', mac: m('02:aa:00:00:00:c2'), mode: Mode.VEPA },
    { name: 'R1', mac: m('02:aa:00:00:00:d1'), mode: Mode.PRIVATE },
    { name: 'R2', mac: m('02:aa:00:00:00:d2'), mode: Mode.PRIVATE },
    ...extra,
  ]);
}
export const T0_CHILDREN = ['B1', 'B2', 'R1', 'R2', 'V1', 'V2'];

export const E1 = m('02:ee:00:00:00:01');
export const E2 = m('02:ee:00:00:00:02');
export const E9 = m('02:ee:00:00:00:09');
export const E22 = m('02:ee:00:00:00:22');
export const E03 = m('02:ee:00:00:00:03');

/** TS: S1 {E1}, S2 nodst {E2, …:22}, S3 {E1, …:03} source; N1 vepa; N2, N3 bridge */
export function ts(): Topo {
  return new Topo(P_MAC, [
    { name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE, sources: [E1] },
    { name: 'S2', mac: m('02:aa:00:00:00:52'), mode: Mode.SOURCE, flags: Flag.NODST, sources: [E2, E22] },
    { name: 'S3', mac: m('02:aa:00:00:00:53'), mode: Mode.SOURCE, sources: [E1, E03] },
    { name: 'N1', mac: m('02:aa:00:00:00:e1'), mode: Mode.VEPA },
    { name: 'N2', mac: m('02:aa:00:00:00:e2'), mode: Mode.BRIDGE },
    { name: 'N3', mac: m('02:aa:00:00:00:e3'), mode: Mode.BRIDGE },
  ]);
}

/** TP: P2 with one passthru child T (P2's MAC), UP */
export function tp(): Topo {
  return new Topo(P2_MAC, [{ name: 'T', mac: P2_MAC, mode: Mode.PASSTHRU }]);
}
