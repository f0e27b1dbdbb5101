// problem.ts — a refusal of one value before it is known where the value stood: every parser of src/values/ answers
// the value or a Problem, and whoever read it (a flag, a config key, a CNI key) adds the place. The user's text is
// echoed back quoted and clipped here, once, so a 10 MB argument never becomes a 10 MB message.

import type { CodeExiting, EXIT } from '../errors/catalog.js';

/** Stable codes a caller (or a control-socket client) can branch on: those of errors/catalog.ts that exit 2. */
export type UsageCode = CodeExiting<typeof EXIT.USAGE>;

/** A rejection before it knows where it happened: the field is added by whoever read the value. */
export interface Problem {
  readonly code: UsageCode;
  readonly detail: string;
}

export const problem = (detail: string, code: UsageCode = 'UMV_ERR_USAGE'): Problem => ({ code, detail });

const MAX_ECHO = 64;

/** At most MAX_ECHO characters of user text, marked when cut. */
export function clip(s: string, max = MAX_ECHO): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** User text in double quotes, clipped; line breaks are escaped where the message is made (control/usage-error.ts). */
export function quote(s: string): string {
  return `"${clip(s).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
