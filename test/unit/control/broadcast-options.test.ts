// bcqueuelen and bclim as child options (forwarding.md §3.3, §3.4): the grammar (bclim the one signed number), the
// config keys, `set`, how the daemon combines them (the port's queue is the largest any child asks; bclim is the
// port's, kept after its child goes) and what `show` says, over the fake host.

import { afterEach, describe, expect, test } from 'vitest';
import { parseCommand, type Command } from '../../../src/control/args.js';
import { UsageError } from '../../../src/control/usage-error.js';
import { Daemon } from '../../../src/control/daemon.js';
import { portViews } from '../../../src/control/requests.js';
import type { ChildConfig } from '../../../src/control/child-spec.js';
import { Mode } from '../../../src/core/constants.js';
import type { PortTable } from '../../../src/core/port-table.js';
import type { DatapathOptions } from '../../../src/datapath/handle.js';
import { FLOOD_QUEUE_MAX } from '../../../src/datapath/flood-queue.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const parse = (argv: string[], file = ''): Command | UsageError => parseCommand(argv, () => file);
function children(...specs: string[]): ChildConfig[] {
  const r = parse(['run', '--parent', 'p0', ...specs.flatMap((s) => ['--child', s])]);
  if (r instanceof UsageError) throw new Error(r.message);
  return (r as Extract<Command, { kind: 'run' }>).config.children;
}
const refusal = (argv: string[], file = ''): string => {
  const r = parse(argv, file);
  if (!(r instanceof UsageError)) throw new Error(`accepted: ${argv.join(' ')}`);
  return r.message;
};

describe('grammar and config keys', () => {
  test('`:bcqueuelen=N` and `:bclim=N` (a leading minus for bclim only), and their bounds', () => {
    expect(children('a:auto:bridge:bcqueuelen=5:bclim=-1')[0]).toMatchObject({ bcQueueLen: 5, bcCutoff: -1 });
    expect(children('a:auto:bridge:bcqueuelen=4294967295:bclim=-2147483648')[0]).toMatchObject({ bcQueueLen: 0xffff_ffff, bcCutoff: -0x8000_0000 });
    expect(children('a:auto:bridge:bclim=2147483647:bcqueuelen=0')[0]).toMatchObject({ bcQueueLen: 0, bcCutoff: 0x7fff_ffff });
    expect(children('a:auto:bridge')[0].bcCutoff).toBeUndefined();
    for (const bad of ['bcqueuelen=4294967296', 'bcqueuelen=-1', 'bcqueuelen=01', 'bclim=2147483648', 'bclim=-2147483649',
      'bclim=-0', 'bclim=+1', 'bclim=1e3', 'bclim=-']) {
      expect(refusal(['run', '--parent', 'p0', '--child', `a:auto:bridge:${bad}`])).toMatch(/^--child a:auto:bridge:.*(bcqueuelen|bclim)/);
    }
  });

  test('config keys `bcqueuelen` and `bclim`; children that disagree on bclim are refused, naming both', () => {
    const file = JSON.stringify({ parent: 'p0', children: [
      { name: 'a', mac: 'auto', mode: 'bridge', bcqueuelen: 7, bclim: -5 },
      { name: 'b', mac: 'auto', mode: 'vepa', bclim: -5 },
    ] });
    const r = parse(['run', '--config', 'f.json'], file) as Extract<Command, { kind: 'run' }>;
    expect(r.config.children.map((c) => [c.bcQueueLen, c.bcCutoff])).toEqual([[7, -5], [undefined, -5]]);
    expect(refusal(['run', '--config', 'f.json'], JSON.stringify({ parent: 'p0', children: [{ name: 'a', mac: 'auto', mode: 'bridge', bclim: 2.5 }] })))
      .toMatch(/children\[0\]\.bclim: expected an integer/);
    expect(refusal(['run', '--parent', 'p0', '--child', 'a:auto:bridge:bclim=1', '--child', 'b:auto:bridge', '--child', 'c:auto:bridge:bclim=2']))
      .toBe('--child c:auto:bridge:bclim=2: bclim 2 disagrees with bclim 1 of --child a:auto:bridge:bclim=1 (bclim is the port\'s: one value)');
  });

  test('`set NAME bcqueuelen N`, `set NAME bclim N` (a negative value is a word, not an option)', () => {
    expect(parse(['set', 'a', 'bclim', '-5'])).toMatchObject({ kind: 'set', name: 'a', change: { what: 'bclim', n: -5 } });
    expect(parse(['set', 'a', 'bcqueuelen', '20000'])).toMatchObject({ change: { what: 'bcqueuelen', n: 20000 } });
    expect(refusal(['set', 'a', 'bcqueuelen', '-5'])).toMatch(/bcqueuelen/);
    expect(refusal(['set', 'a', 'bclim'])).toMatch(/bclim needs a value/);
  });
});

describe('through the daemon (fake host)', () => {
  const running: Daemon[] = [];
  afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

  async function start(kids: ChildConfig[]) {
    let dp: FakeDatapath | undefined;
    const d = await Daemon.start({ parent: 'p0', children: kids, log: 'normal', busyPollUs: 0, maxGroups: 1024 }, new FakeHost(), new MemoryLog(),
      (t: PortTable, o: DatapathOptions) => (dp = new FakeDatapath(t, o)));
    running.push(d);
    return { d, inSync: () => expect(dp!.replica.snapshot()).toEqual(d.table.snapshot()) };
  }
  const parentBroadcast = (d: Daemon) => portViews(d).find((v) => v.slot === 0)!.broadcast;

  test('the port\'s queue is the largest any child asks; bclim is the port\'s, kept when its child goes; show says both', async () => {
    const { d, inSync } = await start(children('a:02:aa:00:00:00:01:bridge:bcqueuelen=5:bclim=3', 'b:02:aa:00:00:00:02:vepa'));
    expect([d.table.bcQueueLimit, d.table.bcCutoff]).toEqual([1000, 3]);
    expect(parentBroadcast(d)).toEqual({ bcqueuelen: 1000, held: 1000, bclim: 3 });
    expect(portViews(d, 'a')[0].broadcast).toEqual({ bcqueuelen: 5 });
    d.setChild('b', { bcQueueLen: 0xffff_ffff });
    expect(parentBroadcast(d)).toEqual({ bcqueuelen: 0xffff_ffff, held: FLOOD_QUEUE_MAX, bclim: 3 });
    d.setChild('b', { bcCutoff: -1 });
    await d.delChild('b');
    expect([d.table.bcQueueLimit, d.table.bcCutoff]).toEqual([5, -1]);  // the limit is recomputed; bclim stays
    inSync();
    d.addChild({ name: 'c', mac: 0x02aa_0000_0003, mode: Mode.BRIDGE, flags: 0, macaddr: [], bcCutoff: -7 });
    expect(d.table.bcCutoff).toBe(-7);
    inSync();
  });
});
