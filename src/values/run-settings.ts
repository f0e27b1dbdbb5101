// run-settings.ts — the values of `run`'s own settings and of `capture start`: capture filter, format and rotation,
// the log level, the host port's name and MAC.

import { childNameProblem, hasNul } from './names.js';
import { parseChildMac } from './macs-modes.js';
import { parseDecimal } from './numbers.js';
import { problem, quote, type Problem } from './problem.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';
export type CaptureFormat = 'pcapng' | 'pcap';

export interface CaptureRotate {
  /** at most this many 10⁶-byte units per file (tcpdump -C) */
  sizeMb: number;
  /** at most this many files, the oldest overwritten (tcpdump -W) */
  files: number;
}

export const SNAPLEN_MAX = 262144;
export const ROTATE_MAX_MB = 1_000_000;
export const ROTATE_MAX_FILES = 100_000;
export const BUSY_POLL_MAX_US = 1_000_000;

export function captureFilterProblem(filter: string): Problem | null {
  if (filter.trim() === '') return problem('empty filter');
  return hasNul(filter) ? problem('filter contains a NUL byte') : null;
}

export function parseCaptureFormat(text: string): CaptureFormat | Problem {
  return text === 'pcapng' || text === 'pcap' ? text : problem(`bad format ${quote(text)} (pcapng or pcap)`);
}

/** `SIZE_MB:FILES` of --capture-rotate. */
export function parseRotate(text: string): CaptureRotate | Problem {
  const m = /^([^:]*):([^:]*)$/.exec(text);
  if (!m) return problem(`bad rotation ${quote(text)} (SIZE_MB:FILES, e.g. 100:5)`);
  const sizeMb = parseDecimal(m[1], 1, ROTATE_MAX_MB, 'size in MB');
  if (typeof sizeMb !== 'number') return sizeMb;
  const files = parseDecimal(m[2], 1, ROTATE_MAX_FILES, 'file count');
  if (typeof files !== 'number') return files;
  return { sizeMb, files };
}

export function parseLogLevel(text: string): LogLevel | Problem {
  return text === 'quiet' || text === 'normal' || text === 'verbose'
    ? text : problem(`bad log level ${quote(text)} (quiet, normal or verbose)`);
}

/** `--host-port NAME[:MAC]`: the host's own port among the children; no MAC is 'auto', as a child's. */
export interface HostPortSpec { name: string; mac: number | 'auto' }

export function parseHostPort(text: string): HostPortSpec | Problem {
  // An interface name holds no ":", so the first one ends it.
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const bad = childNameProblem(name);
  if (bad) return bad;
  if (colon < 0) return { name, mac: 'auto' };
  const mac = parseChildMac(text.slice(colon + 1));
  return typeof mac === 'object' ? mac : { name, mac };
}
