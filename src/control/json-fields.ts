// json-fields.ts — the keys of one JSON object of the config file, read with a path in every error
// (`config children[2].mode`) and a near miss for an unknown key (`did you mean "mode"?`).

import { describe as describeJson, isObject, jsonText, type Json, type JsonObject } from './json-strict.js';
import { isProblem, quote, UsageError, type Problem } from './usage-error.js';

/** The top of the file as errors name it: `config parent`. */
export const CONFIG_ROOT = 'config';

/** `config children[2].mode`: the root is followed by a space, as users read it; odd keys are quoted. */
function keyPath(path: string, key: string): string {
  const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
  if (path === CONFIG_ROOT) return plain ? `${path} ${key}` : `${path} [${quote(key)}]`;
  return plain ? `${path}.${key}` : `${path}[${quote(key)}]`;
}

/** What the file said for a key: its value, its path, and its JSON text to echo when a flag disagrees. */
export interface FileValue<T> {
  value: T;
  field: string;
  text: string;
}

/** One object's keys. Every method throws its UsageError: callers read inside `refusing` (usage-error.ts). */
export class Fields {
  constructor(readonly obj: JsonObject, readonly path: string) {}

  /** Every key must be one of `allowed` and `required` must be there; the first wrong key is named. */
  check(allowed: readonly string[], required: readonly string[] = []): this {
    for (const k of this.obj.keys()) {
      if (allowed.includes(k)) continue;
      const near = allowed.find((a) => editDistance(a.toLowerCase(), k.toLowerCase()) <= 2);
      throw new UsageError(keyPath(this.path, k), near ? `unknown key (did you mean "${near}"?)` : 'unknown key');
    }
    const missing = required.find((k) => !this.obj.has(k));
    if (missing !== undefined) throw new UsageError(this.at(missing), 'required');
    return this;
  }

  at(key: string): string {
    return keyPath(this.path, key);
  }

  has(key: string): boolean {
    return this.obj.has(key);
  }

  /** The value at `key` checked and converted by `conv`; undefined when absent. */
  get<T>(key: string, conv: (v: Json, at: string) => T | Problem | UsageError): FileValue<T> | undefined {
    if (!this.obj.has(key)) return undefined;
    const v = this.obj.get(key)!;
    const r = conv(v, this.at(key));
    if (r instanceof UsageError) throw r;
    if (isProblem(r)) throw UsageError.of(r, this.at(key));
    // An object's text is its value re-encoded (`{"sizeMb":1,"files":2}`), so a disagreeing flag shows both in full.
    return { value: r, field: this.at(key), text: isObject(v) ? JSON.stringify(r) : jsonText(v) };
  }
}

/** The keys of an object at `path`, or the refusal of a value that is not one. */
export function fieldsOf(v: Json, path: string, expected = 'an object'): Fields {
  if (!isObject(v)) throw new UsageError(path, `expected ${expected}, got ${describeJson(v)}`);
  return new Fields(v, path);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
