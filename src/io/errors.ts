// Every failed syscall becomes one shape, the one Node's SystemError has: which interface, which operation, errno.

import { getSystemErrorName } from 'node:util';

export class IfaceError extends Error {
  /** 'ENODEV', 'EBUSY', 'EPERM', … */
  readonly code: string;
  /** positive errno */
  readonly errno: number;
  constructor(readonly ifname: string, readonly op: string, errno: number) {
    const e = Math.abs(errno);
    let code: string;
    try { code = getSystemErrorName(-e); } catch { code = `E${e}`; }
    super(`${ifname}: ${op}: ${code}`);
    this.name = 'IfaceError';
    this.errno = e;
    this.code = code;
  }
}

/** Turns a native -errno result into an IfaceError; passes a non-negative result through. */
export function check(rc: number, ifname: string, op: string): number {
  if (rc < 0) throw new IfaceError(ifname, op, -rc);
  return rc;
}
