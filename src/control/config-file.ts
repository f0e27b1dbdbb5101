// config-file.ts — `umacvlan run --config FILE`: the file read (bounded, strict UTF-8), its JSON parsed strictly
// (json-strict.ts), and its keys read into a RunDraft through the options table (run-options.ts) and the child
// options table (child-config.ts), a path in every error. umacvlan.schema.json describes the same keys.

import { closeSync, openSync, readSync } from 'node:fs';
import { CHILD_KEYS, CHILD_OPTIONS, type ChildConfig } from './child-config.js';
import { CONFIG_ROOT, fieldsOf, type Fields } from './json-fields.js';
import { asParsed, asString, describe, JsonSyntax, parseJson, type Json } from './json-strict.js';
import { emptyDraft, type RunDraft } from './run-config.js';
import { RUN_OPTIONS } from './run-options.js';
import { refusing, UsageError } from './usage-error.js';
import { parseChildMac, parseMode } from '../values/macs-modes.js';
import { childNameProblem, hasNul, netnsProblem } from '../values/names.js';

export { CHILD_KEYS } from './child-config.js';
export { ROTATE_KEYS } from './run-options.js';
// The daemon's files still import these types from here; run-config.ts is their home.
export type { CaptureConfig, RunConfig } from './run-config.js';

export const CONFIG_MAX_BYTES = 1 << 20;

const keyed = RUN_OPTIONS.filter((o) => o.key !== undefined);
const unique = (keys: string[]): string[] => [...new Set(keys)];
/** Keys of the top object, in the schema's order: each is a run option's (or the first part of one's). */
export const CONFIG_KEYS: readonly string[] = ['$schema', ...unique(keyed.map((o) => o.key!.split('.')[0]))];
export const CAPTURE_KEYS: readonly string[] =
  unique(keyed.filter((o) => o.key!.startsWith('capture.')).map((o) => o.key!.slice('capture.'.length)));

/**
 * The file's text: at most CONFIG_MAX_BYTES, strict UTF-8, a leading BOM dropped. Reads by hand rather than with
 * readFileSync so that /dev/zero or a huge file given by mistake ends in an error, not an endless read (a pipe, as
 * from `--config <(...)`, still works).
 */
export function readConfigText(path: string): string | UsageError {
  const fail = (detail: string): UsageError => new UsageError('--config', detail, 'UMV_ERR_CONFIG', path);
  if (path === '' || hasNul(path)) return fail('bad file name');
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length;) {
      got = readSync(fd, buf, n, buf.length - n, null);
      n += got;
    }
    if (n > CONFIG_MAX_BYTES) return fail(`larger than ${CONFIG_MAX_BYTES} bytes`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return fail('not valid UTF-8');
    }
    return text.startsWith('\ufeff') ? text.slice(1) : text;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(`cannot read: ${err.code ?? err.message} (${err.syscall ?? 'read'})`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** readConfigText + parseConfigFile. */
export function loadConfigFile(path: string, read: (path: string) => string | UsageError = readConfigText): RunDraft | UsageError {
  const text = read(path);
  return text instanceof UsageError ? text : parseConfigFile(text, path);
}

/**
 * The JSON config file's content as a draft (see the schema in umacvlan.schema.json and the README).
 * Pure, never throws. `file` names the file in syntax errors.
 */
export function parseConfigFile(text: string, file = 'config'): RunDraft | UsageError {
  const json = parseJson(text);
  if (json instanceof JsonSyntax) {
    return new UsageError('--config', `bad JSON at line ${json.line} column ${json.column}: ${json.detail}`,
      'UMV_ERR_CONFIG', file);
  }
  return refusing(() => readTop(json));
}

function readTop(json: Json): RunDraft {
  const top = fieldsOf(json, CONFIG_ROOT, 'an object at the top').check(CONFIG_KEYS);
  const draft = emptyDraft();
  top.get('$schema', asString());
  for (const key of CONFIG_KEYS) {
    if (key === 'children') readChildren(top, draft);
    else if (key === 'capture') readCapture(top, draft);
    else RUN_OPTIONS.find((o) => o.key === key && o.fromJson)?.fromJson!(draft, top, key);
  }
  return draft;
}

function readChildren(top: Fields, draft: RunDraft): void {
  if (!top.has('children')) return;
  const list = top.obj.get('children')!;
  if (!Array.isArray(list)) throw new UsageError(top.at('children'), `expected an array, got ${describe(list)}`);
  list.forEach((item, i) => {
    const path = `${top.at('children')}[${i}]`;
    draft.children.push({ value: readChild(item, path), field: path, text: '{…}', from: 'file' });
  });
}

function readChild(json: Json, path: string): ChildConfig {
  const f = fieldsOf(json, path).check(CHILD_KEYS, ['name', 'mac', 'mode']);
  const child: ChildConfig = {
    name: f.get('name', asString(childNameProblem))!.value,
    mac: f.get('mac', asParsed(parseChildMac))!.value,
    mode: f.get('mode', asParsed(parseMode))!.value,
    flags: 0,
    macaddr: [],
  };
  for (const o of CHILD_OPTIONS) {
    if (!f.has(o.name)) continue;
    const bad = o.fromJson(child, f.obj.get(o.name)!, f.at(o.name));
    if (bad) throw bad instanceof UsageError ? bad : UsageError.of(bad, f.at(o.name));
  }
  const netns = f.get('netns', asString(netnsProblem));
  if (netns) child.netns = netns.value;
  return child;
}

function readCapture(top: Fields, draft: RunDraft): void {
  if (!top.has('capture')) return;
  const f = fieldsOf(top.obj.get('capture')!, top.at('capture')).check(CAPTURE_KEYS, ['file']);
  for (const key of CAPTURE_KEYS) RUN_OPTIONS.find((o) => o.key === `capture.${key}`)!.fromJson!(draft, f, key);
}
