// src/cni/ is the pure CNI library: no I/O, no process, no addon. It may use its own files, core/, wire/, the error
// catalog, and the two value rooms of control/ whose rules it shares (values.ts, child-config.ts); node:crypto for
// the handle's hash. The daemon (control/) and the tests call it; it never calls them.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/cni');
const ALLOWED = [
  /^\.\/[a-z-]+\.js$/, /^\.\.\/core\/[a-z-]+\.js$/, /^\.\.\/wire\/[a-z-]+\.js$/, /^\.\.\/errors\/catalog\.js$/,
  /^\.\.\/control\/(values|child-config)\.js$/, /^node:crypto$/,
];

test('src/cni imports only what it may', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThanOrEqual(9);
  const bad: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(DIR, f), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
      if (!ALLOWED.some((re) => re.test(m[1]))) bad.push(`${f}: ${m[1]}`);
    }
    if (/\bprocess\.|require\(|import\(/.test(text)) bad.push(`${f}: process, require or a dynamic import`);
  }
  expect(bad).toEqual([]);
});
