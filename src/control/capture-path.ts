// Where `umacvlan capture start FILE` writes, decided by the client: FILE is the client's word, so it is made
// absolute against the client's working directory (a bare name: $PWD/captures/NAME, the rule `run --capture`
// applies in the daemon's), and the daemon takes only absolute paths over its socket. Under systemd the daemon's
// working directory is `/`: a relative name resolved there would land where nobody asked.

import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { capturePath } from '../capture/capture-files.js';
import { scan } from './argv-scan.js';

/**
 * `argv` (`capture start … FILE …`, already parsed without error) with FILE replaced by its absolute path against
 * `cwd`. For a bare name the client makes `cwd/captures/` (0700) if missing; the daemon opens the file.
 */
export function absoluteCaptureArgv(argv: readonly string[], cwd: string): string[] {
  const s = scan('capture', argv.slice(1));
  const at = s.posAt[1];
  const file = s.pos[1];
  if (at === undefined || file === undefined || isAbsolute(file)) return [...argv];
  const abs = capturePath(file, cwd);
  if (!file.includes('/')) {
    // a directory that cannot be made is reported by the daemon's open (ENOENT), with the path
    try { mkdirSync(dirname(abs), { mode: 0o700 }); } catch { /* there already, or the daemon says why not */ }
  }
  const out = [...argv];
  out[at + 1] = abs;
  return out;
}

/** Why a capture start from the socket is refused for its path, or null: the client sends absolute paths. */
export function requestPathRefusal(file: string): string | null {
  return isAbsolute(file) ? null : `capture start ${file}: the path must be absolute over the control socket (the umacvlan client makes it so)`;
}
