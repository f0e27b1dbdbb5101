// The parent's wanted memberships (core/memberships.ts): every combination of a child's state against the kernel's
// rules stated independently here, and the diff between two membership sets checked as a set difference over random
// inputs (fast-check, fixed seed).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Flag, Mode, type ModeBit } from '../../../src/core/constants.js';
import { PortTable } from '../../../src/core/port-table.js';
import {
  NO_MEMBERSHIPS, membershipChanges, wantedMemberships, type MembershipChange, type Memberships,
} from '../../../src/core/memberships.js';

const MAC = 0x02aa_0000_0001;
const GROUPS = [0x0100_5e00_0001, 0x3333_0000_0001];
const MODES: ModeBit[] = [Mode.PRIVATE, Mode.VEPA, Mode.BRIDGE, Mode.PASSTHRU, Mode.SOURCE];

interface Case { mode: ModeBit; flags: number; up: boolean; promisc: boolean; allmulti: boolean; groups: number[] }

function tableFor(c: Case): PortTable {
  const t = new PortTable(4);
  t.addChild(2, { mac: MAC, mode: c.mode, flags: c.flags, mtu: 1500 });
  t.setGroups(2, c.groups);
  t.setPromisc(2, c.promisc);
  t.setAllmulti(2, c.allmulti);
  t.setUp(2, c.up);
  return t;
}

/** Every combination of mode, flags, UP, promisc, allmulti and group list (5 × 4 × 2 × 2 × 2 × 4 = 640 cases) */
function* allCases(): Generator<Case> {
  const groupSets = [[], [GROUPS[0]], [GROUPS[1]], GROUPS];
  for (const mode of MODES) for (const flags of [0, Flag.NOPROMISC, Flag.NODST, Flag.NOPROMISC | Flag.NODST])
    for (const up of [false, true]) for (const promisc of [false, true]) for (const allmulti of [false, true])
      for (const groups of groupSets) yield { mode, flags, up, promisc, allmulti, groups };
}

describe('wantedMemberships: every child state', () => {
  test('a DOWN child holds nothing; an UP one holds what macvlan_open and the rx-mode sync give the lower device', () => {
    let n = 0;
    for (const c of allCases()) {
      n++;
      const got = wantedMemberships(tableFor(c), 2);
      if (!c.up) { expect(got, JSON.stringify(c)).toEqual(NO_MEMBERSHIPS); continue; }
      const passthru = c.mode === Mode.PASSTHRU;
      expect(got, JSON.stringify(c)).toEqual({
        promisc: passthru ? (c.flags & Flag.NOPROMISC) === 0 : c.promisc,
        allmulti: c.allmulti,
        unicast: passthru ? [] : [MAC],
        multicast: [...c.groups].sort((a, b) => a - b),
      });
    }
    expect(n).toBe(640);
  });

  test('an unused slot holds nothing, and other slots do not leak into a child', () => {
    const t = tableFor({ mode: Mode.BRIDGE, flags: 0, up: true, promisc: true, allmulti: true, groups: GROUPS });
    expect(wantedMemberships(t, 1)).toEqual(NO_MEMBERSHIPS);
    t.addChild(3, { mac: MAC + 1, mode: Mode.VEPA, flags: 0, mtu: 1500 });
    t.setUp(3, true);
    expect(wantedMemberships(t, 3)).toEqual({ promisc: false, allmulti: false, unicast: [MAC + 1], multicast: [] });
  });
});

/** A membership set as comparable keys */
function keys(m: Memberships): Set<string> {
  const out = new Set<string>();
  if (m.promisc) out.add('promisc');
  if (m.allmulti) out.add('allmulti');
  for (const mac of m.unicast) out.add(`unicast ${mac}`);
  for (const mac of m.multicast) out.add(`multicast ${mac}`);
  return out;
}
const keyOf = (c: MembershipChange): string => ('mac' in c ? `${c.kind} ${c.mac}` : c.kind);

const macs = fc.uniqueArray(fc.constantFrom(0x0100_5e00_0001, 0x0100_5e00_0002, 0x02aa_0000_0001, 0x02aa_0000_0002, 0x3333_0000_0001), { maxLength: 4 });
const memberships: fc.Arbitrary<Memberships> = fc.record({ promisc: fc.boolean(), allmulti: fc.boolean(), unicast: macs, multicast: macs });

describe('membershipChanges', () => {
  test('applied to what is held, the changes give what is wanted, each key once, drops before adds', () => {
    fc.assert(fc.property(memberships, memberships, (held, want) => {
      const changes = membershipChanges(held, want);
      const now = keys(held);
      for (const c of changes) {
        const k = keyOf(c);
        if (c.add) { expect(now.has(k)).toBe(false); now.add(k); } else { expect(now.has(k)).toBe(true); now.delete(k); }
      }
      expect(now).toEqual(keys(want));
      const firstAdd = changes.findIndex((c) => c.add);
      expect(firstAdd < 0 || changes.slice(firstAdd).every((c) => c.add)).toBe(true);
      expect(new Set(changes.map(keyOf)).size).toBe(changes.length);
    }), { seed: 20240607, numRuns: 2000 });
  });

  test('nothing changes between equal sets; from nothing every membership is an add, to nothing a drop', () => {
    fc.assert(fc.property(memberships, (m) => {
      expect(membershipChanges(m, { ...m, unicast: [...m.unicast].reverse(), multicast: [...m.multicast].reverse() })).toEqual([]);
      const fromNothing = membershipChanges(NO_MEMBERSHIPS, m);
      expect(fromNothing.every((c) => c.add)).toBe(true);
      expect(fromNothing.map(keyOf).sort()).toEqual([...keys(m)].sort());
      expect(membershipChanges(m, NO_MEMBERSHIPS).every((c) => !c.add)).toBe(true);
      expect(membershipChanges(m, NO_MEMBERSHIPS).length).toBe(keys(m).size);
    }), { seed: 7, numRuns: 1000 });
  });

  test('a MAC move drops the old unicast address before adding the new one', () => {
    const a: Memberships = { promisc: false, allmulti: false, unicast: [1], multicast: [] };
    expect(membershipChanges(a, { ...a, unicast: [2] })).toEqual([
      { kind: 'unicast', add: false, mac: 1 }, { kind: 'unicast', add: true, mac: 2 },
    ]);
  });
});
