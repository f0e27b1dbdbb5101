// What a test that runs the product as another user (nobody) needs, copied where that user can read it: the
// checkout itself may live in a directory only its owner can enter (a clone under /root, a 0700 mktemp -d), and
// nobody would fail on EACCES before reaching the behaviour under test.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDON, REPO_ROOT, ensureBuilt } from '../../support/paths.js';

export interface ReadableCopy {
  /** the copy's root: a working directory nobody can enter */
  readonly root: string;
  /** dist/src/main.js in the copy */
  readonly cli: string;
  /** build/Release/umacvlan.node in the copy */
  readonly addon: string;
  /** removes the copy */
  remove(): void;
}

/** Everything under `path` readable (and directories enterable) by all: 0755 directories, 0644 files. */
function openUp(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.isDirectory() ? 0o755 : 0o644);
  if (st.isDirectory()) for (const n of readdirSync(path)) openUp(join(path, n));
}

/** The built CLI, package.json and the product addon, copied to a fresh directory under the system's tmpdir. */
export function readableCopy(): ReadableCopy {
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), 'umv-readable-'));
  cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
  cpSync(join(REPO_ROOT, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
  mkdirSync(join(root, 'build', 'Release'), { recursive: true });
  const addon = join(root, 'build', 'Release', 'umacvlan.node');
  cpSync(ADDON, addon);
  openUp(root);
  return { root, cli: join(root, 'dist', 'src', 'main.js'), addon, remove: () => rmSync(root, { recursive: true, force: true }) };
}
