// run-option-row.ts — what a row of RUN_OPTIONS (run-options.ts) is, and `setting()`, which makes the common row: one
// value, read from a flag or a config key by the same parser, stored in the draft at its slot, and the flag's and the
// file's values merged by equality (a disagreement names both). Rows read as structures of their own (children, the
// MAC-NAT statics, the host port's addresses) write their own fromFlag/fromJson/merge.

import type { Fields } from './json-fields.js';
import { asParsed, type Json } from './json-strict.js';
import type { CaptureDraft, RunDraft } from './run-config.js';
import { blame, type Said } from './said.js';
import { at, clip, type Problem, type UsageError } from './usage-error.js';

export interface RunOption {
  /** with the leading "--" */
  readonly flag: string;
  /** the value's placeholder in --help (`IFNAME`); absent: the flag takes no value */
  readonly arg?: string;
  /** the config file's key, a dotted path under the top object (`capture.port`); absent: a flag only */
  readonly key?: string;
  readonly repeat?: boolean;
  /** the default as --help and the README say it */
  readonly default?: string;
  /** the --help line(s) */
  readonly help: string;
  /** reads the flag's value ('' for a flag without one) into the draft; throws its UsageError */
  fromFlag(d: RunDraft, text: string): void;
  /** reads `key`'s last part from the object `f` into the draft; absent where config-file.ts reads the key itself */
  fromJson?(d: RunDraft, f: Fields, key: string): void;
  /** the value of both sources into `out`: equal or given by one only; absent for what is not one value */
  merge?(flags: RunDraft, file: RunDraft, out: RunDraft): UsageError | null;
}

/** Where one setting lives in a draft. */
export interface Slot<T> {
  get(d: RunDraft): Said<T> | undefined;
  set(d: RunDraft, s: Said<T>): void;
}
export const top = <K extends 'parent' | 'control' | 'metrics' | 'log' | 'busyPollUs' | 'maxGroups' | 'persist' | 'state' | 'hostPort' | 'gro'>(k: K): Slot<NonNullable<RunDraft[K]>['value']> =>
  ({ get: (d) => d[k], set: (d, s) => { (d as Record<K, unknown>)[k] = s; } });
export const cap = <K extends keyof CaptureDraft>(k: K): Slot<NonNullable<CaptureDraft[K]>['value']> =>
  ({ get: (d) => d.capture[k], set: (d, s) => { (d.capture as Record<K, unknown>)[k] = s; } });

interface Setting<T> {
  flag: string;
  arg?: string;
  key: string;
  default?: string;
  help: string;
  text: (s: string) => T | Problem;
  json?: (v: Json, at: string) => T | Problem | UsageError;
  slot: Slot<T>;
  same?: (a: T, b: T) => boolean;
}

/** One value, from a flag or a key, the two merged by equality. */
export function setting<T>(s: Setting<T>): RunOption {
  const json = s.json ?? asParsed(s.text);
  return {
    flag: s.flag, arg: s.arg, key: s.key, default: s.default, help: s.help,
    fromFlag: (d, text) => s.slot.set(d, { value: at(s.text(text), s.flag, text), field: s.flag, text, from: 'flag' }),
    fromJson: (d, f, key) => {
      const r = f.get(key, json);
      if (r) s.slot.set(d, { ...r, from: 'file' });
    },
    merge: (flags, file, out) => {
      const a = s.slot.get(flags);
      const b = s.slot.get(file);
      if (a && b && !(s.same ?? Object.is)(a.value, b.value)) {
        return blame(a, `disagrees with ${b.field} = ${clip(b.text, 40)}`, 'UMV_ERR_CONFLICT');
      }
      const v = a ?? b;
      if (v) s.slot.set(out, v);
      return null;
    },
  };
}
