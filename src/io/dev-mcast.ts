// /proc/net/dev_mcast as one namespace sees it: which link-layer multicast addresses each interface listens to.

import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';
import { inNs, type NsOpt } from './netns.js';

export interface McastEntry {
  ifindex: number;
  ifname: string;
  /** 48-bit MAC */
  mac: number;
  /** how many times it was added */
  users: number;
}

/** Lines are "ifindex ifname users global hexaddr" (net/core/dev_addr_lists.c, dev_mc_seq_show). */
export function parseDevMcast(text: string): McastEntry[] {
  const out: McastEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^[0-9a-f]{12}$/i.test(f[4])) continue;
    out.push({ ifindex: Number(f[0]), ifname: f[1], users: Number(f[2]), mac: parseInt(f[4], 16) });
  }
  return out;
}

/** The raw text, read from a thread inside the namespace (a name or path, or NsOpt; default: the caller's). */
export function readDevMcastText(ns?: string | NsOpt): string {
  const opts: NsOpt = typeof ns === 'string' ? { netns: ns } : ns ?? {};
  // /proc/thread-self: /proc/self/net would show the main thread's namespace, not the helper thread's.
  const path = '/proc/thread-self/net/dev_mcast';
  const r = inNs(opts, (nsfd) => loadAddon().readInNetns(nsfd, path));
  if (typeof r === 'number') throw new IfaceError(opts.netns ?? 'dev_mcast', `read ${path}`, -r);
  return r;
}

export function readDevMcast(ns?: string | NsOpt): McastEntry[] {
  return parseDevMcast(readDevMcastText(ns));
}
