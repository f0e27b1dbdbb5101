// What the daemon asks of the operating system, as one interface: the Linux implementation (host-linux.ts) goes
// through src/io/; tests hand in a fake (test/unit/control/fake-host.ts). Everything here is control path.

import type { VlanLinkFrom } from '../io/vlan-watch.js';

export interface LinkState {
  ifindex: number;
  name: string;
  mac: number;
  mtu: number;
  /** IFF_UP */
  up: boolean;
  /** carrier (IFF_LOWER_UP) */
  carrier: boolean;
  promisc: boolean;
  allmulti: boolean;
}

export type TapEvent =
  | { type: 'state'; link: LinkState }
  /** the TAP now lives in another namespace (its fd still works) */
  /** `id`: the namespace it went to, when it can be read (a --persist daemon records where the TAP now is) */
  | { type: 'moved'; netns: string; id?: NetnsIdentity }
  /** the TAP was deleted: its fd is dead */
  | { type: 'gone' }
  /** an IP-level multicast group joined or left on it (rtnetlink), with the link-layer group it maps to */
  | { type: 'ip-group'; join: boolean; key: string; mac: number }
  /** its entries in its namespace's /proc/net/dev_mcast: at most the limit set kept, `count` how many there were */
  | { type: 'dev-mcast'; macs: readonly number[]; count: number }
  /** link events were lost (the netlink socket overflowed): IP-level joins must be learned again */
  | { type: 'resync' };

export type ParentEvent = { type: 'state'; link: LinkState } | { type: 'gone' };

/** A link message as the VLAN-upper watch sees it: the codec's event plus the namespace it came from, by its id here
 *  (-1: the daemon's own). A type only: the Host interface names what it hands over, io/ says how it is read. */
export type VlanLink = VlanLinkFrom;

export type VlanWatchEvent =
  | { type: 'link'; link: VlanLink }
  /** every link of the daemon's namespace: at the start, and again after the kernel dropped events (ENOBUFS) */
  | { type: 'dump'; links: VlanLink[] }
  /** a namespace's id was released: the namespace is gone, and its links with it */
  | { type: 'nsid-gone'; nsid: number };

/** A child's TAP as the daemon drives it, wherever it has been moved (io/tap.ts Tap is the device it wraps). */
export interface ChildTap {
  readonly name: string;
  readonly fd: number;
  setCarrier(on: boolean): void;
  /** Sets the TAP's link up/down, MAC or MTU in whatever namespace it now lives */
  setUp(on: boolean): void;
  setMac(mac: number): void;
  setMtu(mtu: number): void;
  /** Its link state as seen in its current namespace */
  state(): LinkState;
  /**
   * How its multicast lists are reported: at most `limit` entries per dev_mcast read, and `slow` (over the cap)
   * re-reads its namespace at most every 500 ms instead of every 50 ms.
   */
  groupReads(limit: number, slow: boolean): void;
  /** Follow its link and multicast events wherever it moves; returns a stop function */
  watch(cb: (ev: TapEvent) => void): () => void;
  /** Closing the fd removes a non-persistent TAP */
  close(): void;
  /** Persistent, owner root, interface alias `alias`: it outlives the daemon and is known again by the mark */
  persist(alias: string): void;
  /** No longer persistent: close() then removes it */
  unpersist(): void;
}

/** A namespace's identity (stat of its nsfs file): a path may be reused, the pair is not. */
export interface NetnsIdentity {
  dev: number;
  ino: number;
}

/** How removeTaps() went: TAPs removed together, and those left to their close (one netdev at a time), and why. */
export interface TapRemoval {
  /** TAPs removed by a delete of many at once */
  grouped: number;
  /** such deletes: one per namespace */
  deletes: number;
  /** TAPs the group delete did not take (also those already gone) */
  oneByOne: number;
  /** one line per namespace where the group delete failed or left TAPs out */
  problems: string[];
}

/** A link of a namespace as far as telling a daemon's TAP from another matters. */
export interface TapMark {
  name: string;
  alias: string;
  /** a TAP device (not TUN, not another kind) */
  tap: boolean;
  /** the TUNSETOWNER uid, -1 when none */
  owner: number;
}

export interface Host {
  isRoot(): boolean;
  link(name: string): LinkState;
  /** A name clash in a target namespace is checked before creating anything */
  linkExistsIn(netns: string, name: string): boolean;
  /** Creates the TAP, in `netns` (a name under /run/netns or an absolute path) when given, down */
  openTap(name: string, mac: number, mtu: number, netns?: string): ChildTap;
  watchParent(ifindex: number, cb: (ev: ParentEvent) => void): () => void;
  /** Link messages for finding the parent's VLAN uppers, here and in every namespace with an id here; the first
   *  event is a dump of the daemon's namespace. Returns a stop function. */
  watchVlanUppers(cb: (ev: VlanWatchEvent) => void): () => void;
  /** The namespace's identity, or null when the path no longer opens one */
  netnsIdentity(netns: string): NetnsIdentity | null;
  /** A path (/proc/PID/ns/net) to the namespace of that identity, if any process still has it; null: gone */
  findNetns(id: NetnsIdentity): string | null;
  /** Every link of the namespace (the daemon's own when absent), with its alias and TAP owner */
  links(netns?: string): TapMark[];
  /** Keeps the namespace at `src` alive with a bind mount at the file `at` (as `ip netns add` does) */
  pinNetns(src: string, at: string): void;
  /** Undoes pinNetns: the mount detached, the file removed */
  unpinNetns(at: string): void;
  /** Opens the existing persistent TAP `name` again, without IFF_TUN_EXCL, from a thread in its namespace */
  attachTap(name: string, netns?: string): ChildTap;
  /** An address (ADDR/PREFIX) added to or removed from link `ifindex` (named `ifname`) of the daemon's namespace */
  setAddress(ifname: string, ifindex: number, add: boolean, addr: { addr: string; prefix: number }): void;
  /** A host route (/32, /128) to `addr` through link `ifindex` of the daemon's namespace, added or removed */
  setHostRoute(ifname: string, ifindex: number, add: boolean, addr: string): void;
  /**
   * Removes these TAPs (none of them persistent any more) and closes them: per namespace they are in, one delete of
   * all of them at once (a close unregisters its netdev alone, ~18 ms each); any the fast way cannot take goes with
   * its close. Never throws.
   */
  removeTaps(taps: readonly ChildTap[]): TapRemoval;
  /** sd_notify; a no-op without NOTIFY_SOCKET */
  notify(text: string): void;
}
