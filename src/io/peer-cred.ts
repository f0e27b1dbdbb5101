// Who connected to a Unix socket we accepted: SO_PEERCRED, which Node does not expose.

import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';

/** The uid the kernel recorded for the peer of accepted socket `fd`; throws IfaceError (ifname = `what`) if unreadable. */
export function peerUid(fd: number, what: string): number {
  const rc = loadAddon().peerUid(fd);
  if (rc < 0) throw new IfaceError(what, 'getsockopt(SO_PEERCRED)', -rc);
  return rc;
}
