// argv-scan.ts — how argv is cut into options and positional words, for every command.
//
// DOC: options are long only, as `--opt value` or `--opt=value`. A separate value may not start with "--" (so
// `--parent --child x` is a missing value, not a parent named "--child"); `--opt=--x` passes such a value. `--`
// ends the options: what follows is positional (a child named "-x" can be deleted with `del -- -x`). Errors are
// reported in argv order: the first bad token is the one named.

import type { HelpTopic } from './help.js';
import { CAPTURE_OPTIONS, RUN_OPTIONS } from './run-options.js';
import { at, clip, quote, UsageError, type Problem } from './usage-error.js';
import { checked, controlPathProblem, ifNameProblem } from '../values/names.js';

/** How a client finds the daemon: by its parent's name, by socket path, or (neither) the only one running. */
export interface DaemonTarget {
  parent?: string;
  control?: string;
}

export interface Occurrence {
  /** with the leading "--" */
  name: string;
  /** undefined for a flag */
  value?: string;
}

interface Scanned {
  occ: Occurrence[];
  pos: string[];
  /** where each positional word is in args */
  posAt: number[];
}

interface OptSpec {
  value: boolean;
  repeat?: boolean;
}

const V: OptSpec = { value: true };
const F: OptSpec = { value: false };
const specOf = (o: { flag: string; arg?: string; repeat?: boolean }): [string, OptSpec] =>
  [o.flag, { value: o.arg !== undefined, repeat: o.repeat }];

const TARGET: [string, OptSpec][] = [['--parent', V], ['--control', V]];
const SPECS: Record<HelpTopic, ReadonlyMap<string, OptSpec>> = {
  run: new Map(RUN_OPTIONS.map(specOf)),
  show: new Map([...TARGET, ['--json', F], ['--cni', V]]),
  add: new Map(TARGET),
  del: new Map([...TARGET, ['--cni', V]]),
  set: new Map([...TARGET, ['--cni', V]]),
  cni: new Map([['--dir', V]]),
  trace: new Map([...TARGET, ['--in', V], ['--dst', V], ['--src', V], ['--vlan', V], ['--len', V]]),
  capture: new Map([...TARGET, ...CAPTURE_OPTIONS.map(specOf)]),
  stop: new Map([...TARGET, ['--remove-children', F]]),
};

/** The options and positional words of `cmd`'s arguments; throws the UsageError of the first bad token. */
export function scan(cmd: HelpTopic, args: readonly string[]): Scanned {
  const specs = SPECS[cmd];
  const occ: Occurrence[] = [];
  const pos: string[] = [];
  const posAt: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      for (let j = i + 1; j < args.length; j++) { pos.push(args[j]); posAt.push(j); }
      break;
    }
    // A negative number (`set a bclim -1`) is a word: no option name starts with a digit
    if (!a.startsWith('-') || a === '-' || /^-[0-9]/.test(a)) {
      pos.push(a);
      posAt.push(i);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const spec = name.startsWith('--') ? specs.get(name) : undefined;
    if (!spec) throw new UsageError(clip(name), `unknown option of umacvlan ${cmd} (see umacvlan ${cmd} --help)`);
    if (!spec.repeat && seen.has(name)) throw new UsageError(name, 'given twice');
    seen.add(name);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(name, 'takes no value');
      occ.push({ name });
      continue;
    }
    if (eq >= 0) {
      occ.push({ name, value: a.slice(eq + 1) });
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) {
      throw new UsageError(name, next === undefined ? 'needs a value' : `needs a value (got the option ${quote(next)}; write ${name}=VALUE for a value starting with "--")`);
    }
    occ.push({ name, value: next });
    i++;
  }
  return { occ, pos, posAt };
}

/** An option's value converted by `parse`, or the refusal naming the option. */
export const take = <T>(o: Occurrence, parse: (s: string) => T | Problem): T => at(parse(o.value!), o.name, o.value);

export const unexpected = (cmd: string, arg: string, hint = ''): UsageError =>
  new UsageError(`umacvlan ${cmd}`, `unexpected argument ${quote(arg)}${hint}`);

/** Scans a client command: --parent/--control find the daemon, every other option goes to `each`. */
export function clientScan(cmd: HelpTopic, args: readonly string[], each?: (o: Occurrence) => void):
  { target: DaemonTarget; pos: string[] } {
  const s = scan(cmd, args);
  const t: DaemonTarget = {};
  for (const o of s.occ) {
    if (o.name === '--parent') t.parent = take(o, checked(ifNameProblem));
    else if (o.name === '--control') t.control = take(o, checked(controlPathProblem));
    else {
      each?.(o);
      continue;
    }
    if (t.parent !== undefined && t.control !== undefined) {
      throw new UsageError(o.name, 'give --parent or --control to find the daemon, not both', 'UMV_ERR_USAGE', o.value);
    }
  }
  return { target: t, pos: s.pos };
}
