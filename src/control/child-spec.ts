// child-spec.ts — a child as the user writes it on the command line: `NAME:MAC:MODE[:OPTION...]` (README, "Running it").
//
//   CHILD  = NAME ":" MAC ":" MODE *( ":" OPTION )
//   NAME   = 1–15 bytes, none of ":" "/" "%" or white space, not "parent" or "all"
//   MAC    = "auto" / six two-digit hex pairs joined by ":"
//   MODE   = "private" / "vepa" / "bridge" / "passthru" / "source"
//   OPTION = a row of CHILD_OPTIONS (child-config.ts): "macaddr=" MAC *( "," MAC ) / "nodst" / "nopromisc" / "mtu=" N
//            / "bcqueuelen=" N / "bclim=" [ "-" ] N   (bclim is the one signed number: an s32)
//
// DOC: why one forgiving pattern and then checks. MACs contain colons, so splitting on ":" cannot find the fields.
// One anchored regular expression cuts the text into NAME, MAC, MODE and OPTIONs; its tokens are deliberately
// loose (a MAC token is anything "MAC-shaped": six groups of one or two letters/digits) so that a wrong value is
// still recognised as *the MAC* or *the mode* and the error can name it ("bad MAC "zz"", "no mode") instead of
// "does not match". The pattern matches every string; the value parsers (src/values/) decide. Each choice point of the
// pattern is bounded (an option ends at ":" or the end), so it cannot backtrack across options: linear time.

import { CHILD_OPTIONS, type ChildConfig } from './child-config.js';
import { at, problem, quote, refusing, UsageError, type Problem } from './usage-error.js';
import { parseChildMac, parseMode } from '../values/macs-modes.js';
import { childNameProblem } from '../values/names.js';

const MAC_SHAPED = '[0-9A-Za-z]{1,2}(?::[0-9A-Za-z]{1,2}){5}';
const LIST_ITEM = `(?:${MAC_SHAPED}|[^:,]*)`;
const OPTION = `(?:macaddr=${LIST_ITEM}(?:,${LIST_ITEM})*|[^:]*)`;
const CHILD_RE = new RegExp(
  `^(?<name>[^:]*)(?::(?<mac>auto|${MAC_SHAPED}|[^:]*)(?::(?<mode>[^:]*)(?<options>(?::${OPTION})*))?)?$`,
);
// The OPTION alternative of CHILD_RE again, to walk the options the pattern already delimited (a repeated group
// keeps only its last capture). Same source text, so both cut the options identically.
const OPTION_RE = new RegExp(`:(${OPTION})`, 'y');

const OPTION_LIST = CHILD_OPTIONS.map((o) => (o.arg ? `${o.name}=` : o.name)).join(', ');

/**
 * Parses `NAME:MAC:MODE[:OPTION...]`. `field` names where the text came from (`--child`, `add`) and starts the
 * message of a rejection: `--child a:zz:bridge: bad MAC "zz"`.
 */
export function parseChild(text: string, field = '--child'): ChildConfig | UsageError {
  const fail = <T>(r: T | Problem): T => at(r, field, text);
  return refusing(() => {
    const m = CHILD_RE.exec(text);
    // unreachable: the pattern matches anything
    if (!m?.groups) return fail<never>(problem('not NAME:MAC:MODE[:OPTION...]'));
    const { name, mac: macText, mode: modeText, options } = m.groups;
    fail(childNameProblem(name) ?? name);
    if (macText === undefined || macText === '') fail(problem('no MAC (six hex pairs or "auto")'));
    const mac = fail(parseChildMac(macText));
    const mode = fail(parseMode(modeText ?? ''));

    const child: ChildConfig = { name, mac, mode, flags: 0, macaddr: [] };
    const seen = new Set<string>();
    OPTION_RE.lastIndex = 0;
    const opts = options ?? '';
    while (OPTION_RE.lastIndex < opts.length) {
      const om = OPTION_RE.exec(opts);
      if (!om) fail(problem('cannot read the options')); // unreachable: CHILD_RE delimited them
      fail(applyOption(child, om![1], seen) ?? null);
    }
    return child;
  });
}

function applyOption(child: ChildConfig, option: string, seen: Set<string>): Problem | null {
  const eq = option.indexOf('=');
  const key = eq < 0 ? option : option.slice(0, eq);
  const value = eq < 0 ? undefined : option.slice(eq + 1);
  if (option === '') return problem('empty option');
  const opt = CHILD_OPTIONS.find((o) => o.name === key);
  if (!opt) return problem(`unknown option ${quote(option)} (${OPTION_LIST})`);
  if (seen.has(key)) return problem(`option ${quote(key)} given twice`);
  seen.add(key);
  if (opt.arg !== undefined && value === undefined) return problem(`option ${quote(key)} needs a value (${key}=${opt.arg})`);
  if (opt.arg === undefined && value !== undefined) return problem(`option ${quote(key)} takes no value`);
  return opt.fromText(child, value);
}


// The daemon's files still import the type from here; child-config.ts is its home.
export type { ChildConfig } from './child-config.js';
