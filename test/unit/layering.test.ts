// docs/architecture.md's room rule for the pure rooms: src/wire imports nothing outside src/wire; src/core imports
// only src/core and src/wire; src/values only itself, core and wire; src/cni only itself, values, core, wire and
// node:crypto (the handle's hash). None touches another node:* module, fs, packages, Buffer or process. All may
// import the error catalog (src/errors/catalog.ts), a leaf that imports nothing at all, so that a refusal anywhere
// names its code. src/io, the only room that talks to the kernel, imports no other room: what a datagram means is
// its callers' business (an address's text is read into bytes by wire/ip-address.ts in control).

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
export function violation(file: string, spec: string, allowed: readonly string[], leaves: readonly string[] = LEAVES,
  builtins: readonly string[] | 'any' = []): string | null {
  if (spec.startsWith('node:') || spec === 'fs' || spec.startsWith('fs/')) {
    return builtins === 'any' || builtins.includes(spec) ? null : `${spec}: node built-in`;
  }
  if (!spec.startsWith('.')) return `${spec}: a package (the checked rooms import none)`;
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

interface Room {
  room: string;
  /** room directories under src/ it may import */
  allowed: readonly string[];
  /** node: modules it may import ('any': every one) */
  builtins?: readonly string[] | 'any';
  /** whether it must also keep off Buffer, process and __dirname */
  pure: boolean;
}

const ROOMS: readonly Room[] = [
  { room: 'wire', allowed: ['wire'], pure: true },
  { room: 'core', allowed: ['core', 'wire'], pure: true },
  { room: 'values', allowed: ['values', 'core', 'wire'], pure: true },
  { room: 'cni', allowed: ['cni', 'values', 'core', 'wire'], builtins: ['node:crypto'], pure: true },
  { room: 'io', allowed: ['io'], builtins: 'any', pure: false },
];

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

describe('layering: src/wire, src/core, src/values and src/cni stay pure; src/io imports no other room', () => {
  for (const { room, allowed, builtins = [], pure } of ROOMS) {
    const files = tsFiles(join(SRC, room));
    it(`src/${room} has files to check`, () => {
      expect(files.length).toBeGreaterThan(0);
    });
    for (const file of files) {
      it(`${relative(ROOT, file)} imports only ${allowed.join(' + ')}`, () => {
        const source = readFileSync(file, 'utf8');
        const bad = specifiers(source).map((s) => violation(file, s, allowed, LEAVES, builtins)).filter((x) => x !== null);
        expect(bad).toEqual([]);
        if (pure) expect(globalUse(source)).toEqual([]);
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

  it('keeps src/cni off src/control, and lets a room take only the built-ins named for it', () => {
    const cni = join(SRC, 'cni', 'x.ts');
    const rooms = ['cni', 'values', 'core', 'wire'];
    expect(violation(cni, '../values/names.js', rooms)).toBeNull();
    expect(violation(cni, '../control/values.js', rooms)).toMatch(/outside/);
    expect(violation(cni, '../control/child-config.js', rooms)).toMatch(/outside/);
    expect(violation(cni, 'node:crypto', rooms, LEAVES, ['node:crypto'])).toBeNull();
    expect(violation(cni, 'node:fs', rooms, LEAVES, ['node:crypto'])).toMatch(/built-in/);
    expect(violation(join(SRC, 'io', 'x.ts'), 'node:fs', ['io'], LEAVES, 'any')).toBeNull();
    expect(violation(join(SRC, 'io', 'x.ts'), '../wire/ip-address.js', ['io'], LEAVES, 'any')).toMatch(/outside/);
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
