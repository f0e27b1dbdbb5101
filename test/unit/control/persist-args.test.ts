// `run`'s persistence options and the `stop` command as the command line and the config file give them.

import { describe, expect, test } from 'vitest';
import { parseCommand, type Command } from '../../../src/control/args.js';
import { UsageError } from '../../../src/control/usage-error.js';

const run = (argv: string[], file?: string): Command | UsageError =>
  parseCommand(['run', '--parent', 'p0', ...argv], () => file ?? '{}');
const cfg = (r: Command | UsageError) => {
  if (r instanceof UsageError || r.kind !== 'run') throw new Error(String(r instanceof UsageError ? r.message : r.kind));
  return r.config;
};
const msg = (r: Command | UsageError): string => (r instanceof UsageError ? r.message : 'accepted');

describe('persistence options', () => {
  test('absent: the configuration has none of them', () => {
    const c = cfg(run([]));
    expect([c.persist, c.state, c.forget, c.forgetAll]).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('--persist, --state, --forget (repeatable)', () => {
    const c = cfg(run(['--persist', '--state', '/tmp/x.state', '--forget', 'a', '--forget', 'b']));
    expect(c).toMatchObject({ persist: true, state: '/tmp/x.state', forget: ['a', 'b'] });
  });

  test('from the config file: persist and state; a flag that disagrees is an error', () => {
    expect(cfg(run(['--config', 'f'], '{"persist": true, "state": "/tmp/s"}'))).toMatchObject({ persist: true, state: '/tmp/s' });
    expect(msg(run(['--config', 'f'], '{"persist": "yes"}'))).toMatch(/persist/);
    expect(msg(run(['--config', 'f', '--state', '/tmp/a'], '{"state": "/tmp/b"}'))).toMatch(/^--state \/tmp\/a: disagrees with/);
  });

  test('--forget needs --persist, takes a child name, and not beside --forget-all; --forget-all alone is fine', () => {
    expect(msg(run(['--forget', 'a']))).toBe('--forget a: needs --persist (it acts on the state file)');
    expect(msg(run(['--persist', '--forget', 'a:b']))).toMatch(/^--forget a:b: /);
    expect(msg(run(['--persist', '--forget-all', '--forget', 'a']))).toMatch(/cannot be combined with --forget-all/);
    expect(cfg(run(['--forget-all'])).forgetAll).toBe(true);
    expect(msg(run(['--forget-all=x']))).toMatch(/--forget-all/);
  });
});

describe('stop', () => {
  test('stop and stop --remove-children, with a target', () => {
    expect(parseCommand(['stop'])).toEqual({ kind: 'stop', target: {}, removeChildren: false });
    expect(parseCommand(['stop', '--remove-children', '--parent', 'p0'])).toMatchObject({ kind: 'stop', removeChildren: true, target: { parent: 'p0' } });
  });

  test('no words, no other options', () => {
    expect(msg(parseCommand(['stop', 'now']))).toMatch(/unexpected argument "now"/);
    expect(msg(parseCommand(['stop', '--json']))).toMatch(/--json/);
  });
});
