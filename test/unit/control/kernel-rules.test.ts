// The kernel's rules have one home, core/rules.ts: run, add, set and the config file answer from it and cannot
// disagree. And the one place umacvlan follows iproute2 instead of the kernel: nopromisc outside passthru.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Flag, MAX_CHILDREN, Mode, type ModeBit } from '../../../src/core/constants.js';
import { PortTable } from '../../../src/core/port-table.js';
import { checkAdd, checkChange, checkConfig, checkUp, withDefaults } from '../../../src/core/rules.js';
import { parseCommand } from '../../../src/control/args.js';
import { parseChild } from '../../../src/control/child-spec.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import { setRefusal } from '../../../src/control/client-commands.js';
import { addRequest } from '../../../src/control/config-check.js';
import { parseConfigFile } from '../../../src/control/config-file.js';
import { clip, UsageError } from '../../../src/control/usage-error.js';
import { parseMode } from '../../../src/values/macs-modes.js';
import { childArb, formatChild } from './arbitraries.js';

const IPROUTE2 = 'nopromisc flag only valid in passthru mode';
const noFile = (): UsageError => new UsageError('--config', 'no file in this test');

describe('nopromisc deviation: refused outside passthru, as iproute2 refuses it (the kernel would take it)', () => {
  test('the kernel rules of the core take the flag on a bridge child, and on a change to one', () => {
    const t = new PortTable(4);
    expect(checkAdd(t, { mode: Mode.BRIDGE, flags: Flag.NOPROMISC })).toBeNull();
    t.addChild(1, withDefaults(t, { mode: Mode.BRIDGE }, () => 0.5));
    expect(checkChange(t, 1, { flags: Flag.NOPROMISC })).toBeNull();
  });

  test('add, --child, the config file and set refuse it on every other mode, in iproute2\'s words', () => {
    for (const mode of ['private', 'vepa', 'bridge', 'source']) {
      const add = parseCommand(['add', `x:auto:${mode}:nopromisc`]) as UsageError;
      expect(add.message).toBe(`add x:auto:${mode}:nopromisc: ${IPROUTE2}`);
      expect(add.code).toBe('UMV_ERR_USAGE');
      const run = parseCommand(['run', '--parent', 'p', '--child', `x:auto:${mode}:nopromisc`], noFile) as UsageError;
      expect(run.message).toBe(`--child x:auto:${mode}:nopromisc: ${IPROUTE2}`);
      const file = parseConfigFile(JSON.stringify({ children: [{ name: 'x', mac: 'auto', mode, nopromisc: true }] })) as UsageError;
      expect(file.message).toBe(`config children[0].nopromisc: ${IPROUTE2}`);
      const set = setRefusal('x', { what: 'nopromisc', on: true }, parseMode(mode) as ModeBit);
      expect(set?.message).toBe(`set x nopromisc on: ${IPROUTE2}`);
      expect(set?.code).toBe(add.code);
    }
  });

  test('passthru takes it, and switching it off is never refused', () => {
    expect(parseChild('t:auto:passthru:nopromisc')).not.toBeInstanceOf(UsageError);
    expect(setRefusal('t', { what: 'nopromisc', on: true }, Mode.PASSTHRU)).toBeNull();
    expect(setRefusal('b', { what: 'nopromisc', on: false }, Mode.BRIDGE)).toBeNull();
    expect(setRefusal('b', { what: 'nodst', on: true }, Mode.BRIDGE)).toBeNull();
  });
});

/** The daemon's way: one add after the other on a live table, each child checked, created and brought up. */
function addOneByOne(children: readonly ChildConfig[]): number {
  const t = new PortTable(8);
  t.setParent({ mac: 0, mtu: 65535 });
  for (let k = 0; k < children.length; k++) {
    const req = addRequest(children[k]);
    if (checkAdd(t, req)) return k;
    const slot = t.freeSlot();
    t.addChild(slot, withDefaults(t, req, () => 0));
    if (req.macGiven && checkUp(t, slot)) return k;
    if (req.macGiven) t.setUp(slot, true);
  }
  return -1;
}

describe('a whole configuration is judged by the same rules as one add after another', () => {
  test('run refuses a configuration exactly when checkConfig does, and blames the same child', () => {
    const kids = fc.uniqueArray(childArb, { maxLength: 5, selector: (c) => c.name });
    fc.assert(fc.property(kids, (children) => {
      const argv = ['run', '--parent', 'p', ...children.map((c) => `--child=${formatChild(c)}`)];
      const r = parseCommand(argv, noFile);
      const t = new PortTable(8);
      t.setParent({ mac: 0, mtu: 65535 });
      const refused = checkConfig(t, children.map(addRequest));
      if (refused === null) {
        expect(r).not.toBeInstanceOf(UsageError);
        return;
      }
      expect(r).toBeInstanceOf(UsageError);
      expect((r as UsageError).message.startsWith(`--child ${clip(formatChild(children[refused.index]))}: `)).toBe(true);
      expect((r as UsageError).message).toContain(`(${refused.error.errno})`);
    }), { seed: 0x7ab1e, numRuns: 2000 });
  });

  test('explicit MACs: the same verdicts as adding the children one by one (every MAC clash is found at UP)', () => {
    const a = parseChild('a:02:00:00:00:00:01:bridge') as ChildConfig;
    const b = parseChild('b:02:00:00:00:00:01:vepa') as ChildConfig;
    const c = parseChild('c:auto:private') as ChildConfig;
    expect(addOneByOne([a, c, b])).toBe(2);
    const t = new PortTable(8);
    expect(checkConfig(t, [a, c, b].map(addRequest))?.index).toBe(2);
    const r = parseCommand(['run', '--parent', 'p', '--child', formatChild(a), '--child', 'c:auto:private', '--child', formatChild(b)], noFile);
    expect((r as UsageError).message).toBe(
      '--child b:02:00:00:00:00:01:vepa: MAC 02:00:00:00:00:01 is already used by --child a:02:00:00:00:00:01:bridge: ' +
      'Address already in use (EADDRINUSE)');
    expect((r as UsageError).code).toBe('UMV_ERR_DUP_MAC');
  });

  test('more children than the port table has slots: refused up front, not half-started', () => {
    const t = new PortTable(2);
    const kids = ['a', 'b', 'c'].map((n) => addRequest(parseChild(`${n}:auto:vepa`) as ChildConfig));
    const refused = checkConfig(t, kids);
    expect(refused?.index).toBe(2);
    expect(refused?.error.errno).toBe('ENOSPC');
    const many = Array.from({ length: MAX_CHILDREN + 1 }, (_, i) => `--child=c${i}:auto:vepa`);
    const run = parseCommand(['run', '--parent', 'p', ...many], noFile) as UsageError;
    expect(run.message).toBe(`--child c${MAX_CHILDREN}:auto:vepa: all ${MAX_CHILDREN} child slots are in use: No space left on device (ENOSPC)`);
    expect(parseCommand(['run', '--parent', 'p', ...many.slice(1)], noFile)).not.toBeInstanceOf(UsageError);
  });
});
