// The run configuration beside the state file (restart-plan.ts): stored settings win with a warning naming both,
// `auto` and an omitted MTU match anything, a passthru change stops the start, live-added children are kept unless
// forgotten.

import { describe, expect, test } from 'vitest';
import { Flag, Mode } from '../../../src/core/constants.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import { DaemonError } from '../../../src/control/daemon-error.js';
import { planRestart } from '../../../src/control/restart-plan.js';
import { newState, type StateChild } from '../../../src/control/state-file.js';

const M1 = 0x0200_0000_0001;
const M2 = 0x0200_0000_0002;

const stored = (name: string, over: Partial<StateChild> = {}): StateChild =>
  ({ name, mac: M1, mode: Mode.BRIDGE, flags: 0, mtu: 1500, macaddr: [], netns: null, extra: {}, ...over });
const given = (name: string, over: Partial<ChildConfig> = {}): ChildConfig =>
  ({ name, mac: 'auto', mode: Mode.BRIDGE, flags: 0, macaddr: [], ...over });
const state = (...children: StateChild[]) => ({ ...newState({ name: 'p', ifindex: 2 }), children });

describe('restart plan', () => {
  test('auto MAC and omitted MTU match the stored ones, silently; the stored values are used', () => {
    const p = planRestart([given('a')], state(stored('a', { mtu: 1400 })), []);
    expect(p.warnings).toEqual([]);
    expect(p.children).toEqual([{ cfg: { name: 'a', mac: M1, mode: Mode.BRIDGE, flags: 0, mtu: 1400, macaddr: [] }, stored: stored('a', { mtu: 1400 }) }]);
  });

  test('an explicit MAC, MTU, mode, flag or namespace that differs: the stored one wins, a warning names both', () => {
    const p = planRestart([given('a', { mac: M2, mtu: 9000, mode: Mode.VEPA, flags: Flag.NODST, netns: 'x' })], state(stored('a')), []);
    expect(p.children[0].cfg).toMatchObject({ mac: M1, mtu: 1500, mode: Mode.BRIDGE, flags: 0 });
    expect(p.children[0].cfg.netns).toBeUndefined();
    expect(p.warnings).toEqual([
      'child a: the configuration\'s mode vepa differs from the kept bridge; the kept one stays',
      'child a: the configuration\'s MAC 02:00:00:00:00:02 differs from the kept 02:00:00:00:00:01; the kept one stays',
      'child a: the configuration\'s MTU 9000 differs from the kept 1500; the kept one stays',
      'child a: the configuration\'s flags 2 differs from the kept 0; the kept one stays',
      'child a: the configuration\'s netns x differs from the kept (none); the kept one stays',
    ]);
  });

  test.each([[Mode.PASSTHRU, Mode.BRIDGE], [Mode.BRIDGE, Mode.PASSTHRU]])('mode %i over a kept %i: a start-up error', (to, from) => {
    let err: unknown = null;
    try { planRestart([given('a', { mode: to })], state(stored('a', { mode: from })), []); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DaemonError);
    expect((err as DaemonError).code).toBe('UMV_ERR_STATE_MODE');
    expect((err as DaemonError).message).toMatch(/to or from passthru.*--forget a/);
  });

  test('a stored child not configured is kept (after the configured ones); --forget drops it; a new one is made', () => {
    const st = state(stored('live'), stored('a'), stored('gone'));
    const p = planRestart([given('a'), given('new')], st, ['gone', 'nobody']);
    expect(p.children.map((c) => [c.cfg.name, c.stored !== null])).toEqual([['a', true], ['new', false], ['live', true]]);
    expect(p.forgotten.map((c) => c.name)).toEqual(['gone']);
    expect(p.warnings).toEqual(['--forget nobody: the state file holds no such child']);
  });

  test('a forgotten child that is also configured is made anew, with the configuration\'s settings', () => {
    const p = planRestart([given('a', { mode: Mode.PASSTHRU })], state(stored('a')), ['a']);
    expect(p.children).toEqual([{ cfg: given('a', { mode: Mode.PASSTHRU }), stored: null }]);
    expect(p.forgotten.map((c) => c.name)).toEqual(['a']);
  });

  test('the kept bclim (the port\'s) goes back through the first child started; a configured one that differs warns', () => {
    const kept = { ...state(stored('a'), stored('b')), bclim: -5 };
    const b = given('b', { bcCutoff: 7 });
    const p = planRestart([given('a'), b], kept, []);
    expect(p.children.map((c) => c.cfg.bcCutoff)).toEqual([-5, undefined]);
    expect(p.warnings).toEqual(['child b: the configuration\'s bclim 7 differs from the kept -5; the kept one stays']);
    expect(b.bcCutoff).toBe(7);  // the configuration given is not changed
    expect(planRestart([given('a', { bcCutoff: 7 })], state(stored('a')), []).warnings).toEqual([]);
  });
});
