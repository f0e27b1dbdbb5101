// RuleError: what every check of rules.ts returns when the kernel would refuse a change, with the errno it would give.

import type { ErrorCode } from '../errors/catalog.js';

export type RuleErrno = 'EINVAL' | 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'ENOSPC' | 'ENODEV';

/** A refused change. `slot` is the child concerned (-1 for a child not created yet). */
export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    /** one of errors/catalog.ts (a leaf, so core may import it) */
    readonly code: ErrorCode,
    readonly errno: RuleErrno,
    readonly field: string,
    readonly slot: number,
    message: string,
  ) {
    super(message);
  }
}
