// Every pointer stays inside the repository (docs/architecture.md, "Pointers stay inside the repository"):
// README.md, docs/, src/, native/, support/, test/, bench/, demo/ and the root's build files cite docs/ and test
// titles, never a path outside the repository or a tracker number. Also: the relative links of the Markdown files
// resolve, and every row ID a test title starts with (F12, M5, SR3, …) is a row of a table in docs/.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = fileURLToPath(import.meta.url);
const TREES = ['docs', 'src', 'native', 'support', 'test', 'bench', 'demo'];
const ROOT_FILES = ['README.md', 'package.json', 'binding.gyp', 'umacvlan.schema.json', '.ci/run'];
const TEXT = /\.(ts|mts|mjs|js|cc|h|md|py|sh|json)$/;
/** Run records: the commands a bench run executed, with that checkout's absolute paths. */
const RUN_RECORDS = 'bench/results/';

interface Rule { why: string; re: RegExp; except?: (rel: string) => boolean }

// Built from pieces so that this file does not match itself if it is ever scanned.
const RULES: Rule[] = [
  { why: 'points at a sibling of the repository', re: new RegExp('(^|[^A-Za-z0-9_])shared' + '/', 'i') },
  { why: 'cites a document that is not in the repository', re: new RegExp('\\b(semantics|style)' + '\\.md\\b', 'i') },
  { why: 'points at prompts outside the repository', re: new RegExp('\\bprompts' + '/', 'i') },
  {
    why: 'an absolute path of a checkout', re: new RegExp('/work' + '/'),
    except: (rel) => rel.startsWith(RUN_RECORDS),
  },
  { why: 'cites an issue number', re: new RegExp('\\bissues?\\s*#?\\s*' + '\\d', 'i') },
];

/** `path:line: why: text` for each line of `text` that breaks a rule. */
export function offences(rel: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const r of RULES) {
      if (r.except?.(rel)) continue;
      if (r.re.test(line)) out.push(`${rel}:${i + 1}: ${r.why}: ${line.trim().slice(0, 160)}`);
    }
  });
  return out;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' || d.name === 'build' ? [] : files(p);
    return TEXT.test(d.name) ? [p] : [];
  });
}

const scanned = [
  ...ROOT_FILES.map((f) => join(ROOT, f)).filter((f) => existsSync(f)),
  ...TREES.flatMap((t) => files(join(ROOT, t))),
].filter((f) => f !== SELF);

describe('pointers stay inside the repository', () => {
  it('scans README.md and docs/', () => {
    expect(scanned).toContain(join(ROOT, 'README.md'));
    expect(scanned.some((f) => relative(ROOT, f).startsWith('docs/'))).toBe(true);
  });

  it('no file points outside the repository or cites an issue number', () => {
    const bad = scanned.flatMap((f) => offences(relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('relative links in README.md and docs/ resolve to files of the repository', () => {
    const bad: string[] = [];
    for (const f of scanned.filter((p) => p.endsWith('.md') && !relative(ROOT, p).startsWith(RUN_RECORDS))) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        for (const mt of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = mt[1].split('#')[0];
          if (target === '' || /^[a-z]+:/i.test(target)) continue;
          const abs = resolve(dirname(f), target);
          const rel = relative(ROOT, abs);
          if (rel.startsWith('..') || !existsSync(abs)) bad.push(`${relative(ROOT, f)}:${i + 1}: ${mt[1]}`);
        }
      });
    }
    expect(bad).toEqual([]);
  });
});

/** Row IDs defined in docs/: the first cell of a table row, e.g. `| F12 |`. */
function definedRows(): Set<string> {
  const ids = new Set<string>();
  for (const f of files(join(ROOT, 'docs')).filter((p) => p.endsWith('.md'))) {
    for (const mt of readFileSync(f, 'utf8').matchAll(/^\| *([A-Z]{1,2}\d{1,2}) *\|/gm)) ids.add(mt[1]);
  }
  return ids;
}

const ROW_ID = /^(?:SR|PT|[ACFGILMPQSUX])\d{1,2}$/;

/** The row IDs a test title starts with: 'C8 / X0: …' → C8, X0; 'S9: …' → S9. */
export function titleRows(title: string): string[] {
  const head = /^((?:[A-Z]{1,2}\d{1,2})(?:\s*[/,]\s*[A-Z]{1,2}\d{1,2})*)\b/.exec(title);
  return head ? head[1].split(/\s*[/,]\s*/).filter((id) => ROW_ID.test(id)) : [];
}

describe('row IDs in test titles are defined in docs/', () => {
  it('every cited ID is a row of docs/', () => {
    const ids = definedRows();
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'test')).filter((p) => p.endsWith('.test.ts') && p !== SELF)) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        for (const mt of line.matchAll(/\b(?:it|test|describe)(?:\.each\([^)]*\))?\(\s*(['"`])(.*?)\1/g)) {
          for (const id of titleRows(mt[2])) {
            if (!ids.has(id)) bad.push(`${relative(ROOT, f)}:${i + 1}: ${id} is not defined in docs/`);
          }
        }
      });
    }
    expect(ids.size).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });
});

describe('the checker itself', () => {
  it('flags pointers outside the repository and issue numbers', () => {
    const sample = [
      'see ../shared/spec/forwarding.md', // 1
      'the rules are in /work/' + 'shared/spec', // 2 (two rules)
      'ET at offset 12 (semantics.md)', // 3
      'the CLI (issue 5, "Command line")', // 4
      'Issue 9, configuration row', // 5
      'fixed in issue #12', // 6
      'the issue\'s targets', // not flagged
      'a SharedArrayBuffer/worker', // not flagged
      'docs/forwarding.md §3.4', // not flagged
    ].join('\n');
    const lines = offences('x.ts', sample).map((s) => Number(s.split(':')[1]));
    expect(lines).toEqual([1, 2, 2, 3, 4, 5, 6]);
    expect(offences('bench/results/latest.md', 'node /work/main/dist/src/main.js')).toEqual([]);
    expect(offences('bench/system/x.ts', 'node /work/main/dist/src/main.js')).toHaveLength(1);
  });

  it('reads the row IDs a title starts with', () => {
    expect(titleRows('C8 / X0: a child without carrier')).toEqual(['C8', 'X0']);
    expect(titleRows('S9: S1 → vepa → source')).toEqual(['S9']);
    expect(titleRows('M10 deviation: fragments')).toEqual(['M10']);
    expect(titleRows('deviation: an 802.1Q-tagged PAUSE frame')).toEqual([]);
    expect(titleRows('UP and DOWN')).toEqual([]);
  });
});
