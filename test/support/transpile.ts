// TypeScript for a process or worker thread that vitest does not transform: transpiles a file and every file it
// imports by a relative path, keeping their layout, into a directory of ES modules. Uses the project's own compiler
// (typescript, already a dev dependency) instead of a bundler, which package.json would have to declare.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../support/paths.js';

/** Transpiles `entry` (a .ts file in the repository) and its relative imports into outDir; returns entry's .js path. */
export function transpileTree(entry: string, outDir: string): string {
  writeFileSync(join(mkdirp(outDir), 'package.json'), '{ "type": "module" }\n');
  const done = new Set<string>();
  const pending = [resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      // sources import each other as '.js' (NodeNext): the file on disk is the '.ts'
      if (fileName.startsWith('.')) pending.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
    }
    const js = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    }).outputText;
    writeFileSync(outPath(file, outDir), js);
  }
  return outPath(resolve(entry), outDir);
}

function outPath(file: string, outDir: string): string {
  const rel = relative(REPO_ROOT, file);
  if (rel.startsWith('..')) throw new Error(`${file} is outside the repository`);
  const out = join(outDir, rel.replace(/\.ts$/, '.js'));
  mkdirp(dirname(out));
  return out;
}

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
