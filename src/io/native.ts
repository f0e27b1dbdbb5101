// The only loader of the addon, and the contract of every native call. Convention (native/common.h): a call
// returns >= 0 (or a string/object where said) on success and -errno on failure; it never throws and never prints.
// Policy — which errno is fatal, what to retry — is the TypeScript caller's.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** The parent's I/O engine (native/engine.h; docs/architecture.md lists its files). One per datapath thread; not
 *  shareable between threads. */
export interface NativeEngine {
  /** Opens the parent socket and ring in namespace `nsfd` (-1: the caller's) → 0 | -errno; failedOp() names the
   *  step that failed (e.g. 'SIOCGIFINDEX' → ENODEV: no such parent). */
  open(parent: string, nsfd: number, batch: number, ringFrames: number, frameSize: number, tapBuffers: number,
    scratchBytes: number, busyPollUs: number, spinUs: number, sendThreadBytes: number): number;
  failedOp(): string;
  /** Region 0 = parent rx ring, 1 = TAP read pool, 2 = scratch. An external ArrayBuffer, no copy. -EINVAL if unknown. */
  memory(region: number): ArrayBuffer | number;
  /** Remembers the arrays poll() fills; returns the capacity (shortest array) or -EINVAL. */
  bindRx(port: Int16Array, region: Uint8Array, at: Uint32Array, len: Uint32Array): number;
  /** Remembers the arrays send() reads and the result array it fills; returns the capacity or -EINVAL. With the
   *  last five: each poll() writes the sends to the parent that failed on the sender thread into lateTag/lateLen/
   *  lateErr (tag[j] of the frame, its length, -errno) and their number into lateCount[0]. */
  bindTx(port: Int16Array, region: Uint8Array, at: Uint32Array, len: Uint32Array, result: Int32Array, tag?: Int16Array,
    lateTag?: Int16Array, lateLen?: Uint32Array, lateErr?: Int32Array, lateCount?: Uint32Array): number;
  /** Remembers the gather arrays send() reads for TAP entries (contract.ts TxGather); returns the piece capacity or
   *  -EINVAL. Bound after bindTx, which forgets them. */
  bindGather(count: Uint16Array, first: Uint32Array, region: Uint8Array, at: Uint32Array, len: Uint32Array): number;
  /** Gives back the previous batch, then waits up to timeoutMs (< 0: no limit, 0: no wait) → frames | -errno. */
  poll(max: number, timeoutMs: number): number;
  /** Sends entries 0..count-1 of the bound tx arrays → frames sent; result[j] = bytes (>= 0) or -errno. */
  send(count: number): number;
  /** Starts reading TAP fd as `port` at the next poll() → 0 | -EBUSY (port taken) | -EINVAL. */
  attachTap(port: number, fd: number): number;
  /** Cancels the port's reads at once → 0 | -ENOENT. The fd may be closed right after. */
  detachTap(port: number): number;
  /** 0, or the -errno that stopped reads on this TAP (-EBADFD: deleted from outside) | -ENOENT. Port 0: the last
   *  error of the parent socket (-ENETDOWN: went down or away), 0 again once a frame arrives. */
  portError(port: number): number;
  /** PACKET_ADD/DROP_MEMBERSHIP, type PACKET_MR_* → 0 | -errno */
  membership(type: number, add: boolean, mac: number): number;
  /** Fills out[0..6]: ringDrops (the kernel's tp_drops, accumulated), rxErrors, rxTruncated (ring and TAPs),
   *  poolEmpty (TAP reads that found no free slot), skipped (loopback/outgoing), ringTruncated (the parent's only, cut for another reason than size), ringTooBig (the parent's frames
   *  larger than a ring slot).
   *  Asks the kernel for the drops: a syscall, for the control side, not per batch. */
  stats(out: Float64Array): number;
  /** Fills out[0..3] with one port's I/O: readErrors, writeErrors, the read error (-errno, as portError), the last
   *  write error (-errno or 0) → 0 | -ENOENT (not attached) | -EINVAL (out not a Float64Array of 4). Port 0: frames
   *  the ring held cut short, frames sendmmsg() refused. A TAP's counts start at zero when it is attached. */
  portStats(port: number, out: Float64Array): number;
  ifindex(): number;
  /** Closes the socket and rings (memberships go with the socket). Regions stay mapped while views exist. */
  close(): number;
}

/** A link as tapLinks() reads it: what marks a TAP as a daemon's own across a restart. */
export interface TapLinkId {
  ifindex: number;
  name: string;
  alias: string;
  /** a tun/tap device */
  tun: boolean;
  /** IFF_TAP (not IFF_TUN) */
  tap: boolean;
  /** TUNSETOWNER's uid, -1 when none */
  owner: number;
  persist: boolean;
}

export interface NativeAddon {
  Engine: new () => NativeEngine;

  /** TAP (IFF_TAP|IFF_NO_PI|IFF_TUN_EXCL, + IFF_VNET_HDR), non-blocking, in namespace nsfd → fd | -errno
   *  (-EBUSY: the name is taken). Not persistent: closing the fd removes the device. With `attach`, no
   *  IFF_TUN_EXCL: the existing persistent TAP of that name is opened again. */
  tapOpen(name: string, nsfd: number, vnetHdr: boolean, attach?: boolean): number;
  /** TUNSETPERSIST → 0 | -errno */
  tapSetPersist(fd: number, on: boolean): number;
  /** TUNSETOWNER → 0 | -errno */
  tapSetOwner(fd: number, uid: number): number;
  /** Every link of namespace nsfd (-1: here) with its alias and tun identity (owner -1: none) → links | -errno */
  tapLinks(nsfd: number): TapLinkId[] | number;
  /** IFLA_IFALIAS of link ifindex in namespace nsfd → 0 | -errno */
  linkSetAlias(nsfd: number, ifindex: number, alias: string): number;
  /** bind-mounts namespace file src onto dst (created) → 0 | -errno */
  nsPin(src: string, dst: string): number;
  /** detaches the bind mount at dst and removes the file → 0 | -errno */
  nsUnpin(dst: string): number;
  /** TUNSETOFFLOAD with TUN_F_* bits → 0 | -errno (-EINVAL: a bit the kernel does not know) */
  tapSetOffload(fd: number, flags: number): number;
  tapSetCarrier(fd: number, on: boolean): number;
  /** SIOCSIFHWADDR through the TAP fd → 0 | -errno */
  tapSetMac(fd: number, mac: number): number;
  /** TUNGETDEVNETNS → a new fd on the TAP netdev's current namespace | -errno */
  tapNetnsFd(fd: number): number;
  /** TUNGETIFF → the netdev's current name | -errno */
  tapIfname(fd: number): string | number;

  /** SIOCGIFINDEX in namespace nsfd (-1: here) → ifindex | -errno (-ENODEV) */
  ifIndex(nsfd: number, name: string): number;
  /** out = [ifindex, flags (IFF_*), mtu, mac] → 0 | -errno */
  ifInfo(nsfd: number, name: string, out: Float64Array): number;
  ifSetMtu(nsfd: number, name: string, mtu: number): number;
  ifSetMac(nsfd: number, name: string, mac: number): number;
  /** flags = (flags | set) & ~clear → the new flags | -errno */
  ifChangeFlags(nsfd: number, name: string, set: number, clear: number): number;
  /** opens a namespace file → fd | -errno */
  nsOpen(path: string): number;
  closeFd(fd: number): number;

  /** NETLINK_ROUTE socket, non-blocking, bound to RTMGRP_* `groups`, made in namespace nsfd → fd | -errno.
   *  allNsid: NETLINK_LISTEN_ALL_NSID, also the events of every namespace with an id here (recvInto's meta says which) */
  nlOpen(nsfd: number, groups: number, allNsid?: boolean): number;
  nlSend(fd: number, msg: Uint8Array): number;
  /** One datagram into buf, waiting up to timeoutMs (0: not at all, < 0: no limit) → bytes | -errno (-EAGAIN).
   *  A result larger than buf.length means the datagram was truncated. Only the kernel's datagrams (sender
   *  nl_pid 0) are returned; others are discarded. meta[0]: the sending namespace's id (NETLINK_LISTEN_ALL_NSID), -1
   *  for this one. */
  recvInto(fd: number, buf: Uint8Array, timeoutMs: number, meta?: Int32Array): number;
  /** datagram to an AF_UNIX socket ('@name' = abstract) → bytes | -errno */
  sdNotify(path: string, text: string): number;
  /** Reads a file from a thread inside namespace nsfd (use /proc/thread-self/net/...) → text | -errno */
  readInNetns(nsfd: number, path: string): string | number;
  /** SO_PEERCRED of an accepted AF_UNIX socket → the peer's uid | -errno */
  peerUid(fd: number): number;
  /** Calls cb(status) on the main loop whenever fd is readable (libuv poll, unref'd) → handle | -errno */
  fdWatch(fd: number, cb: (status: number) => void): FdWatchHandle | number;
  /** Stops a watch; call before closing its fd → 0 */
  fdUnwatch(h: FdWatchHandle): number;
  /** NETLINK_ADD_MEMBERSHIP: joins netlink group `group` (any number, also above 31) → 0 | -errno */
  nlJoin(fd: number, group: number): number;
  /** Opens `path` from a thread inside namespace nsfd (-1: here) → fd | -errno */
  openInNetns(nsfd: number, path: string, write?: 0 | 1): number;
  /** pread from offset 0 until EOF or buf is full → bytes (buf.length: maybe more) | -errno */
  preadAll(fd: number, buf: Uint8Array): number;
  /** entries: n triples (fd, length, FNV-1a hash of its last read); each file is read through scratch → how many
   *  differ (or failed to read), their indices written to changed | -errno */
  preadChanged(entries: Uint32Array, n: number, scratch: Uint8Array, changed: Int32Array): number;
}

/** An opaque native poll handle (fdWatch) */
export type FdWatchHandle = { readonly __fdWatch: unique symbol };

const ADDON_FILE = 'umacvlan.node';

/** Where the build may be, from this file in src/io/ (tests) or dist/src/io/ (the package), Release first. */
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const roots = [join(here, '..', '..'), join(here, '..', '..', '..')];
  return roots.flatMap((r) => [join(r, 'build', 'Release', ADDON_FILE), join(r, 'build', 'Debug', ADDON_FILE)]);
}

let cached: unknown = null;

/** Loads the addon once per thread (each worker gets its own instance). `T` lets other rooms (capture) type the
 *  functions they registered on the same addon. Throws an Error listing where it looked. */
export function loadAddon<T = NativeAddon>(): T {
  if (cached !== null) return cached as T;
  const req = createRequire(import.meta.url);
  const paths = candidates();
  for (const p of paths) {
    if (existsSync(p)) {
      cached = req(p);
      return cached as T;
    }
  }
  throw new Error(`umacvlan addon not built (run npm ci or npm run build); looked in: ${paths.join(', ')}`);
}
