// rules.ts: every check returns the kernel's errno with a stable code, the field and the slot, and never throws.

import { describe, expect, it } from 'vitest';
import { Flag, Mode } from '../../../src/core/constants.js';
import type { ModeBit } from '../../../src/core/constants.js';
import { PortTable } from '../../../src/core/port-table.js';
import {
  MTU_MIN, RuleError, checkAdd, checkBcCutoff, checkBcQueueLen, checkChange, checkFlags, checkMacValue, checkModeValue,
  checkSetBcCutoff, checkSetBcQueueLen, checkSetFlags, checkSetMac, checkSetMode, checkSetMtu, checkSourceOp, checkUp,
  randomMac, withDefaults,
} from '../../../src/core/rules.js';
import { isGroupMac } from '../../../src/wire/ethernet.js';
import { m } from '../helpers/frames.js';

const P = m('02:cc:00:00:00:01');
const A = m('02:aa:00:00:00:01');
const B = m('02:aa:00:00:00:02');

function table(children: Array<{ mac: number; mode?: ModeBit; up?: boolean }>): PortTable {
  const t = new PortTable(8);
  t.setParent({ mac: P, mtu: 1500 });
  children.forEach((c, k) => {
    t.addChild(k + 1, { mac: c.mac, mode: c.mode ?? Mode.VEPA, flags: 0, mtu: 1500 });
    if (c.up !== false) t.setUp(k + 1, true);
  });
  return t;
}

const shape = (e: RuleError | null) => (e === null ? null : [e.code, e.errno, e.field, e.slot]);

describe('RuleError', () => {
  it('is an Error with a stable code, errno, field, slot and a one-line message', () => {
    const e = checkSetMtu(table([{ mac: A }]), 1, 9000);
    expect(e).toBeInstanceOf(RuleError);
    expect(e).toBeInstanceOf(Error);
    expect([e?.name, e?.code, e?.errno, e?.field, e?.slot]).toEqual(['RuleError', 'UMV_ERR_MTU', 'EINVAL', 'mtu', 1]);
    expect(e?.message).toMatch(/^[^\n]+$/);
    expect(e?.message).toContain('1500');
  });
});

describe('attribute syntax (macvlan_validate)', () => {
  it('MACs: unicast non-zero 48-bit only', () => {
    expect(checkMacValue(A, 'mac', 1)).toBeNull();
    expect(shape(checkMacValue(0, 'mac', 1))).toEqual(['UMV_ERR_BAD_MAC', 'EADDRNOTAVAIL', 'mac', 1]);
    expect(checkMacValue(m('01:00:5e:00:00:01'), 'mac', 1)?.errno).toBe('EADDRNOTAVAIL');
    expect(checkMacValue(0xffff_ffff_ffff, 'mac', 1)?.errno).toBe('EADDRNOTAVAIL');
    for (const bad of [-1, 2 ** 48, 1.5, NaN]) expect(checkMacValue(bad, 'mac', 1)?.errno).toBe('EINVAL');
  });

  it('modes: exactly one of 1, 2, 4, 8, 16', () => {
    for (const ok of [1, 2, 4, 8, 16]) expect(checkModeValue(ok, 1)).toBeNull();
    for (const bad of [0, 3, 5, 32, -1, 1.5]) expect(shape(checkModeValue(bad, 1))).toEqual(['UMV_ERR_BAD_MODE', 'EINVAL', 'mode', 1]);
  });

  it('flags: only NOPROMISC | NODST', () => {
    for (const ok of [0, 1, 2, 3]) expect(checkFlags(ok, 1)).toBeNull();
    for (const bad of [4, 8, 0x10000, -1, 0.5]) expect(shape(checkFlags(bad, 1))).toEqual(['UMV_ERR_FLAGS', 'EINVAL', 'flags', 1]);
  });

  it('bcqueuelen is a u32, bclim an s32', () => {
    expect(checkBcQueueLen(0, 1)).toBeNull();
    expect(checkBcQueueLen(0xffff_ffff, 1)).toBeNull();
    for (const bad of [-1, 2 ** 32, 0.5]) expect(checkBcQueueLen(bad, 1)?.code).toBe('UMV_ERR_BAD_VALUE');
    for (const ok of [-(2 ** 31), -1, 0, 1, 2 ** 31 - 1]) expect(checkBcCutoff(ok, 1)).toBeNull();
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 0.5]) expect(checkBcCutoff(bad, 1)?.errno).toBe('EINVAL');
  });
});

describe('checkAdd (lifecycle.md §1.1, §1.2)', () => {
  it('accepts duplicates of an UP child\'s or the parent\'s MAC: creation does not check (§1.2 note)', () => {
    const t = table([{ mac: A }]);
    expect(checkAdd(t, { mac: A })).toBeNull();
    expect(checkAdd(t, { mac: P })).toBeNull();
  });

  it('syntax comes first: bad MAC, flags, mode, source MACs, bcqueuelen', () => {
    const t = table([]);
    expect(checkAdd(t, { mac: m('01:00:00:00:00:01'), flags: 4 })?.code).toBe('UMV_ERR_BAD_MAC');
    expect(checkAdd(t, { flags: 4, mode: 3 as ModeBit })?.code).toBe('UMV_ERR_FLAGS');
    expect(checkAdd(t, { mode: 3 as ModeBit })?.code).toBe('UMV_ERR_BAD_MODE');
    expect(checkAdd(t, { mode: Mode.SOURCE, sourceOp: 'add', sourceMacs: [0] })?.errno).toBe('EADDRNOTAVAIL');
    expect(checkAdd(t, { bcQueueLen: -1 })?.code).toBe('UMV_ERR_BAD_VALUE');
    // syntax before the passthru rule: the kernel validates before newlink
    expect(checkAdd(table([{ mac: A, mode: Mode.PASSTHRU }]), { flags: 8 })?.code).toBe('UMV_ERR_FLAGS');
  });

  it('step 3: MTU 68 … parent\'s MTU', () => {
    const t = table([]);
    expect(checkAdd(t, { mtu: 1500 })).toBeNull();
    expect(checkAdd(t, { mtu: MTU_MIN })).toBeNull();
    expect(shape(checkAdd(t, { mtu: 1501 }))).toEqual(['UMV_ERR_MTU', 'EINVAL', 'mtu', -1]);
    expect(checkAdd(t, { mtu: 67 })?.code).toBe('UMV_ERR_MTU');
  });

  it('steps 6 and 8: passthru alone', () => {
    expect(checkAdd(table([]), { mode: Mode.PASSTHRU })).toBeNull();
    expect(checkAdd(table([{ mac: A, up: false }]), { mode: Mode.PASSTHRU })?.code).toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
    const pt = table([{ mac: P, mode: Mode.PASSTHRU, up: false }]);
    expect([checkAdd(pt, { mode: Mode.PASSTHRU })?.code, checkAdd(pt, { mode: Mode.PASSTHRU })?.message])
      .toEqual(['UMV_ERR_PASSTHRU_NOT_ALONE', 'the port already has a passthru child']);
    expect([checkAdd(pt, {})?.code, checkAdd(pt, {})?.message])
      .toEqual(['UMV_ERR_PASSTHRU_NOT_ALONE', 'a passthru child must be the only child of its parent']);
  });

  it('step 9: a source op needs mode source, then the op\'s shape', () => {
    const t = table([]);
    expect(checkAdd(t, { mode: Mode.SOURCE, sourceOp: 'add', sourceMacs: [A] })).toBeNull();
    expect(checkAdd(t, { mode: Mode.SOURCE, sourceOp: 'set', sourceMacs: [A, B] })).toBeNull();
    expect(checkAdd(t, { sourceOp: 'flush' })?.code).toBe('UMV_ERR_NOT_SOURCE'); // default mode vepa
    expect(checkAdd(t, { mode: Mode.SOURCE, sourceOp: 'add', sourceMacs: [] })?.code).toBe('UMV_ERR_SOURCE_OP');
    expect(checkAdd(t, { mode: Mode.SOURCE, sourceOp: 'flush', sourceMacs: [A] })?.code).toBe('UMV_ERR_SOURCE_OP');
  });

  it('no free slot → ENOSPC (our limit, not the kernel\'s)', () => {
    const t = new PortTable(1);
    t.addChild(1, { mac: A, mode: Mode.VEPA, flags: 0, mtu: 1500 });
    expect(shape(checkAdd(t, {}))).toEqual(['UMV_ERR_NO_SLOT', 'ENOSPC', 'slot', -1]);
  });
});

describe('withDefaults / randomMac (§1.2 steps 3, 4, 7, 8, 10)', () => {
  it('fills mode vepa, flags 0, the parent\'s MTU, bcqueuelen 1000; keeps what is given', () => {
    const t = table([]);
    expect(withDefaults(t, { mac: A })).toEqual({ mac: A, mode: Mode.VEPA, flags: 0, mtu: 1500, bcQueueLen: 1000 });
    expect(withDefaults(t, { mac: A, mode: Mode.BRIDGE, flags: 2, mtu: 1400, bcQueueLen: 0 }))
      .toEqual({ mac: A, mode: Mode.BRIDGE, flags: 2, mtu: 1400, bcQueueLen: 0 });
  });

  it('passthru takes the parent\'s MAC; no MAC → random locally administered unicast', () => {
    const t = table([]);
    expect(withDefaults(t, { mode: Mode.PASSTHRU, mac: A }).mac).toBe(P);
    let k = 0;
    const seq = [0.999, 0.5, 0.25, 0.125, 0.0625, 0.9];
    const mac = withDefaults(t, {}, () => seq[k++ % seq.length]).mac;
    expect(checkMacValue(mac, 'mac', -1)).toBeNull();
    expect(Math.floor(mac / 2 ** 40) & 0x03).toBe(0x02);
    for (let i = 0; i < 200; i++) {
      const r = randomMac();
      expect(isGroupMac(r)).toBe(false);
      expect(Math.floor(r / 2 ** 40) & 0x02).toBe(0x02);
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(2 ** 48);
    }
    expect(randomMac(() => 0)).toBe(0x0200_0000_0001); // never the all-zero host part
  });
});

describe('checkUp (§2)', () => {
  it('EADDRINUSE for the parent\'s MAC or an UP child\'s MAC; a DOWN sibling\'s MAC is free', () => {
    const t = table([{ mac: A }, { mac: A, up: false }, { mac: P, up: false }, { mac: B, up: false }]);
    expect(shape(checkUp(t, 2))).toEqual(['UMV_ERR_DUP_MAC', 'EADDRINUSE', 'mac', 2]);
    expect(checkUp(t, 3)?.errno).toBe('EADDRINUSE');
    expect(checkUp(t, 4)).toBeNull();
    expect(checkUp(t, 1)).toBeNull(); // already UP: nothing to do
    t.setUp(1, false);
    expect(checkUp(t, 2)).toBeNull();
  });

  it('passthru is never busy; unknown slots are ENODEV', () => {
    const t = table([{ mac: P, mode: Mode.PASSTHRU, up: false }]);
    expect(checkUp(t, 1)).toBeNull();
    expect(shape(checkUp(t, 2))).toEqual(['UMV_ERR_NO_CHILD', 'ENODEV', 'slot', 2]);
    expect(checkUp(t, 0)?.code).toBe('UMV_ERR_NO_CHILD');
    expect(checkUp(t, 99)?.code).toBe('UMV_ERR_NO_CHILD');
  });
});

describe('checkSetMac (§3 A1–A4)', () => {
  it('A1 bad MAC; A2 same MAC is a no-op even if busy elsewhere; A4 busy also while DOWN', () => {
    const t = table([{ mac: A }, { mac: A, up: false }, { mac: B, up: false }]);
    expect(checkSetMac(t, 1, m('03:00:00:00:00:01'))?.errno).toBe('EADDRNOTAVAIL');
    expect(checkSetMac(t, 1, 0)?.errno).toBe('EADDRNOTAVAIL');
    expect(checkSetMac(t, 2, A)).toBeNull(); // A2: its own current MAC
    expect(checkSetMac(t, 3, A)?.errno).toBe('EADDRINUSE');
    expect(checkSetMac(t, 3, P)?.errno).toBe('EADDRINUSE');
    expect(checkSetMac(t, 1, m('02:aa:00:00:00:09'))).toBeNull();
  });

  it('A3 passthru: allowed, the parent takes it', () => {
    const t = table([{ mac: P, mode: Mode.PASSTHRU }]);
    expect(checkSetMac(t, 1, A)).toBeNull();
    expect(checkSetMac(t, 1, m('01:00:00:00:00:01'))?.errno).toBe('EADDRNOTAVAIL');
  });
});

describe('changelink (§4)', () => {
  it('mode transitions table', () => {
    const modes = [Mode.PRIVATE, Mode.VEPA, Mode.BRIDGE, Mode.SOURCE];
    for (const from of modes) {
      const t = table([{ mac: A, mode: from }]);
      for (const to of modes) expect(checkSetMode(t, 1, to), `${from} → ${to}`).toBeNull();
      expect(checkSetMode(t, 1, Mode.PASSTHRU)?.code).toBe('UMV_ERR_MODE_CHANGE');
    }
    const pt = table([{ mac: P, mode: Mode.PASSTHRU }]);
    for (const to of modes) expect(shape(checkSetMode(pt, 1, to))).toEqual(['UMV_ERR_MODE_CHANGE', 'EINVAL', 'mode', 1]);
    expect(checkSetMode(pt, 1, Mode.PASSTHRU)).toBeNull();
    expect(checkSetMode(pt, 1, 6)?.code).toBe('UMV_ERR_BAD_MODE');
  });

  it('flags, MTU, bcqueuelen, bclim per child', () => {
    const t = table([{ mac: A }]);
    expect(checkSetFlags(t, 1, Flag.NODST | Flag.NOPROMISC)).toBeNull();
    expect(checkSetFlags(t, 1, 4)?.code).toBe('UMV_ERR_FLAGS');
    expect(checkSetFlags(t, 2, 0)?.code).toBe('UMV_ERR_NO_CHILD');
    expect(checkSetMtu(t, 1, 1500)).toBeNull();
    expect(checkSetMtu(t, 1, 1501)?.errno).toBe('EINVAL');
    expect(checkSetBcQueueLen(t, 1, 0)).toBeNull();
    expect(checkSetBcQueueLen(t, 1, -3)?.errno).toBe('EINVAL');
    expect(checkSetBcCutoff(t, 1, -5)).toBeNull();
  });

  it('source ops: MACs first (validate), then mode after the update must be SOURCE, then the op shape', () => {
    const t = table([{ mac: A, mode: Mode.VEPA }, { mac: B, mode: Mode.SOURCE }]);
    expect(checkSourceOp(t, 1, Mode.VEPA, [0], 'add')?.errno).toBe('EADDRNOTAVAIL');
    expect(shape(checkSourceOp(t, 1, Mode.VEPA, [m('02:ee:00:00:00:01')], 'add'))).toEqual(['UMV_ERR_NOT_SOURCE', 'EINVAL', 'macaddr', 1]);
    expect(checkSourceOp(t, 1, Mode.SOURCE, [m('02:ee:00:00:00:01')], 'add')).toBeNull(); // vepa → source in one request
    expect(checkSourceOp(t, 2, Mode.VEPA, [], 'flush')?.code).toBe('UMV_ERR_NOT_SOURCE'); // source → vepa + op
    expect(checkSourceOp(t, 2, Mode.SOURCE, [], 'del')?.code).toBe('UMV_ERR_SOURCE_OP');
    expect(checkSourceOp(t, 2, Mode.SOURCE, [], 'set')).toBeNull();
    expect(checkSourceOp(t, 2, Mode.SOURCE, [m('02:ee:00:00:00:01'), m('02:ee:00:00:00:02')])).toBeNull();
  });

  it('checkChange: syntax of every attribute first, then the transition, then the source op with the new mode', () => {
    const t = table([{ mac: A, mode: Mode.BRIDGE }, { mac: P, mode: Mode.PASSTHRU, up: false }]);
    expect(checkChange(t, 1, { mode: Mode.PASSTHRU, flags: 4 })?.code).toBe('UMV_ERR_FLAGS');
    expect(checkChange(t, 1, { mode: Mode.PASSTHRU })?.code).toBe('UMV_ERR_MODE_CHANGE');
    expect(checkChange(t, 1, { mode: Mode.SOURCE, sourceOp: 'add', sourceMacs: [m('02:ee:00:00:00:01')] })).toBeNull();
    expect(checkChange(t, 1, { sourceOp: 'add', sourceMacs: [m('02:ee:00:00:00:01')] })?.code).toBe('UMV_ERR_NOT_SOURCE');
    expect(checkChange(t, 1, { bcQueueLen: 5, bcCutoff: -1, flags: 2 })).toBeNull();
    expect(checkChange(t, 1, { bcCutoff: 2 ** 31 })?.code).toBe('UMV_ERR_BAD_VALUE');
    expect(checkChange(t, 2, { flags: Flag.NOPROMISC })).toBeNull();
    expect(checkChange(t, 3, {})?.code).toBe('UMV_ERR_NO_CHILD');
  });

  it('no check throws, whatever it is given', () => {
    const t = table([{ mac: A }]);
    const weird = [NaN, -1, 0, 1.5, 2 ** 60, Infinity];
    for (const x of weird) {
      expect(() => [checkUp(t, x), checkSetMac(t, 1, x), checkSetMode(t, 1, x), checkSetMtu(t, 1, x),
        checkSetFlags(t, 1, x), checkSourceOp(t, 1, x, [x]), checkAdd(t, { mac: x, mtu: x, flags: x })]).not.toThrow();
    }
  });
});
