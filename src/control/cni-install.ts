// cni-install.ts — `umacvlan cni install [--dir DIR]`: writes the CNI shim built at `npm ci` (native/cni-shim.c,
// build/Release/cni-shim, statically linked) as DIR/umacvlan, where runtimes look for the plugin of `"type":
// "umacvlan"`. Atomically (a temporary file in DIR, mode 0755, renamed over the old one), so a runtime never runs a
// half-written plugin. Needs neither the addon nor a daemon.

import { chmodSync, closeSync, copyFileSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './usage-error.js';

export const DEFAULT_CNI_DIR = '/opt/cni/bin';
export const PLUGIN_NAME = 'umacvlan';

/** the built shim, from dist/src/control/ or src/control/ alike: the package root is three levels up from dist */
export function builtShim(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.includes('/dist/') ? join(here, '../../..') : join(here, '../..');
  return join(root, 'build/Release/cni-shim');
}

/** `cni install [--dir DIR]` → the directory, or the UsageError. Pure. */
export function parseCniArgs(args: readonly string[]): { dir: string } | UsageError {
  if (args[0] !== 'install') {
    return new UsageError('cni', args.length === 0 ? 'needs a subcommand: install' : `unknown subcommand ${JSON.stringify(args[0])} (install)`);
  }
  let dir = DEFAULT_CNI_DIR;
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '--dir' || a.startsWith('--dir=')) {
      const v = a === '--dir' ? args[++i] : a.slice('--dir='.length);
      if (v === undefined || v === '') return new UsageError('--dir', 'needs a directory');
      dir = v;
    } else {
      return new UsageError('cni install', `unexpected ${JSON.stringify(a)} (only --dir DIR)`);
    }
  }
  return { dir };
}

/** Writes the shim as dir/umacvlan and returns that path; throws with the system's error. */
export function installShim(dir: string, from = builtShim()): string {
  const to = join(dir, PLUGIN_NAME);
  const tmp = join(dir, `.${PLUGIN_NAME}.tmp-${process.pid}`);
  rmSync(tmp, { force: true });
  try {
    copyFileSync(from, tmp);
    chmodSync(tmp, 0o755);
    const fd = openSync(tmp, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return to;
}
