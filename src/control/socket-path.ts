// Where a daemon's control socket lives. Two parents of one name in two network namespaces must never collide, so
// the name carries the namespace's inode (as `ls -l /proc/self/ns/net` shows it) as well as the parent's name.

import { lstatSync, readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CONTROL_DIR = '/run/umacvlan';
const SUFFIX = '.sock';

/** 'net:[4026531840]' → '4026531840' */
export function netnsId(): string {
  const link = readlinkSync('/proc/self/ns/net');
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1] : link.replace(/[^0-9A-Za-z]/g, '');
}

export function defaultControlPath(parent: string, dir = CONTROL_DIR): string {
  return join(dir, `${netnsId()}-${parent}${SUFFIX}`);
}

/** Every socket file under the control directory (live or stale: the caller tries to connect); not a symlink to one
 *  elsewhere, which only someone who may write the directory could have put there */
export function listControlSockets(dir = CONTROL_DIR): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names
    .filter((n) => n.endsWith(SUFFIX))
    .map((n) => join(dir, n))
    .filter((p) => { try { return lstatSync(p).isSocket(); } catch { return false; } });
}
