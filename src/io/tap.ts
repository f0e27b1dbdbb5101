// TAP devices, one per child: created with a vnet header so GSO frames and unfinished checksums cross unchanged.

import { loadAddon } from './native.js';
import { IfaceError, check } from './errors.js';
import { withNetns, type NsOpt } from './netns.js';

/** TUN_F_* (linux/if_tun.h): what we accept from the child's stack un-checksummed / unsegmented. */
export const TUN_F = { CSUM: 0x01, TSO4: 0x02, TSO6: 0x04, TSO_ECN: 0x08, UFO: 0x10, USO4: 0x20, USO6: 0x40 } as const;
const IFF_UP = 0x1;

export interface TapOptions {
  /** 48-bit MAC; default: the kernel's random one */
  mac?: number;
  mtu?: number;
  /** IFF_VNET_HDR; the engine expects it (default true) */
  vnetHdr?: boolean;
  /** create it in this namespace (name or path); default the calling thread's */
  netns?: string;
  /** carrier on (default true) */
  carrier?: boolean;
  /** bring it up (default true) */
  up?: boolean;
  /** open the existing persistent TAP of this name again instead of making a new one (io/tap-persist.ts) */
  attach?: boolean;
}

export interface Tap {
  fd: number;
  name: string;
  ifindex: number;
  /** the TUN_F_* offloads the kernel accepted */
  offloads: number;
}

// Tried in order: the first the kernel takes wins. Newer bits (USO) are refused with EINVAL by older kernels, and
// UFO is accepted for compatibility on current ones.
const OFFLOAD_SETS = [
  TUN_F.CSUM | TUN_F.TSO4 | TUN_F.TSO6 | TUN_F.TSO_ECN | TUN_F.UFO | TUN_F.USO4 | TUN_F.USO6,
  TUN_F.CSUM | TUN_F.TSO4 | TUN_F.TSO6 | TUN_F.TSO_ECN | TUN_F.UFO,
  TUN_F.CSUM | TUN_F.TSO4 | TUN_F.TSO6 | TUN_F.TSO_ECN,
  TUN_F.CSUM,
] as const;

/** Creates and configures a TAP. EBUSY: the name is taken; EPERM: not root. On any failure the TAP is gone again. */
export function openTap(name: string, opts: TapOptions = {}): Tap {
  const addon = loadAddon();
  const vnet = opts.vnetHdr ?? true;
  const fd = withNetns(opts.netns, (nsfd) => addon.tapOpen(name, nsfd, vnet, opts.attach ?? false));
  if (fd < 0) throw new IfaceError(name, 'TUNSETIFF', -fd);
  try {
    if (opts.mac !== undefined) check(addon.tapSetMac(fd, opts.mac), name, 'SIOCSIFHWADDR');
    let offloads = 0;
    if (vnet) {
      let rc = -22;
      for (const set of OFFLOAD_SETS) {
        rc = addon.tapSetOffload(fd, set);
        if (rc === 0) { offloads = set; break; }
      }
      check(rc, name, 'TUNSETOFFLOAD');
    }
    check(addon.tapSetCarrier(fd, opts.carrier ?? true), name, 'TUNSETCARRIER');
    const nsfd = check(addon.tapNetnsFd(fd), name, 'TUNGETDEVNETNS');
    try {
      if (opts.mtu !== undefined) check(addon.ifSetMtu(nsfd, name, opts.mtu), name, 'SIOCSIFMTU');
      if (opts.up ?? true) check(addon.ifChangeFlags(nsfd, name, IFF_UP, 0), name, 'SIOCSIFFLAGS');
      const ifindex = check(addon.ifIndex(nsfd, name), name, 'SIOCGIFINDEX');
      return { fd, name, ifindex, offloads };
    } finally {
      addon.closeFd(nsfd);
    }
  } catch (e) {
    addon.closeFd(fd);
    throw e;
  }
}

/** Closing the fd removes the (non-persistent) TAP. Detach it from the engine first. */
export function closeTap(tap: Tap | number): void {
  loadAddon().closeFd(typeof tap === 'number' ? tap : tap.fd);
}

/** A new fd on the namespace the TAP's netdev is in now (it may have been moved); the caller closes it. */
export function tapNetnsFd(fd: number, name = `fd ${fd}`): number {
  return check(loadAddon().tapNetnsFd(fd), name, 'TUNGETDEVNETNS');
}

/** Runs fn in the namespace the TAP's netdev is in now (for io/link.ts calls), closing it after. */
export function inTapNetns<T>(tap: Tap, fn: (ns: NsOpt & { netnsFd: number }) => T): T {
  const nsfd = tapNetnsFd(tap.fd, tap.name);
  try { return fn({ netnsFd: nsfd }); } finally { loadAddon().closeFd(nsfd); }
}

/** The TAP netdev's current name (it may have been renamed). */
export function tapIfname(fd: number): string {
  const r = loadAddon().tapIfname(fd);
  if (typeof r === 'number') throw new IfaceError(`fd ${fd}`, 'TUNGETIFF', -r);
  return r;
}

export function setTapCarrier(tap: Tap, on: boolean): void {
  check(loadAddon().tapSetCarrier(tap.fd, on), tap.name, 'TUNSETCARRIER');
}

export function setTapMac(tap: Tap, mac: number): void {
  check(loadAddon().tapSetMac(tap.fd, mac), tap.name, 'SIOCSIFHWADDR');
}
