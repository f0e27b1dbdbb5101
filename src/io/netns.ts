// Namespaces by name or path, as native calls take them: an open fd, or -1 for "where this thread is".

import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';

/** 'NAME' → /run/netns/NAME (ip netns); anything with a '/' is a path already (/proc/PID/ns/net). */
export function netnsPath(nameOrPath: string): string {
  return nameOrPath.includes('/') ? nameOrPath : `/run/netns/${nameOrPath}`;
}

/** Opens the namespace for the duration of fn (fd -1 when none is given) and closes it after. */
export function withNetns<T>(netns: string | undefined, fn: (nsfd: number) => T): T {
  if (netns === undefined) return fn(-1);
  const addon = loadAddon();
  const path = netnsPath(netns);
  const fd = addon.nsOpen(path);
  if (fd < 0) throw new IfaceError(path, 'open netns', -fd);
  try {
    return fn(fd);
  } finally {
    addon.closeFd(fd);
  }
}

/** Where a control call runs: a namespace by name or path, or one already open (e.g. tapNetnsFd()); neither = here. */
export interface NsOpt {
  netns?: string;
  /** an open namespace fd; wins over `netns`; stays the caller's to close */
  netnsFd?: number;
}

/** Runs fn with the namespace fd `opts` names (see NsOpt). */
export function inNs<T>(opts: NsOpt, fn: (nsfd: number) => T): T {
  return opts.netnsFd !== undefined ? fn(opts.netnsFd) : withNetns(opts.netns, fn);
}
