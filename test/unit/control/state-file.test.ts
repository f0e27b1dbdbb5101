// The state file of a --persist daemon (state-file.ts): what it holds, that keys it does not know survive a
// read-write round, that a newer version and every kind of damage are refused with the file named, and that it is
// written atomically with mode 0600.

import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flag, Mode } from '../../../src/core/constants.js';
import { DaemonError } from '../../../src/control/daemon-error.js';
import {
  childConfigOf, newState, parseState, readState, removeState, stateText, tapAlias, writeState, type DaemonState,
} from '../../../src/control/state-file.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'umr-state-')); dirs.push(d); return d; };

function sample(): DaemonState {
  const s = newState({ name: 'eth1', ifindex: 3 });
  s.heartbeat = 1_700_000_000_000;
  s.children = [
    { name: 'web0', mac: 0x0200_0000_0001, mode: Mode.BRIDGE, flags: Flag.NODST, mtu: 1400, macaddr: [], netns: { path: '/run/netns/web', dev: 4, ino: 4026532301 }, extra: {} },
    { name: 'mon0', mac: 0x0200_0000_0005, mode: Mode.SOURCE, flags: 0, mtu: 1500, macaddr: [0x02aa_0000_0001], bcQueueLen: 4_000_000_000, netns: null, extra: {} },
  ];
  return s;
}

const refusal = (text: string): DaemonError => {
  try { parseState(text, '/x/p.state'); } catch (e) { return e as DaemonError; }
  throw new Error('accepted');
};

describe('state file', () => {
  test('round trip: every field, version 1, a UUID instance', () => {
    const s = sample();
    const text = stateText(s);
    expect(JSON.parse(text)).toMatchObject({ version: 1, parent: { name: 'eth1', ifindex: 3 } });
    expect(s.instance).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(parseState(text, 'p')).toEqual(s);
    expect(JSON.parse(text).children[0]).toMatchObject({ mac: '02:00:00:00:00:01', mode: 'bridge' });
  });

  test('keys it does not know are kept and written back unchanged, at the top and in a child', () => {
    const raw = JSON.parse(stateText(sample())) as Record<string, unknown> & { children: Array<Record<string, unknown>> };
    raw.laterKey = { name: 'h0' };
    raw.children[0].attachment = { network: 'n', containerId: 'abc', ips: ['198.18.0.5/24'] };
    const again = JSON.parse(stateText(parseState(JSON.stringify(raw), 'p'))) as typeof raw;
    expect(again.laterKey).toEqual({ name: 'h0' });
    expect(again.children[0].attachment).toEqual(raw.children[0].attachment);
    expect(again.version).toBe(1);
  });

  test('a child\'s bcqueuelen is kept as a u32; a file without it reads as not set', () => {
    const raw = JSON.parse(stateText(sample())) as { children: Array<Record<string, unknown>> };
    expect(raw.children[1].bcqueuelen).toBe(4_000_000_000);
    expect('bcqueuelen' in raw.children[0]).toBe(false);
    expect(childConfigOf(parseState(JSON.stringify(raw), 'p').children[1]).bcQueueLen).toBe(4_000_000_000);
    raw.children[1].bcqueuelen = 2 ** 32;
    expect(refusal(JSON.stringify(raw)).message).toContain('children[1].bcqueuelen is not a u32');
  });

  test('the port\'s bclim is kept as an s32 (negative too); a file without it reads as not set', () => {
    const s = sample();
    expect('bclim' in JSON.parse(stateText(s))).toBe(false);
    expect(parseState(stateText(s), 'p').bclim).toBeUndefined();
    s.bclim = -5;
    expect(parseState(stateText(s), 'p')).toEqual(s);
    const raw = JSON.parse(stateText(s)) as Record<string, unknown>;
    raw.bclim = 2 ** 31;
    expect(refusal(JSON.stringify(raw)).message).toContain('"bclim" is not an s32');
  });

  test('a higher version is refused naming both', () => {
    const raw = JSON.parse(stateText(sample())) as Record<string, unknown>;
    raw.version = 2;
    const e = refusal(JSON.stringify(raw));
    expect(e.code).toBe('UMV_ERR_STATE_VERSION');
    expect(e.message).toContain('version 2 is newer than this daemon\'s 1');
  });

  test.each([
    ['truncated', (t: string) => t.slice(0, t.length / 2), 'not JSON'],
    ['not an object', () => '[]', 'not a JSON object'],
    ['no version', (t: string) => t.replace('"version": 1,', ''), 'no "version"'],
    ['a bad instance', (t: string) => t.replace(/"instance": "[^"]*"/, '"instance": "x"'), '"instance" is not a UUID'],
    ['a bad MAC', (t: string) => t.replace('02:00:00:00:00:01', '01:00:00:00:00:01'), 'children[0].mac'],
    ['a bad mode', (t: string) => t.replace('"bridge"', '"hub"'), 'children[0].mode'],
    ['a bad netns', (t: string) => t.replace('"dev": 4', '"dev": -4'), 'children[0].netns'],
    ['a child twice', (t: string) => t.replace('"mon0"', '"web0"'), 'child web0 is listed twice'],
  ])('%s: refused, naming the file and what is wrong', (_label, damage, what) => {
    const e = refusal(damage(stateText(sample())));
    expect(e.code).toBe('UMV_ERR_STATE_CORRUPT');
    expect(e.message).toContain('state file /x/p.state: ');
    expect(e.message).toContain(what);
    expect(e.message).toContain('nothing adopted');
  });

  test('written atomically with mode 0600, read back, removed; none is null', () => {
    const d = tmp();
    const path = join(d, 'sub', 'p.state');
    expect(readState(path)).toBeNull();
    const s = sample();
    writeState(path, s);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(d, 'sub')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(d, 'sub'))).toEqual(['p.state']);
    expect(readFileSync(path, 'utf8')).toBe(stateText(s));
    expect(readState(path)).toEqual(s);
    removeState(path);
    removeState(path);
    expect(readState(path)).toBeNull();
  });

  test('an unreadable file is a corrupt one', () => {
    const d = tmp();
    writeFileSync(join(d, 'p.state'), '{');
    expect(() => readState(join(d, 'p.state'))).toThrow(/not JSON/);
    expect(() => readState(d)).toThrow(/cannot read: EISDIR/);
  });

  test('the alias and a stored child as a run configuration', () => {
    expect(tapAlias('i-1', 'web0')).toBe('umacvlan:i-1:web0');
    const [web, mon] = sample().children;
    expect(childConfigOf(web)).toEqual({ name: 'web0', mac: 0x0200_0000_0001, mode: Mode.BRIDGE, flags: Flag.NODST, mtu: 1400, macaddr: [], netns: '/run/netns/web' });
    expect(childConfigOf(mon).netns).toBeUndefined();
  });
});
