// The control socket's path and peers: an unsafe directory or a file that is not a socket is refused and left as it
// is; the socket is 0600 from its bind; a peer whose uid is not 0 (as SO_PEERCRED reads it) gets one refusal.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createConnection } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, controlDirRefusal, type PeerUid } from '../../../src/control/server.js';
import { listControlSockets } from '../../../src/control/socket-path.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'umc-srv-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const me = process.geteuid!();
const served: unknown[] = [];
const server = (path: string, peer: PeerUid = () => 0, owner = me): ControlServer =>
  new ControlServer(path, (req) => { served.push(req); return { ok: true, pid: 1 }; }, peer, owner);
const refusal = (s: ControlServer): Promise<{ code?: string; message: string }> =>
  s.listen().then(async () => { await s.close(); throw new Error('listened'); }, (e: Error & { code?: string }) => e);

/** One request, the raw answer. */
function ask(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write('{"cmd":"ping"}\n'));
    c.on('data', (d: string) => { buf += d; });
    c.on('end', () => resolve(buf));
    c.on('error', reject);
  });
}

describe('the path', () => {
  test('a directory others may write is refused, nothing is made in it', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const e = await refusal(server(join(open, 'c.sock')));
    expect([e.code, e.message]).toEqual(['UMV_ERR_CONTROL_PATH', `refused: its directory ${open} is writable by group or others (mode 777)`]);
    chmodSync(open, 0o770);
    expect((await refusal(server(join(open, 'c.sock')))).code).toBe('UMV_ERR_CONTROL_PATH');
    expect(() => lstatSync(join(open, 'c.sock'))).toThrow();
  });

  test("a directory that is not the daemon's user's is refused", async () => {
    const e = await refusal(server(join(dir, 'c.sock'), () => 0, me + 1));
    expect([e.code, e.message]).toEqual(['UMV_ERR_CONTROL_PATH', `refused: its directory ${dir} belongs to uid ${me}, not ${me + 1}`]);
    expect(controlDirRefusal('/x', { uid: 0, mode: 0o40700, isDirectory: () => true }, 0)).toBeNull();
    expect(controlDirRefusal('/x', { uid: 0, mode: 0o100600, isDirectory: () => false }, 0)).toBe('/x is not a directory');
  });

  test('a regular file at the path is refused and not deleted; so is a symlink, whose target is untouched', async () => {
    const file = join(dir, 'c.sock');
    writeFileSync(file, 'precious\n');
    const e = await refusal(server(file));
    expect([e.code, e.message]).toEqual(['UMV_ERR_CONTROL_PATH', `refused: ${file} is there and is not a socket (left as it is)`]);
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
    const link = join(dir, 'l.sock');
    symlinkSync(file, link);
    expect((await refusal(server(link))).code).toBe('UMV_ERR_CONTROL_PATH');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
  });

  test('the socket is 0600 from its bind whatever the umask, and the umask is given back; a stale socket is replaced', async () => {
    const path = join(dir, 'c.sock');
    const old = process.umask(0);
    try {
      const s = server(path);
      await s.listen();
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(process.umask()).toBe(0);
      // killed without close(): the socket file stays, and nobody answers on it
      const again = server(path);
      await expect(again.listen()).rejects.toMatchObject({ code: 'UMV_ERR_RUNNING' });
      await s.close();
    } finally { process.umask(old); }
  });
});

describe('peers', () => {
  test('a peer whose uid is not 0 gets UMV_ERR_PEER and nothing else; uid 0 is served', async () => {
    const path = join(dir, 'c.sock');
    const fds: number[] = [];
    let uid = 1000;
    const s = server(path, (fd) => { fds.push(fd); return uid; });
    await s.listen();
    try {
      served.length = 0;
      expect(JSON.parse(await ask(path))).toEqual({ ok: false, error: "permission denied (the control socket is root's): peer uid 1000", code: 'UMV_ERR_PEER' });
      expect(served).toEqual([]);
      uid = 0;
      expect(JSON.parse(await ask(path))).toEqual({ ok: true, pid: 1 });
      expect(served).toEqual([{ cmd: 'ping' }]);
      expect(fds.every((fd) => Number.isInteger(fd) && fd > 2)).toBe(true);
    } finally { await s.close(); }
  });

  test('a peer whose uid cannot be read is refused', async () => {
    const path = join(dir, 'c.sock');
    const s = server(path, () => { throw new Error('getsockopt(SO_PEERCRED): EBADF'); });
    await s.listen();
    try {
      expect(JSON.parse(await ask(path))).toMatchObject({ ok: false, code: 'UMV_ERR_PEER', error: expect.stringMatching(/its uid cannot be read \(getsockopt/) });
    } finally { await s.close(); }
  });
});

test('the client lists the sockets of the control directory, not symlinks to sockets elsewhere', async () => {
  const ctl = join(dir, 'ctl');
  const away = join(dir, 'away');
  mkdirSync(ctl, { mode: 0o700 });
  mkdirSync(away, { mode: 0o700 });
  const s = server(join(away, 'x.sock'));
  await s.listen();
  try {
    symlinkSync(join(away, 'x.sock'), join(ctl, 'planted.sock'));
    writeFileSync(join(ctl, 'file.sock'), '');
    expect(listControlSockets(ctl)).toEqual([]);
    expect(listControlSockets(away)).toEqual([join(away, 'x.sock')]);
  } finally { await s.close(); }
});

