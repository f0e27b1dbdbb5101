// Who may import what (docs/architecture.md, "Support library"): what ships (src, support, demo, bench) never
// imports test/; the product (src) never imports support/; support/ imports only Node built-ins, support/ and src/,
// so `npm ci && npm run demo` needs nothing but the product's own dependencies and iproute2.

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../support/paths.js';
import { specifiers, tsFiles } from '../../support/imports.js';

/** The top directory of the repository a relative import of `file` lands in ('' for a package or built-in). */
export function landsIn(file: string, spec: string): string {
  if (!spec.startsWith('.')) return '';
  return relative(REPO_ROOT, resolve(dirname(file), spec)).split(sep)[0];
}

/** What breaks the rule for files under `dir`: imports landing in a directory `forbidden` lists, or packages. */
function offences(dir: string, forbidden: readonly string[], packagesAllowed: boolean): string[] {
  return tsFiles(join(REPO_ROOT, dir)).flatMap((file) => specifiers(readFileSync(file, 'utf8')).flatMap((spec) => {
    const top = landsIn(file, spec);
    const isPackage = !spec.startsWith('.') && !spec.startsWith('node:');
    if (forbidden.includes(top) || (isPackage && !packagesAllowed)) return [`${relative(REPO_ROOT, file)}: ${spec}`];
    return [];
  }));
}

describe('support library layering', () => {
  it('src/ imports neither support/ nor test/', () => {
    expect(offences('src', ['support', 'test', 'bench', 'demo'], true)).toEqual([]);
  });
  it('support/ imports only Node built-ins, support/ and src/ (no packages, no test/)', () => {
    expect(offences('support', ['test', 'bench', 'demo'], false)).toEqual([]);
  });
  it('demo/ and bench/ import nothing from test/', () => {
    expect([...offences('demo', ['test'], true), ...offences('bench', ['test'], true)]).toEqual([]);
  });
  it('the check sees a forbidden import', () => {
    const file = join(REPO_ROOT, 'support', 'x.ts');
    expect(landsIn(file, '../test/support/frames.js')).toBe('test');
    expect(landsIn(file, '../src/io/native.js')).toBe('src');
    expect(landsIn(file, 'node:fs')).toBe('');
  });
});
