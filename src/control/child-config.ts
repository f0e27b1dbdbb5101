// child-config.ts — what a child is (ChildConfig) and the table of its options.
//
// A child option is written two ways: as `:OPTION` of `NAME:MAC:MODE[:OPTION...]` (--child, add) and as a key of a
// child object in the config file. CHILD_OPTIONS is the one list of them: the text grammar (child-spec.ts), the
// config reader (config-file.ts) and --help read it, and test/unit/control/option-docs.test.ts holds the schema and
// the README to it. A new option is a row here; a new flag bit is a row of FLAG_OPTIONS (values/child-flags.ts, shared
// with CNI) and its bit in core/constants.ts.

import type { CniAttachment } from './cni-attachment.js';
import { Mode, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { MTU_MIN } from '../core/rules.js';
import { FLAG_OPTIONS, type FlagOption } from '../values/child-flags.js';
import { parseMacList, parseUnicastMac } from '../values/macs-modes.js';
import {
  BCLIM_MAX, BCLIM_MIN, BCQUEUELEN_MAX, mtuProblem, parseBcLim, parseBcQueueLen, parseMtu,
} from '../values/numbers.js';
import { asBoolean, asInteger, describe, type Json } from './json-strict.js';
import { isProblem, problem, UsageError, type Problem } from './usage-error.js';

export interface ChildConfig {
  /** The TAP's name and the child's handle for ever. */
  name: string;
  /** A 48-bit unicast MAC, or 'auto': the daemon picks a random one (core/rules.ts randomMac). A passthru child takes the parent's MAC anyway. */
  mac: number | 'auto';
  mode: ModeBit;
  /** Flag bits (core/constants.ts Flag): NOPROMISC | NODST */
  flags: number;
  /** Absent: the parent's MTU, as the kernel defaults it. */
  mtu?: number;
  /** Source-mode allow-list; empty for every other mode. In the order given, without duplicates. */
  macaddr: number[];
  /** IFLA_MACVLAN_BC_QUEUE_LEN: the broadcast queue this child asks for (the port's is the largest asked; 1000) */
  bcQueueLen?: number;
  /** IFLA_MACVLAN_BC_CUTOFF: the port-wide cutoff, set through this child (forwarding.md §3.3); absent: unchanged */
  bcCutoff?: number;
  /** Network namespace to move the TAP into: a name under /run/netns or an absolute path. Not part of the text form. */
  netns?: string;
  /** A CNI child: the attachment it serves; its TAP is named cni.ifname in `netns` (`name` is its handle). */
  cni?: CniAttachment;
}

/** One option: how its text and its JSON value are read into a child. */
export interface ChildOption {
  /** `:name` / `:name=ARG` in the text, and the key in the config file */
  readonly name: string;
  /** the value after "=" (`mtu=N`); absent for a bare word, which is `true`/`false` in the file */
  readonly arg?: string;
  /** the --help line */
  readonly help: string;
  /** the key's default in the config file as JSON text, as the schema and the README give it; absent: none */
  readonly default?: string;
  /** reads the text after "=" (undefined for a bare word) into `c`; a Problem when it is wrong there */
  fromText(c: ChildConfig, text: string | undefined): Problem | null;
  /** reads the key's JSON value into `c`; `at` names the key (errors inside a list name the item themselves) */
  fromJson(c: ChildConfig, v: Json, at: string): Problem | UsageError | null;
}

interface Row<T> {
  name: string;
  arg?: string;
  help: string;
  default?: string;
  text: (s: string | undefined) => T | Problem;
  json: (v: Json, at: string) => T | Problem | UsageError;
  /** stores the value; a Problem when the child's mode gives the option no meaning */
  put: (c: ChildConfig, value: T) => Problem | null;
}

const row = <T>(r: Row<T>): ChildOption => ({
  name: r.name, arg: r.arg, help: r.help, default: r.default,
  fromText: (c, text) => {
    const v = r.text(text);
    return isProblem(v) ? v : r.put(c, v);
  },
  fromJson: (c, j, at) => {
    const v = r.json(j, at);
    return v instanceof UsageError || isProblem(v) ? v : r.put(c, v);
  },
});

const flagRow = (f: FlagOption): ChildOption =>
  row<boolean>({
    name: f.name, help: f.help, default: 'false', text: () => true, json: asBoolean,
    put: (c, on) => {
      if (!on) return null;
      c.flags |= f.bit;
      return f.check?.(c.mode, c.flags) ?? null;
    },
  });

const onlyIn = (mode: ModeBit, name: string) => (c: ChildConfig): Problem | null =>
  c.mode === mode ? null : problem(`${name} is for ${MODE_NAMES[mode]} mode only, not ${MODE_NAMES[c.mode]}`);

export const CHILD_OPTIONS: readonly ChildOption[] = [
  ...FLAG_OPTIONS.map(flagRow),
  row<number>({
    name: 'mtu', arg: 'N', help: `${MTU_MIN} up to the parent's MTU (default: the parent's MTU)`,
    text: (s) => parseMtu(s!),
    json: (v) => {
      const n = asInteger(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)(v);
      return typeof n === 'number' ? mtuProblem(n) ?? n : n;
    },
    put: (c, mtu) => {
      c.mtu = mtu;
      return null;
    },
  }),
  row<number>({
    name: 'bcqueuelen', arg: 'N', help: `broadcast queue asked for, 0 to ${BCQUEUELEN_MAX} (the port's is the largest any child asks)`,
    default: '1000',
    text: (s) => parseBcQueueLen(s!),
    json: asInteger(0, BCQUEUELEN_MAX),
    put: (c, n) => {
      c.bcQueueLen = n;
      return null;
    },
  }),
  row<number>({
    name: 'bclim', arg: 'N', help: `the port's broadcast cutoff, ${BCLIM_MIN} to ${BCLIM_MAX} (default 1; negative: nothing queued)`,
    text: (s) => parseBcLim(s!),
    json: asInteger(BCLIM_MIN, BCLIM_MAX),
    put: (c, n) => {
      c.bcCutoff = n;
      return null;
    },
  }),
  row<number[]>({
    name: 'macaddr', arg: 'MAC[,MAC...]', help: 'source-mode allow-list (source mode only)', default: '[]',
    text: (s) => parseMacList(s!),
    json: (v, at) => {
      if (!Array.isArray(v)) return problem(`expected an array of MACs, got ${describe(v)}`);
      const out: number[] = [];
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        const m = typeof item === 'string' ? parseUnicastMac(item) : problem(`expected a string, got ${describe(item)}`);
        if (typeof m !== 'number') return UsageError.of(m, `${at}[${i}]`);
        if (!out.includes(m)) out.push(m);
      }
      return out;
    },
    put: (c, macs) => {
      if (macs.length === 0) return null;
      c.macaddr = macs;
      return onlyIn(Mode.SOURCE, 'macaddr')(c);
    },
  }),
];

/** The keys of a child object in the config file, in the schema's order. */
export const CHILD_KEYS: readonly string[] = ['name', 'mac', 'mode', ...CHILD_OPTIONS.map((o) => o.name), 'netns'];
