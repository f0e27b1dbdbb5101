// src/capture/capture-files.ts — where capture files go and how they are opened: the names, the file operations
// (replaceable for tests), standard output.
//
// '-' is standard output. A name without a '/' goes to ./captures/ (made if missing). With rotation
// (SIZE_MB:FILES, as tcpdump -C SIZE -W FILES) names are tcpdump's: FILE followed by the file's number, 0 to
// FILES - 1, zero-padded to the width of FILES - 1 (-W 3: cap.pcapng0 … cap.pcapng2; -W 10: …0 … …9; -W 11:
// …00 … …10; -W 1: FILE itself).

import { write as fdWrite } from 'node:fs';
import { open as fsOpen, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** The little of the file system the writer uses. */
export interface CaptureIo {
  /** opens for writing, truncating; returns a handle */
  open(path: string): Promise<CaptureFile>;
  mkdirs(path: string): Promise<void>;
}
export interface CaptureFile {
  /** bytes written (may be fewer than asked) or a thrown Error with .code */
  write(b: Uint8Array, at: number, len: number): Promise<number>;
  close(): Promise<void>;
}

export const nodeCaptureIo: CaptureIo = {
  async open(path) {
    const h: FileHandle = await fsOpen(path, 'w', 0o644);
    return {
      async write(b, at, len) { return (await h.write(b, at, len)).bytesWritten; },
      close: () => h.close(),
    };
  },
  async mkdirs(path) { await mkdir(path, { recursive: true }); },
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
