// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET ('@' = an abstract socket name).

import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';

/** Sends e.g. 'READY=1' or 'STATUS=…'. Returns false when not run by systemd (no NOTIFY_SOCKET); throws IfaceError
 *  (ifname = the socket path) when the socket is there but the send fails. */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  const rc = loadAddon().sdNotify(socketPath, state);
  if (rc < 0) throw new IfaceError(socketPath, 'sendto(NOTIFY_SOCKET)', -rc);
  return true;
}
