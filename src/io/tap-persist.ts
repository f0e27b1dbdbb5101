// TAPs that outlive their daemon: made persistent and marked (owner root, an interface alias), found again by the
// mark in a namespace, and attached to again from a thread in that namespace.

import { loadAddon, type TapLinkId } from './native.js';
import { check, IfaceError } from './errors.js';
import { inNs, type NsOpt } from './netns.js';
import { openTap, type Tap } from './tap.js';

export type { TapLinkId } from './native.js';

/** Persistent, owned by root, and carrying `alias`: what a restarted daemon looks for. */
export function markTap(tap: Tap, alias: string, nsfd: number): void {
  const a = loadAddon();
  check(a.tapSetPersist(tap.fd, true), tap.name, 'TUNSETPERSIST');
  check(a.tapSetOwner(tap.fd, 0), tap.name, 'TUNSETOWNER');
  check(a.linkSetAlias(nsfd, tap.ifindex, alias), tap.name, 'RTM_SETLINK IFLA_IFALIAS');
}

/** No longer persistent: closing its last fd removes it. */
export function unpersistTap(tap: Tap): void {
  check(loadAddon().tapSetPersist(tap.fd, false), tap.name, 'TUNSETPERSIST');
}

/** Every link of a namespace with its alias and tun identity. */
export function tapLinks(opts: NsOpt = {}): TapLinkId[] {
  const r = inNs(opts, (nsfd) => loadAddon().tapLinks(nsfd));
  if (typeof r === 'number') throw new IfaceError(opts.netns ?? 'links', 'RTM_GETLINK', -r);
  return r;
}

/** Keeps the namespace at `src` alive with a bind mount at `dst` (its directory made 0700 by the caller). */
export function pinNetns(src: string, dst: string): void {
  check(loadAddon().nsPin(src, dst), src, `bind mount at ${dst}`);
}

export function unpinNetns(dst: string): void {
  check(loadAddon().nsUnpin(dst), dst, 'umount');
}

/** Opens the existing persistent TAP `name` again (no IFF_TUN_EXCL), down to nothing: its MAC, MTU and UP state stay
 *  as they are; carrier off until the caller knows the parent's. */
export function attachTap(name: string, netns?: string): Tap {
  return openTap(name, { netns, attach: true, up: false, carrier: false });
}
