// src/capture/capture-files.ts — where capture files go and how they are opened: the names, the file operations
// (replaceable for tests), standard output.
//
// '-' is standard output. A name without a '/' goes to ./captures/ (made if missing). With rotation
// (SIZE_MB:FILES, as tcpdump -C SIZE -W FILES) names are tcpdump's: FILE followed by the file's number, 0 to
// FILES - 1, zero-padded to the width of FILES - 1 (-W 3: cap.pcapng0 … cap.pcapng2; -W 10: …0 … …9; -W 11:
// …00 … …10; -W 1: FILE itself).
//
// DOC: opening as root in a place others may write. The daemon is root and a capture holds every tenant's traffic,
// so a file is opened the way that cannot be turned against root: O_NOFOLLOW (a symlink planted at the name, or at a
// future rotated name, is refused, its target untouched), O_NONBLOCK (a FIFO without a reader is ENXIO at once,
// never a thread blocked in open), no O_TRUNC: the file is truncated only after fstat on the opened fd shows a
// regular file owned by the daemon's user with one link (not a FIFO, a device or a hard link to someone's file),
// and it is made 0600 (a new one is created so; an old one is chmod'ed through the fd). The directory is refused
// when others may write in it and it is not root's. Every rotated file is opened the same way.

import { constants as C, write as fdWrite, type Stats } from 'node:fs';
import { open as fsOpen, mkdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** The little of the file system the writer uses. */
export interface CaptureIo {
  /** opens for writing, truncating (nodeCaptureIo: only what openSafely allows); returns a handle */
  open(path: string): Promise<CaptureFile>;
  mkdirs(path: string): Promise<void>;
}
export interface CaptureFile {
  /** bytes written (may be fewer than asked) or a thrown Error with .code */
  write(b: Uint8Array, at: number, len: number): Promise<number>;
  close(): Promise<void>;
}

/** Linux's O_CLOEXEC: fs.constants lacks it (libuv adds it to every open anyway; said here so the flags are whole). */
const O_CLOEXEC = 0o2000000;
export const CAPTURE_OPEN_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK | O_CLOEXEC;
export const CAPTURE_FILE_MODE = 0o600;
const OTHERS_WRITE = 0o022;

/** An open refused because of what is at the path, not because the system failed: `reason` says what. */
export class UnsafeCaptureFile extends Error {
  constructor(readonly path: string, readonly reason: string, readonly code: string) {
    super(`${path}: ${reason}`);
  }
}

/** Why a directory must not receive a capture file, or null: writable by others and not root's. */
export function directoryRefusal(st: Pick<Stats, 'uid' | 'mode'>): string | null {
  return st.uid !== 0 && (st.mode & OTHERS_WRITE) !== 0
    ? `its directory is writable by group or others and owned by uid ${st.uid}, not root` : null;
}

/** Why an opened file must not be truncated and written, or null: a regular file of `owner` with one link. */
export function fileRefusal(st: Pick<Stats, 'uid' | 'nlink' | 'isFile'>, owner: number): string | null {
  if (!st.isFile()) return 'not a regular file';
  if (st.uid !== owner) return `owned by uid ${st.uid}, not ${owner}`;
  if (st.nlink !== 1) return `it has ${st.nlink} links (a hard link to another file)`;
  return null;
}

/** What an open's errno says about the path itself: ELOOP under O_NOFOLLOW is a symlink, ENXIO a FIFO or socket. */
const UNSAFE_ERRNO: Readonly<Record<string, string>> = { ELOOP: 'a symbolic link', ENXIO: 'not a regular file (a FIFO or a socket)' };

/** Opens `path` for a capture as described at the top; throws UnsafeCaptureFile or the system's error. */
export async function openSafely(path: string, owner: number): Promise<FileHandle> {
  const dirWhy = directoryRefusal(await stat(dirname(path)));
  if (dirWhy !== null) throw new UnsafeCaptureFile(path, dirWhy, 'EPERM');
  let h: FileHandle;
  try {
    h = await fsOpen(path, CAPTURE_OPEN_FLAGS, CAPTURE_FILE_MODE);
  } catch (e) {
    const code = errCode(e);
    const why = UNSAFE_ERRNO[code];
    throw why === undefined ? e : new UnsafeCaptureFile(path, why, code);
  }
  try {
    const why = fileRefusal(await h.stat(), owner);
    if (why !== null) throw new UnsafeCaptureFile(path, why, 'EPERM');
    await h.truncate(0);
    await h.chmod(CAPTURE_FILE_MODE);
    return h;
  } catch (e) {
    await h.close().catch(() => {});
    throw e;
  }
}

export const nodeCaptureIo: CaptureIo = {
  async open(path) {
    // the daemon's user (root): files it did not make itself are not its to truncate
    const h = await openSafely(path, process.geteuid?.() ?? 0);
    return {
      async write(b, at, len) { return (await h.write(b, at, len)).bytesWritten; },
      close: () => h.close(),
    };
  },
  async mkdirs(path) { await mkdir(path, { recursive: true, mode: 0o700 }); },
};

/** The fd itself, not process.stdout: a stream would buffer without bound behind a slow reader. Not closed. */
function stdoutFile(fd: number): CaptureFile {
  return {
    write: (b, at, len) => new Promise((res, rej) => fdWrite(fd, b, at, len, null, (e, n) => (e ? rej(e) : res(n)))),
    close: async () => {},
  };
}

/** Opens `path` ('-': the fd `stdoutFd`), making its directory first when `makeDir`. Throws what the io throws. */
export async function openCaptureFile(path: string, io: CaptureIo, stdoutFd: number, makeDir: boolean): Promise<CaptureFile> {
  if (path === '-') return stdoutFile(stdoutFd);
  if (makeDir) await io.mkdirs(dirname(path));
  return io.open(path);
}

/** Where the frames go when a rotated file could not be opened: every write fails with `code`, so they count as lost. */
export function failingFile(code: string): CaptureFile {
  return { write: () => Promise.reject(Object.assign(new Error(code), { code })), close: async () => {} };
}

/** tcpdump's name for file number `n` of `files` (MakeFilename with -W). */
export function rotatedName(file: string, n: number, files: number): string {
  let width = 0;
  for (let x = files - 1; x > 0; x = Math.floor(x / 10)) width++;
  return width === 0 && n === 0 ? file : file + String(n).padStart(width, '0');
}

/** Where a capture named `file` goes: '-' stays, a bare name goes under <cwd>/captures/. */
export function capturePath(file: string, cwd: string): string {
  if (file === '-') return '-';
  return file.includes('/') ? resolve(cwd, file) : join(cwd, 'captures', file);
}

/** The errno code of a failed file operation, EIO when it has none. */
export const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? 'EIO';
