// Interfaces by name, in this namespace or another: index, state, MTU, MAC. Control path only.

import { loadAddon } from './native.js';
import { IfaceError, check } from './errors.js';
import { inNs, type NsOpt } from './netns.js';

export type { NsOpt } from './netns.js';

export interface LinkInfo {
  ifindex: number;
  /** IFF_* bits as SIOCGIFFLAGS reports them (the low 16: UP, RUNNING, PROMISC, ALLMULTI, …) */
  flags: number;
  mtu: number;
  mac: number;
}

/** if_nametoindex, in `netns` if given. ENODEV (as IfaceError naming it) when there is no such interface. */
export function ifindex(name: string, opts: NsOpt = {}): number {
  return inNs(opts, (nsfd) => check(loadAddon().ifIndex(nsfd, name), name, 'SIOCGIFINDEX'));
}

/** Whether a link of that name exists (in `netns` if given) */
export function hasLink(name: string, opts: NsOpt = {}): boolean {
  return inNs(opts, (nsfd) => loadAddon().ifIndex(nsfd, name) >= 0);
}

export function linkInfo(name: string, opts: NsOpt = {}): LinkInfo {
  const out = new Float64Array(4);
  inNs(opts, (nsfd) => check(loadAddon().ifInfo(nsfd, name, out), name, 'SIOCGIFFLAGS'));
  return { ifindex: out[0], flags: out[1], mtu: out[2], mac: out[3] };
}

export function setMtu(name: string, mtu: number, opts: NsOpt = {}): void {
  inNs(opts, (nsfd) => check(loadAddon().ifSetMtu(nsfd, name, mtu), name, 'SIOCSIFMTU'));
}

export function setMac(name: string, mac: number, opts: NsOpt = {}): void {
  inNs(opts, (nsfd) => check(loadAddon().ifSetMac(nsfd, name, mac), name, 'SIOCSIFHWADDR'));
}

const IFF_UP = 0x1;
/** Up or down (SIOCSIFFLAGS); returns the flags after the change. */
export function setUp(name: string, up: boolean, opts: NsOpt = {}): number {
  return inNs(opts, (nsfd) => {
    const rc = loadAddon().ifChangeFlags(nsfd, name, up ? IFF_UP : 0, up ? 0 : IFF_UP);
    if (rc < 0) throw new IfaceError(name, 'SIOCSIFFLAGS', -rc);
    return rc;
  });
}
