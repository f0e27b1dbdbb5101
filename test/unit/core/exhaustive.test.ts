// Every mode combination of three children (private, vepa, bridge, source: 4^3) plus passthru alone, × every ingress
// port × every destination class × every source class, over a set of port scenarios (child DOWN, MTU, parent
// promiscuity, bc_cutoff, bc queue length, carrier, PAUSE, 802.1Q tag, child PROMISC/ALLMULTI): the real decide()
// must give the reference model's verdict, egress compared as a multiset. The model is first checked against the
// numbered cases of docs/cases.md, so a disagreement points at the core rather than at the oracle.

import { afterAll, describe, expect, test } from 'vitest';
import { Drop, Egress, Flag, PARENT } from '../../../src/core/constants.js';
import { decide } from '../../../src/core/decide.js';
import { PortTable } from '../../../src/core/port-table.js';
import { Verdict } from '../../../src/core/verdict.js';
import {
  canonical, describeModel, expected, readVerdict, refChild, toPortTable, verdictText,
} from './reference-model.js';
import type { ModeName, RefChild, RefEgress, RefModel, RefVerdict } from './reference-model.js';
import { ETHERTYPE_PAUSE_REF, REF_BROADCAST, buildFrame, macText } from './ref-frames.js';

// The model against the numbered cases of docs/cases.md (topologies T0, TS, TP); expected verdicts are
// written from each case's "expected" column.
describe('the reference model reproduces cases.md', () => {
  const P_MAC = 0x02cc_0000_0001;
  const E = 0x02ee_0000_0001;
  const UNK = 0x02ee_0000_0099;
  const G = 0x0100_5e11_2233;
  const G_OTHER = 0x0100_5e44_5566;

  // T0: B1 B2 bridge, V1 V2 vepa, R1 R2 private, all UP; veth parent (no unicast filter), so promiscuous.
  const T0 = { B1: 1, B2: 2, V1: 3, V2: 4, R1: 5, R2: 6 } as const;
  const T0_MAC: Record<number, number> = {
    1: 0x02aa_0000_00b1, 2: 0x02aa_0000_00b2, 3: 0x02aa_0000_00c1, 4: 0x02aa_0000_00c2, 5: 0x02aa_0000_00d1, 6: 0x02aa_0000_00d2,
  };
  function t0(change: (c: Record<keyof typeof T0, RefChild>, m: RefModel) => void = () => {}): RefModel {
    const c = {
      B1: refChild(1, T0_MAC[1], 'bridge'), B2: refChild(2, T0_MAC[2], 'bridge'),
      V1: refChild(3, T0_MAC[3], 'vepa'), V2: refChild(4, T0_MAC[4], 'vepa'),
      R1: refChild(5, T0_MAC[5], 'private'), R2: refChild(6, T0_MAC[6], 'private'),
    };
    const m: RefModel = {
      maxChildren: 16, bcCutoff: 1, children: Object.values(c),
      parent: { mac: P_MAC, mtu: 1500, up: true, carrier: true, promiscuous: false, unicastFilter: false },
    };
    change(c, m);
    return m;
  }

  // TS: S1 source {E1}, S2 source+nodst {E2, …:22}, S3 source {E1, …:03}, N1 vepa, N2 N3 bridge.
  const E1 = 0x02ee_0000_0001, E2 = 0x02ee_0000_0002, E9 = 0x02ee_0000_0009;
  const TS = { S1: 1, S2: 2, S3: 3, N1: 4, N2: 5, N3: 6 } as const;
  const TS_MAC: Record<number, number> = {
    1: 0x02aa_0000_0051, 2: 0x02aa_0000_0052, 3: 0x02aa_0000_0053, 4: 0x02aa_0000_00e1, 5: 0x02aa_0000_00e2, 6: 0x02aa_0000_00e3,
  };
  function ts(change: (c: Record<keyof typeof TS, RefChild>) => void = () => {}): RefModel {
    const c = {
      S1: refChild(1, TS_MAC[1], 'source', { allow: new Set([E1]) }),
      S2: refChild(2, TS_MAC[2], 'source', { flags: Flag.NODST, allow: new Set([E2, 0x02ee_0000_0022]) }),
      S3: refChild(3, TS_MAC[3], 'source', { allow: new Set([E1, 0x02ee_0000_0003]) }),
      N1: refChild(4, TS_MAC[4], 'vepa'), N2: refChild(5, TS_MAC[5], 'bridge'), N3: refChild(6, TS_MAC[6], 'bridge'),
    };
    change(c);
    return {
      maxChildren: 16, bcCutoff: 1, children: Object.values(c),
      parent: { mac: P_MAC, mtu: 1500, up: true, carrier: true, promiscuous: false, unicastFilter: false },
    };
  }

  // TP: one passthru child T with P2's MAC.
  const P2_MAC = 0x02cc_0000_0101;
  function tp(up = true): RefModel {
    return {
      maxChildren: 16, bcCutoff: 1, children: [refChild(1, P2_MAC, 'passthru', { up })],
      parent: { mac: P2_MAC, mtu: 1500, up: true, carrier: true, promiscuous: false, unicastFilter: false },
    };
  }

  const eg = (port: number, kind: number, drop = 0): RefEgress => ({ port, kind, drop });
  const flood = (...ports: number[]): RefEgress[] => ports.map((p) => eg(p, Egress.FLOOD));
  const src = (...ports: number[]): RefEgress[] => ports.map((p) => eg(p, Egress.SOURCE_COPY));
  const wire = eg(PARENT, Egress.WIRE);
  const v = (egress: RefEgress[], reason: number = Drop.NONE, toHost = false, parentRxDropped = false): RefVerdict =>
    ({ egress, reason, toHost, parentRxDropped });

  interface CaseRow { id: string; model: RefModel; from: number; dst: number; src: number; type?: number; want: RefVerdict }

  const MODEL_CASES: CaseRow[] = [
    { id: 'F1', model: t0(), from: T0.B1, dst: T0_MAC[2], src: T0_MAC[1], want: v([eg(T0.B2, Egress.LOCAL_UNICAST)]) },
    ...[T0.V2, T0.R2].map((k) => ({ id: `F2 →${k}`, model: t0(), from: T0.B1, dst: T0_MAC[k], src: T0_MAC[1], want: v([wire]) })),
    { id: 'F2 →P', model: t0(), from: T0.B1, dst: P_MAC, src: T0_MAC[1], want: v([wire]) },
    { id: 'F2 →UNK', model: t0(), from: T0.B1, dst: UNK, src: T0_MAC[1], want: v([wire]) },
    { id: 'F3', model: t0(), from: T0.B1, dst: REF_BROADCAST, src: T0_MAC[1], want: v([eg(T0.B2, Egress.LOCAL_FLOOD), wire]) },
    { id: 'F5', model: t0(), from: T0.V1, dst: REF_BROADCAST, src: T0_MAC[3], want: v([wire]) },
    { id: 'F6', model: t0(), from: T0.R1, dst: REF_BROADCAST, src: T0_MAC[5], want: v([wire]) },
    { id: 'F7', model: t0(), from: T0.R1, dst: T0_MAC[6], src: T0_MAC[5], want: v([wire]) },
    { id: 'F10 B1', model: t0(), from: T0.B1, dst: T0_MAC[1], src: T0_MAC[1], want: v([eg(T0.B1, Egress.LOCAL_UNICAST)]) },
    { id: 'F10 V1', model: t0(), from: T0.V1, dst: T0_MAC[3], src: T0_MAC[3], want: v([wire]) },
    { id: 'F11', model: t0(), from: PARENT, dst: T0_MAC[6], src: T0_MAC[5], want: v([eg(T0.R2, Egress.UNICAST)]) },
    { id: 'F12', model: t0(), from: PARENT, dst: T0_MAC[2], src: E, want: v([eg(T0.B2, Egress.UNICAST)]) },
    { id: 'F13', model: t0(), from: PARENT, dst: P_MAC, src: E, want: v([], Drop.NO_DESTINATION, true) },
    { id: 'F14', model: t0(), from: PARENT, dst: UNK, src: E, want: v([], Drop.NO_DESTINATION, true) },
    { id: 'F15', model: t0(), from: PARENT, dst: REF_BROADCAST, src: E, want: v(flood(1, 2, 3, 4, 5, 6), 0, true) },
    { id: 'F16', model: t0(), from: PARENT, dst: REF_BROADCAST, src: T0_MAC[3], want: v(flood(1, 2, 4), 0, true) },
    { id: 'F17', model: t0(), from: PARENT, dst: REF_BROADCAST, src: T0_MAC[1], want: v(flood(3, 4), 0, true) },
    { id: 'F18', model: t0(), from: PARENT, dst: REF_BROADCAST, src: T0_MAC[5], want: v([eg(T0.R1, Egress.ORIGIN_ONLY)]) },
    { id: 'F21', model: t0((c) => { c.R1.up = false; }), from: PARENT, dst: REF_BROADCAST, src: T0_MAC[5], want: v(flood(1, 2, 3, 4, 6), 0, true) },
    { id: 'F22 in', model: t0((c) => { c.B2.up = false; }), from: PARENT, dst: T0_MAC[2], src: E, want: v([], Drop.NO_DESTINATION, true) },
    { id: 'F22 out', model: t0((c) => { c.B2.up = false; }), from: T0.B1, dst: T0_MAC[2], src: T0_MAC[1], want: v([wire]) },
    { id: 'M1', model: t0(), from: PARENT, dst: G, src: E, want: v([], Drop.MODE_FORBIDS, true) },
    { id: 'M2', model: t0((c) => { c.R1.allmulti = true; }), from: PARENT, dst: G, src: E, want: v(flood(T0.R1), 0, true) },
    { id: 'M3', model: t0((c) => { c.V2.groups.add(G); }), from: PARENT, dst: G, src: E, want: v(flood(T0.V2), 0, true) },
    { id: 'M4 group', model: t0((c) => { c.R2.promisc = true; }), from: PARENT, dst: G_OTHER, src: E, want: v(flood(T0.R2), 0, true) },
    { id: 'M4 unk', model: t0((c) => { c.R2.promisc = true; }), from: PARENT, dst: UNK, src: E, want: v([], Drop.NO_DESTINATION, true) },
    { id: 'M5', model: t0((c) => { for (const x of Object.values(c)) x.bcQueueLen = 0; }), from: PARENT, dst: REF_BROADCAST, src: E, want: v([], Drop.QUEUE_FULL, true, true) },
    { id: 'M7', model: t0((c, m) => { for (const x of Object.values(c)) x.bcQueueLen = 0; m.bcCutoff = -1; }), from: PARENT, dst: REF_BROADCAST, src: E, want: v(flood(1, 2, 3, 4, 5, 6), 0, true) },
    { id: 'M9 pause', model: t0((c) => { c.R1.allmulti = true; }), from: PARENT, dst: 0x0180_c200_0001, src: E, type: ETHERTYPE_PAUSE_REF, want: v([], Drop.MODE_FORBIDS, true) },
    { id: 'M9 other', model: t0((c) => { c.R1.allmulti = true; }), from: PARENT, dst: 0x0180_c200_0001, src: E, want: v(flood(T0.R1), 0, true) },
    { id: 'M11', model: t0((c) => { for (const x of Object.values(c)) x.bcQueueLen = 0; }), from: T0.B1, dst: REF_BROADCAST, src: T0_MAC[1], want: v([eg(T0.B2, Egress.LOCAL_FLOOD), wire]) },
    { id: 'M12', model: t0((c) => { for (const x of Object.values(c)) x.bcQueueLen = 0; c.R2.bcQueueLen = 5; }), from: PARENT, dst: REF_BROADCAST, src: E, want: v(flood(1, 2, 3, 4, 5, 6), 0, true) },
    ...[
      { id: 'M13 G1', dst: G, want: v([], Drop.QUEUE_FULL, true, true) },
      { id: 'M13 G2', dst: G_OTHER, want: v(flood(1), 0, true) },
      { id: 'M13 bcast', dst: REF_BROADCAST, want: v([], Drop.QUEUE_FULL, true, true) },
    ].map((r) => ({
      ...r, from: PARENT, src: E,
      model: t0((c, m) => {
        m.parent.unicastFilter = true;  // a NIC: its children's MACs leave it non-promiscuous
        for (const x of Object.values(c)) x.bcQueueLen = 0;
        c.B1.groups.add(G); c.B2.groups.add(G); c.B1.groups.add(G_OTHER);
      }),
    })),
    { id: 'S1', model: ts(), from: PARENT, dst: TS_MAC[4], src: E1, want: v([...src(TS.S1, TS.S3), eg(TS.N1, Egress.UNICAST)]) },
    { id: 'S2 unk', model: ts(), from: PARENT, dst: UNK, src: E1, want: v(src(TS.S1, TS.S3), Drop.NO_DESTINATION, true) },
    { id: 'S2 P', model: ts(), from: PARENT, dst: P_MAC, src: E1, want: v(src(TS.S1, TS.S3), Drop.NO_DESTINATION, true) },
    { id: 'S3 bcast', model: ts(), from: PARENT, dst: REF_BROADCAST, src: E1, want: v([...src(TS.S1, TS.S3), ...flood(TS.N1, TS.N2, TS.N3)], 0, true) },
    { id: 'S3 group', model: ts(), from: PARENT, dst: G, src: E1, want: v(src(TS.S1, TS.S3), 0, true) },
    { id: 'S4 E1', model: ts(), from: PARENT, dst: TS_MAC[1], src: E1, want: v(src(TS.S1, TS.S3), Drop.NO_DESTINATION, true) },
    { id: 'S4 E9', model: ts(), from: PARENT, dst: TS_MAC[1], src: E9, want: v([], Drop.NO_DESTINATION, true) },
    { id: 'S5 N1', model: ts(), from: PARENT, dst: TS_MAC[4], src: E2, want: v(src(TS.S2), Drop.NODST) },
    { id: 'S5 bcast', model: ts(), from: PARENT, dst: REF_BROADCAST, src: E2, want: v(src(TS.S2), Drop.NODST) },
    { id: 'S6', model: ts((c) => { c.S2.up = false; }), from: PARENT, dst: TS_MAC[4], src: E2, want: v([], Drop.NODST) },
    { id: 'S6 bcast', model: ts((c) => { c.S2.up = false; }), from: PARENT, dst: REF_BROADCAST, src: E2, want: v([], Drop.NODST) },
    { id: 'S7', model: ts(), from: PARENT, dst: REF_BROADCAST, src: E9, want: v(flood(TS.N1, TS.N2, TS.N3), 0, true) },
    { id: 'S10 uni', model: ts(), from: TS.S1, dst: TS_MAC[4], src: TS_MAC[1], want: v([wire]) },
    { id: 'S10 bcast', model: ts(), from: TS.S1, dst: REF_BROADCAST, src: TS_MAC[1], want: v([wire]) },
    { id: 'S11', model: ts((c) => { c.S3.allow.add(TS_MAC[5]); }), from: TS.N2, dst: TS_MAC[6], src: TS_MAC[5], want: v([eg(TS.N3, Egress.LOCAL_UNICAST), ...src(TS.S3)]) },
    { id: 'S12', model: ts((c) => { c.S3.allow.add(TS_MAC[5]); }), from: TS.N2, dst: REF_BROADCAST, src: TS_MAC[5], want: v([eg(TS.N3, Egress.LOCAL_FLOOD), wire]) },
    { id: 'S13', model: ts(), from: PARENT, dst: REF_BROADCAST, src: TS_MAC[1], want: v([eg(TS.S1, Egress.ORIGIN_ONLY)]) },
    { id: 'P3', model: tp(), from: PARENT, dst: P2_MAC, src: E, want: v([eg(1, Egress.UNICAST)]) },
    { id: 'P4', model: tp(), from: PARENT, dst: UNK, src: E, want: v([eg(1, Egress.UNICAST)]) },
    { id: 'P5 bcast', model: tp(), from: PARENT, dst: REF_BROADCAST, src: E, want: v(flood(1), 0, true) },
    { id: 'P5 group', model: tp(), from: PARENT, dst: G, src: E, want: v([], Drop.MODE_FORBIDS, true) },
    { id: 'P6', model: tp(), from: PARENT, dst: REF_BROADCAST, src: P2_MAC, want: v([eg(1, Egress.ORIGIN_ONLY)]) },
    { id: 'P7 uni', model: tp(), from: 1, dst: E, src: P2_MAC, want: v([wire]) },
    { id: 'P7 bcast', model: tp(), from: 1, dst: REF_BROADCAST, src: P2_MAC, want: v([wire]) },
    { id: 'P8 P', model: tp(false), from: PARENT, dst: P2_MAC, src: E, want: v([], Drop.PASSTHRU_DOWN) },
    { id: 'P8 unk', model: tp(false), from: PARENT, dst: UNK, src: E, want: v([], Drop.PASSTHRU_DOWN) },
    { id: 'P8 bcast', model: tp(false), from: PARENT, dst: REF_BROADCAST, src: E, want: v([], Drop.MODE_FORBIDS, true) },
  ];

  function modelAnswer(r: CaseRow): string {
    const b = buildFrame({ dst: r.dst, src: r.src, type: r.type, len: 100 });
    return verdictText(expected(r.model, r.from, { b, at: 0, len: b.length, gso: false }));
  }

  test.each(MODEL_CASES.map((r) => [r.id, r] as const))('%s', (_id, r) => {
    expect(modelAnswer(r)).toBe(verdictText(r.want));
  });
});

// ---------------------------------------------------------------------------------------------------------------

const P_MAC = 0x02cc_0000_0001;
const CHILD_MAC = [0, 0x02aa_0000_0001, 0x02aa_0000_0002, 0x02aa_0000_0003];
const EXTERNAL = 0x02ee_0000_0001;
const UNKNOWN_DST = 0x02ee_0000_0077;
/** MAC on source child k's allow-list (k = 1..3) */
const LISTED = [0, 0x02dd_0000_0001, 0x02dd_0000_0002, 0x02dd_0000_0003];
const G_ONE = 0x0100_5e11_2233; //  joined by child 2 (by the passthru child when it is alone)
const G_TWO = 0x0100_5e00_00fb; //  joined by children 1 and 2: held 2 > default cutoff 1
const G_NONE = 0x0100_5e44_5566; // joined by nobody
const SMALL_MTU = 576;
const LARGE = 1000;

interface Scenario {
  name: string;
  /** the parent: a NIC (unicast filter), the same set PROMISC, or a veth (none: an UP child's MAC opens it) */
  lower: 'nic' | 'nicPromisc' | 'veth';
  /** NOPROMISC on a passthru child */
  nopromisc: boolean;
  cutoff: number;
  qlen: number;
  /** slot of the DOWN child, 0 = none */
  down: number;
  /** 'smallRx': the last child has a small MTU and the frame is large; 'smallParent': P has */
  mtu: 'plain' | 'smallRx' | 'smallRxGso' | 'smallParent';
  parent: 'ok' | 'noCarrier' | 'downWithCarrier';
  frame: 'plain' | 'pause' | 'tagged' | 'runt';
  filters: 'none' | 'allmultiLast' | 'promiscFirst';
}

const BASE: Scenario = {
  name: 'base', lower: 'nic', nopromisc: false, cutoff: 1, qlen: 1000, down: 0, mtu: 'plain', parent: 'ok', frame: 'plain', filters: 'none',
};

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  // What meets in the Q table (§3.2), the hold counts (§3.1) and the X1 MTU check is crossed: the parent's kind,
  // bc_cutoff, queue length, which child is DOWN (its groups stop counting), a small-MTU receiver with a large frame.
  for (const lower of ['nic', 'nicPromisc', 'veth'] as const) for (const cutoff of [-1, 0, 1]) for (const qlen of [1000, 0]) {
    for (const down of [0, 1, 2, 3]) for (const mtu of ['plain', 'smallRx'] as const) {
      out.push({ ...BASE, lower, cutoff, qlen, down, mtu, name: `lower=${lower} cutoff=${cutoff} qlen=${qlen} down=${down} mtu=${mtu}` });
    }
  }
  // The rest, one at a time on the default port.
  const singles: Partial<Scenario>[] = [
    { mtu: 'smallRxGso' }, { mtu: 'smallParent' }, { mtu: 'smallParent', lower: 'nicPromisc' },
    { parent: 'noCarrier' }, { parent: 'downWithCarrier' }, { parent: 'noCarrier', down: 1 },
    { frame: 'pause' }, { frame: 'pause', filters: 'allmultiLast' }, { frame: 'pause', lower: 'nicPromisc' },
    { frame: 'tagged' }, { frame: 'tagged', qlen: 0 }, { frame: 'runt' },
    { filters: 'allmultiLast' }, { filters: 'promiscFirst' }, { filters: 'allmultiLast', down: 3 },
    { cutoff: 2 }, { cutoff: -5, qlen: 0 },
    // a passthru child without NOPROMISC opens the parent; with it, on a veth too, the hold counts decide (§3.1)
    { nopromisc: true }, { nopromisc: true, qlen: 0 }, { nopromisc: true, cutoff: 0, qlen: 0 },
    { nopromisc: true, lower: 'veth', qlen: 0 }, { nopromisc: true, lower: 'veth', cutoff: 0, qlen: 0 },
    { nopromisc: true, lower: 'veth', filters: 'allmultiLast', qlen: 0 }, { nopromisc: true, filters: 'promiscFirst', qlen: 0 },
    { lower: 'veth', filters: 'allmultiLast', down: 1 },
  ];
  for (const s of singles) out.push({ ...BASE, ...s, name: Object.entries(s).map(([k, x]) => `${k}=${x}`).join(' ') });
  return out;
}

function buildModel(modes: readonly ModeName[], nodst: boolean, sc: Scenario): RefModel {
  const alone = modes.length === 1;
  const last = modes.length;
  const firstSource = modes.indexOf('source') + 1; // 0 when none
  const children: RefChild[] = modes.map((mode, k) => {
    const slot = k + 1;
    const c = refChild(slot, alone ? P_MAC : CHILD_MAC[slot], mode, { bcQueueLen: sc.qlen });
    if (mode === 'source') c.allow = new Set([LISTED[slot], CHILD_MAC[(slot % 3) + 1]]); // a sibling's MAC too: SR6
    if (nodst && slot === firstSource) c.flags |= Flag.NODST;
    if (alone ? slot === 1 : slot === 2) c.groups.add(G_ONE);
    if (!alone && slot <= 2) c.groups.add(G_TWO);
    if (sc.down === slot) c.up = false;
    if ((sc.mtu === 'smallRx' || sc.mtu === 'smallRxGso') && slot === last) c.mtu = SMALL_MTU;
    if (sc.filters === 'allmultiLast' && slot === last) c.allmulti = true;
    if (sc.filters === 'promiscFirst' && slot === 1) c.promisc = true;
    if (sc.nopromisc && mode === 'passthru') c.flags |= Flag.NOPROMISC;
    return c;
  });
  return {
    maxChildren: 8,
    bcCutoff: sc.cutoff,
    children,
    parent: {
      mac: P_MAC,
      mtu: sc.mtu === 'smallParent' ? SMALL_MTU : 1500,
      up: sc.parent !== 'downWithCarrier' ? true : false,
      carrier: sc.parent !== 'noCarrier',
      promiscuous: sc.lower === 'nicPromisc',
      unicastFilter: sc.lower !== 'veth',
    },
  };
}

function frameFor(sc: Scenario, dst: number, src: number): { b: Uint8Array; gso: boolean } {
  const large = sc.mtu !== 'plain';
  const b = buildFrame({
    dst, src,
    type: sc.frame === 'pause' ? ETHERTYPE_PAUSE_REF : undefined,
    vid: sc.frame === 'tagged' ? 5 : undefined,
    len: sc.frame === 'runt' ? 13 : large ? LARGE : 100,
  });
  return { b, gso: sc.mtu === 'smallRxGso' };
}

const sameVerdict = (a: RefVerdict, b: RefVerdict): boolean => {
  if (a.reason !== b.reason || a.toHost !== b.toHost || a.parentRxDropped !== b.parentRxDropped) return false;
  if (a.egress.length !== b.egress.length) return false;
  const x = canonical(a).egress, y = canonical(b).egress;
  return x.every((e, i) => e.port === y[i].port && e.kind === y[i].kind && e.drop === y[i].drop);
};

// ---------------------------------------------------------------------------------------------------------------

const THREE: readonly ModeName[] = ['private', 'vepa', 'bridge', 'source'];
const CONFIGS: ModeName[][] = [];
for (const a of THREE) for (const b of THREE) for (const c of THREE) CONFIGS.push([a, b, c]);
CONFIGS.push(['passthru']);

const SCENARIOS = scenarios();
let checked = 0;
let tables = 0;

afterAll(() => {
  // The report asks for this number; keep it visible in the test output.
  console.log(`exhaustive: ${checked} verdicts compared over ${tables} port tables (${CONFIGS.length} mode sets, ${SCENARIOS.length} scenarios)`);
});

describe('decide() agrees with the reference model on every combination', () => {
  test.each(CONFIGS.map((m) => [m.join('/'), m] as const))('%s', (_name, modes) => {
    const mismatches: string[] = [];
    let count = 0;
    const hasSource = modes.includes('source');
    const v = new Verdict(64);
    SCENARIOS.forEach((sc, si) => {
      if (sc.down > modes.length) return;
      for (const nodst of hasSource ? [false, true] : [false]) {
        const model = buildModel(modes, nodst, sc);
        const churn = si % 2 === 1;
        const t = toPortTable(model, (n) => new PortTable(n), churn);
        tables++;
        const n = modes.length;
        const dsts: Array<[string, number]> = [
          ...modes.map((_, k): [string, number] => [`c${k + 1}`, model.children[k].mac]),
          ['P', P_MAC], ['unknown', UNKNOWN_DST], ['broadcast', REF_BROADCAST],
          ['G_ONE', G_ONE], ['G_TWO', G_TWO], ['G_NONE', G_NONE],
        ];
        const srcs: Array<[string, number]> = [
          ['external', EXTERNAL],
          ...modes.map((_, k): [string, number] => [`c${k + 1}`, model.children[k].mac]),
          ...modes.flatMap((m, k): Array<[string, number]> => (m === 'source' ? [[`listed${k + 1}`, LISTED[k + 1]]] : [])),
        ];
        for (const [dn, dst] of dsts) {
          for (const [sn, src] of srcs) {
            const { b, gso } = frameFor(sc, dst, src);
            for (let from = 0; from <= n; from++) {
              const want = expected(model, from, { b, at: 0, len: b.length, gso });
              const ret = decide(t, from, b, 0, b.length, gso, v);
              const got = readVerdict(v);
              count++;
              if (ret !== v.n || !sameVerdict(want, got)) {
                mismatches.push(
                  `[${sc.name}${nodst ? ' nodst' : ''}${churn ? ' churn' : ''}] from ${from === PARENT ? 'parent' : `c${from}`} ` +
                  `dst ${dn}(${macText(dst)}) src ${sn}(${macText(src)}) len ${b.length}${gso ? ' gso' : ''}: ` +
                  `want ${verdictText(want)} got ${verdictText(got)}${ret !== v.n ? ` (returned ${ret}, n ${v.n})` : ''}` +
                  `\n    table: ${describeModel(model)}`,
                );
              }
            }
          }
        }
      }
    });
    checked += count;
    expect(count).toBeGreaterThan(modes.length === 1 ? 1000 : 10_000);
    expect(mismatches.length, `${mismatches.length} of ${count} differ; first:\n${mismatches.slice(0, 12).join('\n')}`).toBe(0);
  });
});
