// Opening capture files as root in places others may write: what is planted at a capture path (a symlink, at the
// name or at a future rotated name; a FIFO; a hard link; someone else's file) is refused and left as it was; new
// files are 0600; a directory others may write is refused unless it is root's.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  chmodSync, chownSync, closeSync, constants as C, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync,
  rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryRefusal, fileRefusal, nodeCaptureIo } from '../../../src/capture/capture-files.js';
import { CaptureRing } from '../../../src/capture/ring.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import type { CaptureError } from '../../../src/capture/errors.js';
import { Dir } from '../../../src/core/direction.js';
import { sleep } from '../../../support/time.js';

const root = process.getuid?.() === 0;
let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'umc-files-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const T0 = 1_700_000_000_000_000_000;
const SECRET = 'root:x:0:0:planted target\n';

function ring(): CaptureRing {
  const r = CaptureRing.create({ bytes: 1 << 20, snaplen: 2000, maxPorts: 4 });
  r.setPorts(null);
  return r;
}
const openErr = (file: string): Promise<CaptureError> =>
  CaptureWriter.open(ring(), { file, format: 'pcapng' }).then(() => { throw new Error(`${file} was opened`); }, (e: CaptureError) => e);

describe('what is at the path', () => {
  test('a symlink at the capture path: refused, its target untouched', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, SECRET);
    symlinkSync(target, join(dir, 'cap.pcapng'));
    const e = await openErr(join(dir, 'cap.pcapng'));
    expect([e.code, e.errno, e.message]).toEqual(['UMV_ERR_CAPTURE_UNSAFE', 'ELOOP', `capture file ${join(dir, 'cap.pcapng')} refused: a symbolic link`]);
    expect(readFileSync(target, 'utf8')).toBe(SECRET);
    expect(lstatSync(join(dir, 'cap.pcapng')).isSymbolicLink()).toBe(true);
  });

  test('a symlink at a future rotated name: that file is refused (its frames counted lost, reported once), the target untouched', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, SECRET);
    symlinkSync(target, join(dir, 'rot.pcapng1'));
    const errors: CaptureError[] = [];
    const r = ring();
    const w = await CaptureWriter.open(r, { file: join(dir, 'rot.pcapng'), format: 'pcapng', rotate: { sizeMb: 0.002, files: 3 }, intervalMs: 1, onError: (e) => errors.push(e) });
    for (let i = 0; i < 40; i++) {
      const f = new Uint8Array(600).fill(i);
      while (!r.offer(1, Dir.IN, f, 0, f.length, T0 + i)) await sleep(1);
      await sleep(1);
    }
    const st = await w.close();
    expect(st.filesOpened).toBeGreaterThanOrEqual(2);
    expect(st.framesLostWriting).toBeGreaterThan(0);
    expect(errors.map((e) => [e.code, e.message])[0]).toEqual(['UMV_ERR_CAPTURE_WRITE', `capture file ${join(dir, 'rot.pcapng1')} refused: a symbolic link`]);
    expect(readFileSync(target, 'utf8')).toBe(SECRET);
    expect(lstatSync(join(dir, 'rot.pcapng1')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'rot.pcapng0')).size).toBeGreaterThan(0);
  });

  test('new files are 0600 whatever the umask; an old file of ours is truncated and made 0600', async () => {
    const umask = process.umask(0);
    try {
      const w = await CaptureWriter.open(ring(), { file: join(dir, 'new.pcap'), format: 'pcap', rotate: { sizeMb: 1, files: 2 } });
      await w.close();
    } finally { process.umask(umask); }
    expect(statSync(join(dir, 'new.pcap0')).mode & 0o7777).toBe(0o600);
    const old = join(dir, 'old.pcap');
    writeFileSync(old, 'x'.repeat(5000), { mode: 0o644 });
    chmodSync(old, 0o644);
    const w = await CaptureWriter.open(ring(), { file: old, format: 'pcap' });
    await w.close();
    expect(statSync(old).mode & 0o7777).toBe(0o600);
    expect(statSync(old).size).toBe(24); // the pcap header alone: truncated, not overwritten in place
  });

  test('a FIFO, with or without a reader: refused at once, and no thread is left blocked in open()', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // more refused opens than libuv has pool threads (4): a blocked open would starve the stat below for ever
    for (let i = 0; i < 6; i++) expect((await openErr(fifo)).code).toBe('UMV_ERR_CAPTURE_UNSAFE');
    const reader = openSync(fifo, C.O_RDONLY | C.O_NONBLOCK);
    try {
      const e = await openErr(fifo);
      expect([e.code, e.message]).toEqual(['UMV_ERR_CAPTURE_UNSAFE', `capture file ${fifo} refused: not a regular file`]);
    } finally { closeSync(reader); }
    expect((await stat(fifo)).isFIFO()).toBe(true);
  });

  test('a hard link to another file: refused, that file untouched', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, SECRET);
    linkSync(target, join(dir, 'hard.pcapng'));
    const e = await openErr(join(dir, 'hard.pcapng'));
    expect([e.code, e.message]).toEqual(['UMV_ERR_CAPTURE_UNSAFE', `capture file ${join(dir, 'hard.pcapng')} refused: it has 2 links (a hard link to another file)`]);
    expect(readFileSync(target, 'utf8')).toBe(SECRET);
  });

  test.runIf(root)('as root: a file that belongs to another user is refused and untouched', async () => {
    const theirs = join(dir, 'theirs.pcapng');
    writeFileSync(theirs, SECRET);
    chownSync(theirs, 65534, 65534);
    const e = await openErr(theirs);
    expect([e.code, e.message]).toEqual(['UMV_ERR_CAPTURE_UNSAFE', `capture file ${theirs} refused: owned by uid 65534, not 0`]);
    expect(readFileSync(theirs, 'utf8')).toBe(SECRET);
  });

  test.runIf(root)("as root: a directory others may write that is not root's is refused; a root-owned sticky one (/tmp) is not", async () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    chownSync(shared, 65534, 65534);
    const e = await openErr(join(shared, 'x.pcapng'));
    expect([e.code, e.message]).toEqual(['UMV_ERR_CAPTURE_UNSAFE',
      `capture file ${join(shared, 'x.pcapng')} refused: its directory is writable by group or others and owned by uid 65534, not root`]);
    chmodSync(shared, 0o755);
    await (await nodeCaptureIo.open(join(shared, 'x.pcapng'))).close(); // the owner alone may write: allowed
    const h = await nodeCaptureIo.open(join(tmpdir(), `umc-files-${process.pid}.pcapng`));
    await h.close();
    rmSync(join(tmpdir(), `umc-files-${process.pid}.pcapng`));
  });
});

describe('the rules, on stat results', () => {
  const st = (o: { uid: number; mode?: number; nlink?: number; file?: boolean }) => ({
    uid: o.uid, mode: o.mode ?? 0o40755, nlink: o.nlink ?? 1, isFile: () => o.file ?? true,
  });
  test('a directory: refused only when others may write it and it is not root\'s', () => {
    expect(directoryRefusal(st({ uid: 0, mode: 0o41777 }))).toBeNull();
    expect(directoryRefusal(st({ uid: 1000, mode: 0o40755 }))).toBeNull();
    expect(directoryRefusal(st({ uid: 1000, mode: 0o40775 }))).toMatch(/writable by group or others and owned by uid 1000/);
    expect(directoryRefusal(st({ uid: 1000, mode: 0o40757 }))).not.toBeNull();
  });
  test('a file: regular, the owner given, one link', () => {
    expect(fileRefusal(st({ uid: 0 }), 0)).toBeNull();
    expect(fileRefusal(st({ uid: 0, file: false }), 0)).toBe('not a regular file');
    expect(fileRefusal(st({ uid: 7 }), 0)).toBe('owned by uid 7, not 0');
    expect(fileRefusal(st({ uid: 0, nlink: 3 }), 0)).toBe('it has 3 links (a hard link to another file)');
  });
});
