// How the daemon fails: one line for the user and the exit status it maps to.

import type { RuleError } from '../core/rules.js';
import { EXIT } from './help.js';

/** A start-up or request failure: one line for the user, and the exit code it maps to. */
export class DaemonError extends Error {
  constructor(message: string, readonly exitCode: number, readonly code: string = 'UMV_ERR_RUNTIME') {
    super(message);
    this.name = 'DaemonError';
  }
}

export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A change the kernel's rules refuse, as the request's failure */
export function ruleFailure(name: string, e: RuleError): DaemonError {
  return new DaemonError(`child ${name}: ${e.message} (${e.errno})`, EXIT.USAGE, e.code);
}
