// The engine's statistics in what `show`, `show --json` and /metrics say about a port: the parent's ring (drops,
// frames cut short), each port's read and write errors, and state 'error' for a child whose reads stopped for good
// (its TAP answers every read with an error: nothing it sends is forwarded any more). Read on demand
// (Daemon.engineStats), never per batch.

import { getSystemErrorName } from 'node:util';
import { PARENT } from '../core/constants.js';
import type { EngineSnapshot } from '../datapath/engine-stats.js';
import type { PortView } from './requests.js';

export interface PortIoView {
  readErrors: number;
  writeErrors: number;
  /** a child: the error that stopped its reads for good; the parent: its socket's last error, until frames flow */
  readError: string | null;
  /** the last error a write to the port met */
  writeError: string | null;
}

/** The parent's ring */
export interface RingView {
  /** frames the kernel dropped because the ring was full */
  drops: number;
  /** frames the ring held cut short, not forwarded */
  truncated: number;
  /** frames larger than a ring slot (cut by the kernel, not forwarded): apart, as they say the slot is too small */
  tooBig: number;
}

/** Linux errnos Node's table (libuv's) has no name for; EBADFD is what a read of a deleted TAP answers. */
const LINUX_ONLY: Readonly<Record<number, string>> = { 77: 'EBADFD' };

/** 'EIO' for 5, 'EBADFD' for 77; null for 0 */
export function errnoName(errno: number): string | null {
  if (errno === 0) return null;
  const known = LINUX_ONLY[errno];
  if (known !== undefined) return known;
  try {
    const name = getSystemErrorName(-errno);
    return name.startsWith('E') ? name : `errno ${errno}`;
  } catch { return `errno ${errno}`; }
}

/** Adds `io` to each port the engine reads and `ring` to the parent; puts a child whose reads stopped in 'error'. */
export function withEngineStats(views: PortView[], snap: EngineSnapshot | null): PortView[] {
  if (snap === null) return views;
  for (const v of views) {
    if (v.slot === PARENT) v.ring = { drops: snap.engine.ringDrops, truncated: snap.engine.ringTruncated, tooBig: snap.engine.ringTooBig };
    if (v.state === 'gone') continue;  // its slot may be another child's by now
    const io = snap.ports.get(v.slot);
    if (io === undefined) continue;
    v.io = { readErrors: io.readErrors, writeErrors: io.writeErrors, readError: errnoName(io.readErrno), writeError: errnoName(io.writeErrno) };
    if (v.slot !== PARENT && io.readErrno !== 0) v.state = 'error';
  }
  return views;
}

/** The lines `show` adds under a port: the parent's ring always, I/O errors when there are any. */
export function engineLines(p: PortView): string[] {
  const out: string[] = [];
  if (p.ring) out.push(`    ring: drops ${p.ring.drops} truncated ${p.ring.truncated} too-big ${p.ring.tooBig}`);
  const io = p.io;
  if (io && (io.readErrors || io.writeErrors || io.readError || io.writeError)) {
    const read = io.readError ? ` (${p.slot === PARENT ? '' : 'reads stopped: '}${io.readError})` : '';
    const write = io.writeError ? ` (last: ${io.writeError})` : '';
    out.push(`    I/O errors: read ${io.readErrors}${read} write ${io.writeErrors}${write}`);
  }
  return out;
}
