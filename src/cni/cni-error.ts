// cni-error.ts — the one error type of the CNI plugin, and the error object the specification prints for it.
//
// A CNI command answers a failure with JSON on stdout ({cniVersion, code, msg, details}) and a non-zero exit; the
// codes are the specification's (CNI_CODE in errors/catalog.ts). Messages follow the reference macvlan plugin's
// wording where it has one, so a script written against it reads the same text from umacvlan.

import { CNI_CODE } from '../errors/catalog.js';

export { CNI_CODE } from '../errors/catalog.js';
export type { CniCode } from '../errors/catalog.js';

export class CniError extends Error {
  override readonly name = 'CniError';
  /**
   * @param cniCode a CNI_CODE, or a delegated plugin's own code passed on unchanged (an IPAM plugin's error)
   * @param message the specification's `msg`: short, one line
   * @param details the specification's `details`: what exactly, when there is more to say
   */
  constructor(readonly cniCode: number, message: string, readonly details?: string) {
    super(oneLine(message));
  }
}

/** The error object of the specification's "Error" result, as one line of JSON. `details` only when there are any. */
export function cniErrorJson(e: CniError, cniVersion: string): string {
  const out: Record<string, unknown> = { cniVersion, code: e.cniCode, msg: e.message };
  if (e.details !== undefined && e.details !== '') out.details = oneLine(e.details);
  return JSON.stringify(out);
}

/**
 * Anything thrown while serving a CNI command, as a CniError: itself, or (a bug, or a system call's failure without a
 * code of its own) an internal error carrying the message, as the reference library answers — never a stack trace.
 */
export function asCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CniError(CNI_CODE.INTERNAL, msg === '' ? 'internal error' : msg);
}

/** The message on one line: a runtime logs it as one. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}
