// child-flags.ts — the child options that are one bit of a child's flags (nodst, nopromisc), and which modes allow
// each. One table for every place a flag is written: `:nodst` in --child and add, `"nodst": true` in the config file
// and in a CNI network config, `set NAME nodst on|off`, the word in `show`, the --help lines.

import { Flag, type ModeBit } from '../core/constants.js';
import { checkNopromiscMode } from '../core/rules.js';
import { problem, type Problem } from './problem.js';

/** A bare word that sets a flag bit; `check` is the mode's say on it. */
export interface FlagOption {
  readonly name: string;
  /** its bit in a child's flags (core/constants.ts Flag) */
  readonly bit: number;
  readonly help: string;
  /** the mode's say on `flags` (this bit among them); absent: any mode */
  readonly check?: (mode: ModeBit, flags: number) => Problem | null;
}

/**
 * The options that are one bit of `flags`: a bare word in the text, a boolean in the file, `set NAME WORD on|off`
 * on a running daemon and a word in `show`. The daemon carries the bits to the port table as they are.
 */
export const FLAG_OPTIONS = [
  { name: 'nodst', bit: Flag.NODST, help: 'source-mode copies are not also delivered by destination (any mode)' },
  {
    name: 'nopromisc', bit: Flag.NOPROMISC, help: 'do not make the parent promiscuous (passthru only, as ip(8) insists)',
    check: (mode: ModeBit, flags: number): Problem | null => {
      const e = checkNopromiscMode(mode, flags, -1);
      return e ? problem(e.message) : null;
    },
  },
] as const satisfies readonly FlagOption[];

export type FlagName = (typeof FLAG_OPTIONS)[number]['name'];
const flagOption = (name: string): FlagOption | undefined => FLAG_OPTIONS.find((f) => f.name === name);
export const isFlagName = (s: string): s is FlagName => flagOption(s) !== undefined;
export const flagBit = (name: FlagName): number => flagOption(name)!.bit;

/** Whether a child of `mode` may have flag `name` set: the same check for add, the file, set and CNI. */
export function flagProblem(name: FlagName, mode: ModeBit): Problem | null {
  const f = flagOption(name)!;
  return f.check?.(mode, f.bit) ?? null;
}
