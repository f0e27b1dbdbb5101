// Replication of the port table to the worker (datapath/messages.ts): a change made on the control side and the
// same message, cloned as postMessage clones it and replayed on a replica, leave two tables that agree — in their
// primary state (snapshot) and in what the hot path reads from the derived indexes.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Flag, Mode } from '../../../src/core/constants.js';
import { PortTable } from '../../../src/core/port-table.js';
import { applyTableOp, type TableOp, type TableOpOf, type TableMutator, type MutatorArgs } from '../../../src/datapath/messages.js';

const SLOTS = 6;
const MACS = [0x02aa_0000_0001, 0x02aa_0000_0002, 0x02aa_0000_0003, 0x0100_5e00_0001, 0x3333_0000_0001];
const op = <K extends TableMutator>(method: K, ...args: MutatorArgs[K]): TableOpOf<K> => ({ op: 'table', method, args });

const slot = fc.integer({ min: 1, max: SLOTS });
const mac = fc.constantFrom(...MACS);
const on = fc.boolean();
const anyOp: fc.Arbitrary<TableOp> = fc.oneof(
  fc.record({ i: slot, mac, mode: fc.constantFrom(Mode.PRIVATE, Mode.VEPA, Mode.BRIDGE, Mode.PASSTHRU, Mode.SOURCE), flags: fc.constantFrom(0, Flag.NOPROMISC, Flag.NODST), mtu: fc.integer({ min: 68, max: 9000 }) })
    .map(({ i, ...spec }) => op('addChild', i, spec)),
  slot.map((i) => op('removeChild', i)),
  fc.tuple(slot, on).map(([i, v]) => op('setUp', i, v)),
  fc.tuple(slot, mac).map(([i, m]) => op('setMac', i, m)),
  fc.tuple(slot, fc.constantFrom(Mode.PRIVATE, Mode.BRIDGE, Mode.SOURCE)).map(([i, m]) => op('setMode', i, m)),
  fc.tuple(slot, fc.constantFrom(0, Flag.NODST)).map(([i, f]) => op('setFlags', i, f)),
  fc.tuple(slot, fc.integer({ min: 68, max: 9000 })).map(([i, m]) => op('setMtu', i, m)),
  fc.tuple(slot, on).map(([i, v]) => op('setPromisc', i, v)),
  fc.tuple(slot, on).map(([i, v]) => op('setAllmulti', i, v)),
  fc.tuple(slot, fc.uniqueArray(mac, { maxLength: 3 })).map(([i, g]) => op('setGroups', i, g)),
  fc.tuple(slot, mac).map(([i, m]) => op('sourceAdd', i, m)),
  fc.tuple(slot, mac).map(([i, m]) => op('sourceDel', i, m)),
  slot.map((i) => op('sourceFlush', i)),
  fc.record({ mtu: fc.integer({ min: 68, max: 9000 }), mac, up: on }).map((p) => op('setParent', p)),
);

function view(t: PortTable): unknown {
  const slots = Array.from({ length: SLOTS }, (_, k) => k + 1);
  return {
    snapshot: t.snapshot(),
    lookup: MACS.map((m) => t.lookup(m)),
    held: MACS.map((m) => t.held(m)),
    groups: slots.map((i) => (t.used[i] ? t.groupsOf(i) : [])),
    sources: slots.map((i) => (t.used[i] ? t.sourceList(i) : [])),
    up: Array.from(t.upList.subarray(0, t.upCount)),
    passthru: t.passthru,
    bcQueueLimit: t.bcQueueLimit,
  };
}

describe('table replication', () => {
  test('a replica replaying the cloned messages agrees with the table that made them', () => {
    fc.assert(fc.property(fc.array(anyOp, { maxLength: 60 }), (ops) => {
      const control = new PortTable(SLOTS);
      const replica = PortTable.fromSnapshot(structuredClone(control.snapshot()));
      for (const m of ops) {
        // A change the table refuses (a slot not in use) is never posted: the control side applies first.
        try { applyTableOp(control, m); } catch { continue; }
        applyTableOp(replica, structuredClone(m));
      }
      expect(view(replica)).toEqual(view(control));
    }), { seed: 4242, numRuns: 500 });
  });

  test('the replayed call is the named method with its own arguments', () => {
    const t = new PortTable(SLOTS);
    applyTableOp(t, op('addChild', 3, { mac: MACS[0], mode: Mode.BRIDGE, flags: 0, mtu: 1400 }));
    applyTableOp(t, op('setUp', 3, true));
    expect([t.used[3], t.mode[3], t.mtu[3], t.lookup(MACS[0])]).toEqual([1, Mode.BRIDGE, 1400, 3]);
    expect(() => applyTableOp(t, op('setUp', 4, true))).toThrow();
  });
});
