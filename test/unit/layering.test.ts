// docs/architecture.md's room rule for the pure rooms: src/wire imports nothing outside src/wire; src/core imports
// only src/core and src/wire; neither touches node:*, fs, packages, Buffer or process. Both may import the error
// catalog (src/errors/catalog.ts), a leaf that imports nothing at all, so that a refusal anywhere names its code.

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { specifiers, tsFiles } from '../support/imports.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/** Modules under src/ that every room may import: leaves that import nothing (checked below). */
export const LEAVES: readonly string[] = ['errors/catalog.js'];

/**
 * Why `spec` imported from `file` breaks the room rule, or null. `allowed` are room directories under src/;
 * `leaves` are single modules (paths under src/, as imported) allowed besides them.
 */
export function violation(file: string, spec: string, allowed: readonly string[], leaves: readonly string[] = LEAVES): string | null {
  if (spec.startsWith('node:') || spec === 'fs' || spec.startsWith('fs/')) return `${spec}: node built-in`;
  if (!spec.startsWith('.')) return `${spec}: a package (rooms wire/core import none)`;
  const target = resolve(dirname(file), spec);
  const rel = relative(SRC, target);
  if (!rel.startsWith('..') && leaves.includes(rel.split(sep).join('/'))) return null;
  const room = rel.split(sep)[0];
  if (rel.startsWith('..') || !allowed.includes(room)) return `${spec}: resolves to ${relative(ROOT, target)}, outside ${allowed.join(', ') || 'nothing'}`;
  return null;
}

/** Node globals a pure room must not lean on either. */
export function globalUse(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1').replace(/'[^'\n]*'|"[^"\n]*"|`[^`]*`/g, "''");
  const out: string[] = [];
  if (/\bBuffer\b/.test(code)) out.push('Buffer');
  if (/\bprocess\s*\./.test(code)) out.push('process');
  if (/\b__dirname\b|\b__filename\b/.test(code)) out.push('__dirname');
  return out;
}

const ROOMS: Array<[string, readonly string[]]> = [['wire', ['wire']], ['core', ['core', 'wire']]];

describe('layering: the leaves import nothing', () => {
  for (const leaf of LEAVES) {
    const file = join(SRC, leaf.replace(/\.js$/, '.ts'));
    it(`src/${leaf.replace(/\.js$/, '.ts')} imports nothing and uses no Node global`, () => {
      const source = readFileSync(file, 'utf8');
      expect(specifiers(source)).toEqual([]);
      expect(globalUse(source)).toEqual([]);
    });
  }
});

describe('layering: src/wire and src/core stay pure', () => {
  for (const [room, allowed] of ROOMS) {
    const files = tsFiles(join(SRC, room));
    it(`src/${room} has files to check`, () => {
      expect(files.length).toBeGreaterThan(0);
    });
    for (const file of files) {
      it(`${relative(ROOT, file)} imports only ${allowed.join(' + ')}`, () => {
        const source = readFileSync(file, 'utf8');
        const bad = specifiers(source).map((s) => violation(file, s, allowed)).filter((x) => x !== null);
        expect(bad).toEqual([]);
        expect(globalUse(source)).toEqual([]);
      });
    }
  }
});

describe('the checker itself', () => {
  const core = join(SRC, 'core', 'x.ts');
  const wire = join(SRC, 'wire', 'x.ts');
  it('finds every import form', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../wire/b.js';",
      "export { c } from \"./c.js\";",
      "export * from './d.js';",
      "import './side.js';",
      "const e = await import('node:fs');",
      "const f = require('fs');",
      "import {\n  g,\n  h,\n} from '../io/contract.js';",
      "// import { no } from 'node:os';",
      "/* import { no2 } from 'node:os'; */",
    ].join('\n');
    expect(specifiers(src)).toEqual(['./a.js', '../wire/b.js', './c.js', './d.js', '../io/contract.js', './side.js', 'node:fs', 'fs']);
  });

  it('judges specifiers by room', () => {
    expect(violation(core, './port-table.js', ['core', 'wire'])).toBeNull();
    expect(violation(core, '../wire/ethernet.js', ['core', 'wire'])).toBeNull();
    expect(violation(wire, '../core/constants.js', ['wire'])).toMatch(/outside wire/);
    expect(violation(core, '../io/contract.js', ['core', 'wire'])).toMatch(/outside/);
    expect(violation(core, '../../test/x.js', ['core', 'wire'])).toMatch(/outside/);
    expect(violation(core, 'node:util', ['core', 'wire'])).toMatch(/built-in/);
    expect(violation(core, 'fs', ['core', 'wire'])).toMatch(/built-in/);
    expect(violation(core, 'tinybench', ['core', 'wire'])).toMatch(/package/);
  });

  it('lets a pure room import a leaf, and nothing else beside it', () => {
    expect(violation(core, '../errors/catalog.js', ['core', 'wire'])).toBeNull();
    expect(violation(wire, '../errors/catalog.js', ['wire'])).toBeNull();
    expect(violation(core, '../errors/other.js', ['core', 'wire'])).toMatch(/outside/);
    expect(violation(core, '../control/errors/catalog.js', ['core', 'wire'])).toMatch(/outside/);
    expect(violation(core, '../errors/catalog.js', ['core', 'wire'], [])).toMatch(/outside/);
  });

  it('spots Node globals outside comments and strings', () => {
    expect(globalUse('const b = Buffer.from(x);')).toEqual(['Buffer']);
    expect(globalUse('if (process.env.X) {}')).toEqual(['process']);
    expect(globalUse("// Buffer is not used\nconst s = 'process.env';")).toEqual([]);
  });
});
