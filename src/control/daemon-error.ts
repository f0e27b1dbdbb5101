// How the daemon fails: one line for the user and its code; the exit status is the catalog's.

import type { RuleError } from '../core/rules.js';
import type { ErrorCode } from '../errors/catalog.js';

/** A start-up or request failure: one line for the user, and its code (the exit status is the catalog's). */
export class DaemonError extends Error {
  constructor(message: string, readonly code: ErrorCode = 'UMV_ERR_RUNTIME') {
    super(message);
    this.name = 'DaemonError';
  }
}

export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A change the kernel's rules refuse, as the request's failure */
export function ruleFailure(name: string, e: RuleError): DaemonError {
  return new DaemonError(`child ${name}: ${e.message} (${e.errno})`, e.code);
}
