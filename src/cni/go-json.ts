// go-json.ts — reading a JSON object the way the reference's Go decoder (encoding/json) fills a struct: a key finds
// its field case-insensitively (Unicode simple folding: "ſ" is "s", "K" is "k"), a later key overwrites an earlier one,
// a null leaves the field as it was, an unknown key is ignored. A known key of the wrong type is refused, here with
// the caller's CNI code and the key's path.

import { CniError } from './cni-error.js';

export type JsonObject = { [key: string]: unknown };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's name for a JSON value's type, as its decoder's errors say it. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

const fold = (k: string): string => k.toLowerCase().replace(/\u017f/g, 's');

/** The fields of one JSON object, each read at most by its Go name, with `where` (e.g. 'ipam') for messages. */
export class GoFields {
  constructor(private readonly obj: JsonObject, private readonly where: string, private readonly code: number) {}

  /** The value the decoder would store in field `name`: the last key that folds to it; undefined when absent or null. */
  get(name: string): unknown {
    const want = fold(name);
    let out: unknown;
    for (const [k, v] of Object.entries(this.obj)) {
      if (v !== null && fold(k) === want) out = v;
    }
    return out;
  }

  private path(name: string): string {
    return this.where === '' ? name : `${this.where}.${name}`;
  }

  fail(name: string, what: string): CniError {
    return new CniError(this.code, `${this.path(name)}: ${what}`);
  }

  private typed<T>(name: string, ok: (v: unknown) => v is T, want: string): T | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!ok(v)) throw this.fail(name, `must be ${want}, not ${jsonType(v) === 'object' ? 'an object' : `a ${jsonType(v)}`}`);
    return v;
  }

  string(name: string): string | undefined {
    return this.typed(name, (v): v is string => typeof v === 'string', 'a string');
  }

  bool(name: string): boolean | undefined {
    return this.typed(name, (v): v is boolean => typeof v === 'boolean', 'true or false');
  }

  /** An integer in [min, max] (Go's int, uint32...): a fraction or a number out of range is refused. */
  int(name: string, min: number, max: number): number | undefined {
    const v = this.typed(name, (x): x is number => typeof x === 'number', 'a number');
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
      throw this.fail(name, `${v} is not an integer from ${min} to ${max}`);
    }
    return v;
  }

  object(name: string): GoFields | undefined {
    const v = this.typed(name, isObject, 'an object');
    return v === undefined ? undefined : new GoFields(v, this.path(name), this.code);
  }

  raw(name: string): JsonObject | undefined {
    return this.typed(name, isObject, 'an object');
  }

  array(name: string): unknown[] | undefined {
    return this.typed(name, (v): v is unknown[] => Array.isArray(v), 'an array');
  }

  strings(name: string): string[] | undefined {
    const a = this.array(name);
    if (a === undefined) return undefined;
    a.forEach((x, i) => {
      if (typeof x !== 'string') throw this.fail(`${name}[${i}]`, `must be a string, not a ${jsonType(x)}`);
    });
    return a as string[];
  }

  /** Each element of an array of objects, as fields of its own. */
  objects(name: string): GoFields[] | undefined {
    const a = this.array(name);
    return a?.map((x, i) => {
      if (!isObject(x)) throw this.fail(`${name}[${i}]`, `must be an object, not a ${jsonType(x)}`);
      return new GoFields(x, this.path(`${name}[${i}]`), this.code);
    });
  }
}
