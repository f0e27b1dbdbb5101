// versions.ts — which CNI specification versions the plugin speaks, and which commands each allows.
//
// The reference library (pkg/version, pkg/skel) treats a missing cniVersion as 0.1.0, compares versions as
// major.minor.micro integers, and checks a command's floor (CHECK 0.4.0; STATUS and GC 1.1.0) before the version's
// membership in the supported list. umacvlan speaks 0.3.0 and later: the 0.1.0/0.2.0 result has no interface list
// to report the child in.

import type { CniCommand } from './cni-env.js';
import { CNI_CODE, CniError } from './cni-error.js';

export const SUPPORTED_VERSIONS: readonly string[] = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
/** The newest version: what VERSION reports as its own and the version of an error printed before a config is read. */
export const CURRENT_VERSION = '1.1.0';

/** The lowest config version that may ask for a command (the specification's; skel checks it first). */
const FLOOR: Readonly<Partial<Record<CniCommand, string>>> = { CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0' };

/** VERSION's answer, one line of JSON. */
export function versionReply(): string {
  return JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: SUPPORTED_VERSIONS });
}

/** major, minor, micro; "" is 0.1.0 (a config without cniVersion). CniError 6 for anything else. */
function parseVersion(v: string): [number, number, number] {
  if (v === '') return [0, 1, 0];
  const parts = v.split('.');
  if (parts.length > 3 || !parts.every((p) => /^[0-9]{1,9}$/.test(p))) {
    throw new CniError(CNI_CODE.DECODE_FAILED, `invalid version ${JSON.stringify(v)}`);
  }
  const n = parts.map(Number);
  return [n[0], n[1] ?? 0, n[2] ?? 0];
}

/** <0, 0, >0 as a is lower than, equal to or higher than b. CniError 6 when either is not a version. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a), y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** Whether the config's version allows the command, with the reference's messages; throws CniError 1 (or 6). */
export function requireVersion(command: CniCommand, cniVersion: string): void {
  if (command === 'VERSION') return;
  const floor = FLOOR[command];
  if (floor !== undefined && compareVersions(cniVersion, floor) < 0) {
    throw new CniError(CNI_CODE.INCOMPATIBLE_VERSION, `config version does not allow ${command}`,
      `config is ${JSON.stringify(cniVersion || '0.1.0')}, ${command} needs ${floor} or later`);
  }
  if (!SUPPORTED_VERSIONS.includes(cniVersion)) {
    throw new CniError(CNI_CODE.INCOMPATIBLE_VERSION, 'incompatible CNI versions',
      `config is ${JSON.stringify(cniVersion || '0.1.0')}, plugin supports [${SUPPORTED_VERSIONS.map((v) => JSON.stringify(v)).join(' ')}]`);
  }
}
