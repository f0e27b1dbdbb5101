// What the daemon asks of the operating system, as one interface: the Linux implementation (host-linux.ts) goes
// through src/io/; tests hand in a fake (test/unit/control/fake-host.ts). Everything here is control path.

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
  | { type: 'moved'; netns: string }
  /** the TAP was deleted: its fd is dead */
  | { type: 'gone' }
  /** an IP-level multicast group joined or left on it (rtnetlink), with the link-layer group it maps to */
  | { type: 'ip-group'; join: boolean; key: string; mac: number }
  /** its entries in its namespace's /proc/net/dev_mcast: at most the limit set kept, `count` how many there were */
  | { type: 'dev-mcast'; macs: readonly number[]; count: number }
  /** link events were lost (the netlink socket overflowed): IP-level joins must be learned again */
  | { type: 'resync' };

export type ParentEvent = { type: 'state'; link: LinkState } | { type: 'gone' };

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
}

export interface Host {
  isRoot(): boolean;
  link(name: string): LinkState;
  /** A name clash in a target namespace is checked before creating anything */
  linkExistsIn(netns: string, name: string): boolean;
  /** Creates the TAP, in `netns` (a name under /run/netns or an absolute path) when given, down */
  openTap(name: string, mac: number, mtu: number, netns?: string): ChildTap;
  watchParent(ifindex: number, cb: (ev: ParentEvent) => void): () => void;
  /** sd_notify; a no-op without NOTIFY_SOCKET */
  notify(text: string): void;
}
