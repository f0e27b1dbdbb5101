// usage-error.ts — the one error type of the command line and the config file (exit code 2).
//
// Every rejection is ONE line that starts with the culprit as the user wrote it: an option (`--child a:zz:bridge`),
// a config path (`config children[2].mdoe`) or a command word. User text is echoed back, so it is escaped here, once:
// a newline in argv or a JSON key must not split the message (scripts and journald read it line by line), and a
// 10 MB argument must not become a 10 MB message.

import { clip, type Problem, type UsageCode } from '../values/problem.js';

// A Problem and the quoting of user text are shared with src/cni (values/problem.ts); the control rooms take them here
// with the error they become.
export { clip, problem, quote, type Problem, type UsageCode } from '../values/problem.js';

export const isProblem = (x: unknown): x is Problem =>
  typeof x === 'object' && x !== null && !(x instanceof UsageError) && 'detail' in x && 'code' in x;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The culprit as the user sees it: `--child`, `config children[2].mdoe`, `set`. The message starts with it. */
  readonly field: string;
  readonly code: UsageCode;

  /**
   * @param field  the option, config path or word that is wrong
   * @param detail what is wrong with it
   * @param value  the offending value, echoed after the field (`--child a:zz:bridge: bad MAC "zz"`)
   */
  constructor(field: string, detail: string, code: UsageCode = 'UMV_ERR_USAGE', value?: string) {
    const f = oneLine(field) || '""'; // never an empty culprit, whatever a caller passes
    super(value === undefined ? `${f}: ${oneLine(detail)}` : `${f} ${oneLine(clip(value))}: ${oneLine(detail)}`);
    this.field = f;
    this.code = code;
  }

  static of(p: Problem, field: string, value?: string): UsageError {
    return new UsageError(field, p.detail, p.code, value);
  }
}

// C0, DEL, C1 (U+0085 NEL is a line break for some readers), and the Unicode line/paragraph separators.
const BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Escapes every character that could end a line or confuse a terminal. Maps char by char, so prefixes survive. */
export function oneLine(s: string): string {
  return s.replace(BREAKING, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Inside a reader, a refusal travels as a throw so that each step reads as one line; `refusing` is the boundary
 * that turns it back into a value, so no public parser ever throws. Only UsageErrors travel: anything else is a bug
 * and goes on up.
 */
export function must<T>(x: T | UsageError): T {
  if (x instanceof UsageError) throw x;
  return x;
}

export function refusing<T>(read: () => T): T | UsageError {
  try {
    return read();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
}

/** A Problem found at `field` (with the offending `value` echoed) as a refusal; the value itself otherwise. */
export function at<T>(r: T | Problem, field: string, value?: string): T {
  if (isProblem(r)) throw UsageError.of(r, field, value);
  return r;
}
