// Root's files stay root's, through a real daemon: `run --control` refuses a directory others may write or that is
// not root's, and a file at the path that is not a socket (left in place); `capture start` resolves a relative
// FILE against the client's working directory, makes the file 0600, and refuses a symlink planted at the name
// with its target untouched. (Non-root peers: control-live.test.ts; the open rules one by one: the unit tests.)
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, inNetns, isRoot, type Sandbox } from '../../support/sandbox.js';
import { runCli, startDaemon, type CliResult } from '../../support/daemon.js';
import { CLI } from '../../support/paths.js';

const root = isRoot();
const SECRET = 'planted target: must stay as it is\n';

describe.skipIf(!root)('files and sockets a root daemon makes', () => {
  let sb: Sandbox;
  let ns: string;
  let parent: string;
  let tmp: string;
  beforeAll(() => {
    sb = createSandbox('umf');
    ns = sb.addNs('d');
    const ext = sb.addNs('x');
    [parent] = sb.addVeth(ns, 'p', ext, 'e');
    tmp = mkdtempSync('/tmp/umf-');
  });
  afterAll(() => {
    sb?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const oneLine = (r: CliResult, has: string): void => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toContain(has);
  };

  test("--control in a directory others may write, or that is not root's: refused with one line, nothing made there", () => {
    const open = join(tmp, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    oneLine(runCli(ns, ['run', '--parent', parent, '--control', join(open, 'c.sock')]), `its directory ${open} is writable by group or others`);
    chmodSync(open, 0o755);
    chownSync(open, 65534, 65534);
    oneLine(runCli(ns, ['run', '--parent', parent, '--control', join(open, 'c.sock')]), `its directory ${open} belongs to uid 65534, not 0`);
    expect(readdirSync(open)).toEqual([]);
  });

  test('a regular file at the --control path: refused, and not deleted', () => {
    const dir = join(tmp, 'ctl');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'c.sock'), SECRET);
    oneLine(runCli(ns, ['run', '--parent', parent, '--control', join(dir, 'c.sock')]), 'is there and is not a socket (left as it is)');
    expect(readFileSync(join(dir, 'c.sock'), 'utf8')).toBe(SECRET);
  });

  test("capture start: FILE is the client's (its working directory), made 0600; a symlink planted at it is refused, its target untouched", async () => {
    const work = join(tmp, 'work');
    mkdirSync(work, { mode: 0o700 });
    const target = join(tmp, 'target');
    writeFileSync(target, SECRET);
    symlinkSync(target, join(work, 'evil.pcapng'));
    const d = await startDaemon(sb, ns, ['--parent', parent]);
    /** the client run from `work` */
    const client = (args: string[]): CliResult => {
      const argv = inNetns(ns, [process.execPath, CLI, ...args, '--control', d.controlPath]);
      try {
        return { code: 0, stdout: execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: work, stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { code: err.status ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
      }
    };
    try {
      const started = client(['capture', 'start', 'mine.pcapng']);
      expect(started, started.stderr).toMatchObject({ code: 0, stdout: `capturing to ${join(work, 'captures', 'mine.pcapng')}\n` });
      expect(client(['capture', 'stop']).code).toBe(0);
      const st = statSync(join(work, 'captures', 'mine.pcapng'));
      expect([st.mode & 0o7777, st.uid, st.size > 0]).toEqual([0o600, 0, true]);

      const evil = client(['capture', 'start', './evil.pcapng']);
      expect([evil.code, evil.stderr]).toEqual([1, `umacvlan: capture file ${join(work, 'evil.pcapng')} refused: a symbolic link\n`]);
      expect(readFileSync(target, 'utf8')).toBe(SECRET);
      expect(client(['show']).code).toBe(0);
    } finally {
      const r = await d.stop();
      expect(r.code, r.stderr).toBe(0);
    }
    expect(existsSync(join(process.cwd(), 'captures', 'mine.pcapng'))).toBe(false);
  });
});

test.skipIf(root)('the hardening system tests need root: skipped', () => {
  expect(root).toBe(false);
});
