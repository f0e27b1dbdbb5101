// src/capture/writer-options.ts — what a CaptureWriter is told (options) and what it reports (stats): the writer's
// boundary, apart from its loop (writer.ts).

import type { CaptureIo } from './capture-files.js';
import type { CaptureFormat } from './encoder.js';
import type { CaptureError } from './errors.js';

export interface CaptureWriterOptions {
  /** '-' = standard output; a bare name lands in <cwd>/captures/ */
  file: string;
  format: CaptureFormat;
  /** at most this many MB (10^6 bytes) per file, at most `files` files; not with '-' */
  rotate?: { sizeMb: number; files: number };
  /** the filter's text, recorded in every IDB (if_filter) and turning on isb_filteraccept */
  filter?: string;
  /** pause between drains when the ring was empty; default 10 ms */
  intervalMs?: number;
  /** output chunk size; default 1 MiB, at least room for two of the largest blocks */
  chunkBytes?: number;
  /** shb_userappl; default 'umacvlan' */
  app?: string;
  /** where ./captures/ is; default process.cwd() */
  cwd?: string;
  /** the output for '-'; default 1 */
  stdoutFd?: number;
  /** a write failed after the start (its frames are counted as dropped); called once until a write succeeds */
  onError?: (e: CaptureError) => void;
  /** the file operations, for tests; default node:fs/promises */
  io?: CaptureIo;
}

export interface CaptureWriterStats {
  /** the file being written ('-' for standard output) */
  file: string;
  /** files opened so far (rotations + 1) */
  filesOpened: number;
  framesWritten: number;
  /** frames lost by the writer: failed writes (the ring's own drops are in ring.counters()) */
  framesLostWriting: number;
  bytesWritten: number;
  writeErrors: number;
  lastError?: string;
}
