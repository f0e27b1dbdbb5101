// Where the built project is, found from this file whether it runs compiled (dist/support/) or as TypeScript under
// vitest (support/): the nearest directory above that holds package.json is the repository.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

export const REPO_ROOT = repoRoot();
/** The daemon and client, as users run it (built by `tsc -p tsconfig.json`) */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'main.js');
/** The UDP echo program (support/echo-cli.ts, built): run as its own process inside a namespace */
export const ECHO_CLI = join(REPO_ROOT, 'dist', 'support', 'echo-cli.js');
/** The product addon (built by node-gyp) */
export const ADDON = join(REPO_ROOT, 'build', 'Release', 'umacvlan.node');

export function ensureBuilt(): void {
  for (const f of [CLI, ECHO_CLI]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npx tsc -p tsconfig.json\` (npm test does)`);
  }
}
