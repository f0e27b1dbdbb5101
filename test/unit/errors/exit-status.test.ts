// Exit statuses have one home, the catalog: `run` ends with its failure's code's status, a client with
// answerExit()'s, the command line with its UsageError's; no other source file picks a status a code decides.
// Each case here is one the system tests pin end to end as root (daemon-lifecycle, faults, control-live).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { parseCommand } from '../../../src/control/args.js';
import { clientMain } from '../../../src/control/client.js';
import type { RunConfig } from '../../../src/control/config-file.js';
import type { Host } from '../../../src/control/host.js';
import { runMain } from '../../../src/control/run.js';
import { ControlServer, type Answer } from '../../../src/control/server.js';
import { UsageError } from '../../../src/control/usage-error.js';
import { CATALOG, EXIT, answerExit, exitStatus, type ErrorCode } from '../../../src/errors/catalog.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

let dir = '';
let stderr: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'umv-exit-'));
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { stderr.push(String(s)); return true; });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A Host whose parent does not exist (the rest is never reached). */
function hostWithout(root: boolean): Host {
  const never = (): never => { throw new Error('not reached'); };
  return {
    isRoot: () => root,
    link: (name) => { throw Object.assign(new Error(`${name}: ENODEV`), { code: 'ENODEV' }); },
    linkExistsIn: never, openTap: never, watchParent: never, watchVlanUppers: never, notify: () => undefined,
    netnsIdentity: never, findNetns: never, links: never, attachTap: never, pinNetns: never, unpinNetns: never,
    setAddress: never, setHostRoute: never, removeTaps: never,
  };
}

const config = (control: string): RunConfig => ({ parent: 'umvnope0', children: [], control, log: 'quiet', busyPollUs: 0, maxGroups: 1024 });

describe('run', () => {
  test('not root: the status of UMV_ERR_NOT_ROOT, 3', async () => {
    expect(await runMain(config(join(dir, 'c.sock')), hostWithout(false))).toBe(CATALOG.UMV_ERR_NOT_ROOT.exit);
    expect(CATALOG.UMV_ERR_NOT_ROOT.exit).toBe(3);
  });

  test('a missing parent: the status of UMV_ERR_NO_PARENT, 1, and one line naming it', async () => {
    expect(await runMain(config(join(dir, 'c.sock')), hostWithout(true))).toBe(CATALOG.UMV_ERR_NO_PARENT.exit);
    expect(CATALOG.UMV_ERR_NO_PARENT.exit).toBe(1);
    expect(stderr).toEqual(['umacvlan: parent umvnope0: no such interface\n']);
  });

  test('a live daemon on the control socket: the status of UMV_ERR_RUNNING, 1; the live one is untouched', async () => {
    const path = join(dir, 'c.sock');
    const live = new ControlServer(path, () => ({ ok: true, pid: 4242 }), () => 0);
    await live.listen();
    try {
      expect(await runMain(config(path), hostWithout(true))).toBe(CATALOG.UMV_ERR_RUNNING.exit);
      expect(CATALOG.UMV_ERR_RUNNING.exit).toBe(1);
      expect(stderr.join('')).toMatch(/a live daemon \(pid 4242\) already serves/);
    } finally {
      await live.close();
    }
  });
});

describe('a client', () => {
  /** The status `umacvlan del x --control PATH` exits with when the daemon answers `a`. */
  async function clientExit(a: Answer): Promise<number> {
    const path = join(dir, `d${readdirSync(dir).length}.sock`);
    const daemon = new ControlServer(path, () => a, () => 0);
    await daemon.listen();
    try {
      const argv = ['del', 'x', '--control', path];
      const cmd = parseCommand(argv);
      if (cmd instanceof UsageError || cmd.kind !== 'del') throw new Error(`bad test argv: ${String(cmd)}`);
      return await clientMain(cmd, argv);
    } finally {
      await daemon.close();
    }
  }

  test('a refused change exits 1 whatever its code; words the daemon will not take exit 2', async () => {
    const codes: ErrorCode[] = ['UMV_ERR_NO_CHILD', 'UMV_ERR_DUP_MAC', 'UMV_ERR_BUSY', 'UMV_ERR_USAGE'];
    const got = [];
    for (const code of codes) got.push([code, await clientExit({ ok: false, error: `refused: ${code}`, code })]);
    expect(got).toEqual(codes.map((c) => [c, answerExit(c)]));
    expect(got.map(([, s]) => s)).toEqual([EXIT.FAILURE, EXIT.FAILURE, EXIT.FAILURE, EXIT.USAGE]);
    expect(stderr).toEqual(codes.map((c) => `umacvlan: refused: ${c}\n`));
  });

  test('an answer that is not a refusal exits 0', async () => {
    expect(await clientExit({ ok: true })).toBe(EXIT.OK);
  });

  test('an answer that is not JSON: the status of UMV_ERR_ANSWER, 1', async () => {
    const path = join(dir, 'garbage.sock');
    // Ends its side and lets go at once: a closing server would otherwise wait on the client's half.
    const daemon = createServer((c) => c.end('not json', () => c.destroy()));
    await new Promise<void>((res) => daemon.listen(path, res));
    try {
      const argv = ['del', 'x', '--control', path];
      const cmd = parseCommand(argv);
      if (cmd instanceof UsageError || cmd.kind !== 'del') throw new Error(`bad test argv: ${String(cmd)}`);
      expect(await clientMain(cmd, argv)).toBe(CATALOG.UMV_ERR_ANSWER.exit);
      expect(CATALOG.UMV_ERR_ANSWER.exit).toBe(1);
      expect(stderr).toEqual([`umacvlan: ${path}: ${path}: malformed answer\n`]);
    } finally {
      await new Promise((res) => daemon.close(res));
    }
  });
});

describe('the command line', () => {
  // One argv per code the parser gives; main.ts exits with exitStatus(code).
  const cases: Array<[ErrorCode, string[]]> = [
    ['UMV_ERR_USAGE', ['run', '--parent']],
    ['UMV_ERR_BAD_MAC', ['run', '--parent', 'p', '--child', 'a:01:00:5e:00:00:01:bridge']],
    ['UMV_ERR_DUP_MAC', ['run', '--parent', 'p', '--child', 'a:02:00:00:00:00:01:vepa', '--child', 'b:02:00:00:00:00:01:vepa']],
    ['UMV_ERR_DUP_NAME', ['run', '--parent', 'p', '--child', 'a:auto:vepa', '--child', 'a:auto:bridge']],
    ['UMV_ERR_PASSTHRU_NOT_ALONE', ['run', '--parent', 'p', '--child', 't:auto:passthru', '--child', 'u:auto:passthru']],
    ['UMV_ERR_NO_CHILD', ['run', '--parent', 'p', '--netns', 'x=ns1']],
    ['UMV_ERR_CONFIG', ['run', '--config', '/nonexistent/umv.json']],
  ];
  for (const [code, argv] of cases) {
    test(`${argv.join(' ')}: ${code}, exit 2`, () => {
      const e = parseCommand(argv);
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).code).toBe(code);
      expect(exitStatus((e as UsageError).code)).toBe(EXIT.USAGE);
    });
  }
});

describe('one home', () => {
  test('outside the catalog, no source file names a status that a code decides (USAGE, NOT_ROOT)', () => {
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
    // help.ts prints the list of statuses; it decides none. A type (`typeof EXIT.USAGE`) reads the catalog.
    const others = files(SRC).filter((f) => !f.startsWith(join(SRC, 'errors')) && !f.endsWith(join('control', 'help.ts')));
    expect(others.length).toBeGreaterThan(10);
    const named = others.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/(?<!typeof )\b(?:EXIT|Exit)\.(?:USAGE|NOT_ROOT)\b/g)]
      .map((m) => `${relative(SRC, f)}: ${m[0]}`));
    expect(named).toEqual([]);
  });
});
