// json-strict.ts — a strict RFC 8259 reader for the config file, and how its values are named in errors.
//
// Our own parser rather than JSON.parse: JSON.parse (V8, Node 20) reports errors without a position and with the
// offending source (newlines included) inside the message, and it silently keeps the last of two equal keys — a
// second "parent" would override the first without a word. Here: positions in errors, duplicate keys refused,
// bounded depth, objects as Maps (so "__proto__" is just a key), never a throw outward.

import { clip, problem, quote, type Problem } from './usage-error.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = Map<string, Json>;

const JSON_MAX_DEPTH = 32;

export const isObject = (v: Json): v is JsonObject => v instanceof Map;

/** A value as an error names it: `a string "x"`, `an array`. */
export function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (isObject(v)) return 'an object';
  if (typeof v === 'string') return `a string ${quote(v)}`;
  return `${typeof v === 'number' ? 'a number' : 'a boolean'} ${clip(String(v), 20)}`;
}

/** A value as it is echoed when a flag disagrees with it: scalars as written, containers elided. */
export function jsonText(v: Json): string {
  if (isObject(v)) return '{…}';
  if (Array.isArray(v)) return '[…]';
  return JSON.stringify(v);
}


export class JsonSyntax {
  constructor(readonly line: number, readonly column: number, readonly detail: string) {}
}

class Stop {
  constructor(readonly at: number, readonly detail: string) {}
}

/** Parses JSON text; objects come back as Maps. */
export function parseJson(text: string): Json | JsonSyntax {
  let i = 0;
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const unexpected = (): Stop =>
    i >= text.length ? new Stop(i, 'unexpected end of input') : new Stop(i, `unexpected ${quote(text[i])}`);

  const value = (depth: number): Json => {
    if (depth > JSON_MAX_DEPTH) throw new Stop(i, `nested deeper than ${JSON_MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    throw unexpected();
  };

  const object = (depth: number): JsonObject => {
    const out: JsonObject = new Map();
    i++; // {
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') throw unexpected();
      const keyAt = i;
      const key = string();
      if (out.has(key)) throw new Stop(keyAt, `duplicate key ${quote(key)}`);
      ws();
      if (text[i] !== ':') throw unexpected();
      i++;
      out.set(key, value(depth + 1));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return out; }
      throw unexpected();
    }
  };

  const array = (depth: number): Json[] => {
    const out: Json[] = [];
    i++; // [
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return out; }
      throw unexpected();
    }
  };

  const ESC: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const string = (): string => {
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new Stop(i, 'control character in a string (escape it)');
      if (c !== 0x5c) { i++; continue; }
      out += text.slice(run, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new Stop(i, 'bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && Object.hasOwn(ESC, e)) {
        out += ESC[e];
        i += 2;
      } else {
        throw new Stop(i, 'bad escape');
      }
      run = i;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const number = (): number => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === '-') throw new Stop(i, 'bad number');
    i += m[0].length;
    return Number(m[0]);
  };

  try {
    const v = value(0);
    ws();
    if (i < text.length) throw unexpected();
    return v;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    let line = 1;
    let col = 1;
    for (let k = 0; k < e.at && k < text.length; k++) {
      if (text.charCodeAt(k) === 0x0a) { line++; col = 1; } else col++;
    }
    return new JsonSyntax(line, col, e.detail);
  }
}

// ---- JSON values as settings: each answers the value or a Problem, as the text parsers of src/values/ do ----

export const asString = (check?: (s: string) => Problem | null) => (v: Json): string | Problem => {
  if (typeof v !== 'string') return problem(`expected a string, got ${describe(v)}`);
  return check?.(v) ?? v;
};
export const asBoolean = (v: Json): boolean | Problem =>
  typeof v === 'boolean' ? v : problem(`expected true or false, got ${describe(v)}`);
export const asInteger = (min: number, max: number) => (v: Json): number | Problem => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return problem(`expected an integer, got ${describe(v)}`);
  return v < min || v > max ? problem(`${v} is out of range (${min}–${max})`) : v;
};
/** A string read by a text parser: the config file and the flags share one parser per value. */
export const asParsed = <T>(parse: (s: string) => T | Problem) => (v: Json): T | Problem =>
  typeof v === 'string' ? parse(v) : problem(`expected a string, got ${describe(v)}`);
