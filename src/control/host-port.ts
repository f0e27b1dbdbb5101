// host-port.ts — the host's own port among the children: a bridge child whose TAP stays in the daemon's namespace
// for the host's stack, with the addresses it was given and a host route (/32, /128) through it to every child
// address the daemon knows (the address book: CNI results, what --mac-nat learned, the configuration). The routes
// follow the book as it changes (never polled); they go with the TAP when it is deleted (the daemon's exit), and
// stay with it under --persist, where the state file keeps them by child until a source speaks for that child again.
//
// The kernel's macvlan needs the same thing made by hand (a "shim" macvlan child of the host with routes); the host
// then reaches what a bridge child reaches: bridge children locally, VEPA ones through a hairpin switch, private
// ones not at all (README, "Host ↔ children").

import type { AddressBook } from './address-book.js';
import { describeError } from './daemon-error.js';
import type { HostPortConfig } from './host-port-config.js';
import { RouteSet, type RouteChanges } from './host-port-routes.js';
import type { Host, TapEvent } from './host.js';
import type { Log } from './log.js';
import type { ChildRt } from './port-state.js';
import type { StateHostPort } from './state-file.js';
import { formatIfAddr, type IfAddr, parseIfAddr } from '../values/addresses.js';

/** What `show` says of the host port */
export interface HostPortView { addrs: string[]; routes: string[] }

const errCode = (e: unknown): string => (e as { code?: string }).code ?? '';

/**
 * The host port a start runs with: the configured one, else the one a --persist state file kept (its addresses as
 * they were set). Null: none.
 */
export function hostPortAtStart(cfg: HostPortConfig | undefined, stored: StateHostPort | undefined, log: Log): HostPortConfig | null {
  if (stored && cfg && stored.name !== cfg.name) {
    log.warn(`host port: the kept ${stored.name} is now an ordinary kept child (this start names ${cfg.name}); --forget ${stored.name} deletes it`);
  }
  if (cfg) return cfg;
  if (!stored) return null;
  const addrs = stored.addrs.map(parseIfAddr).filter((c): c is IfAddr => 'addr' in c);
  return { name: stored.name, mac: 'auto', addrs };
}

/** The host port of a start, on its child once every child is up; null: none (or its TAP could not be made). */
export function startHostPort(cfg: HostPortConfig | undefined, stored: StateHostPort | undefined,
  children: ReadonlyMap<string, ChildRt>, host: Host, log: Log, book: AddressBook): HostPort | null {
  const hpc = hostPortAtStart(cfg, stored, log);
  const rt = hpc ? children.get(hpc.name) : undefined;
  if (!hpc || !rt?.tap) return null;
  return HostPort.start(rt, hpc, host, log, book, stored?.name === hpc.name ? stored : null);
}

export class HostPort {
  private readonly set: RouteSet;
  /** routes the kernel holds for us (an add that failed is retried when the port comes up again) */
  private readonly installed = new Set<string>();
  /** failures already logged, by address and errno, so a source repeating itself does not flood the log */
  private readonly told = new Set<string>();
  private ifindex: number;
  private up: boolean;
  private unsubscribe: () => void;
  /** its TAP is deleted or moved away: nothing more to set */
  private dead = false;

  private constructor(rt: ChildRt, private readonly cfg: HostPortConfig, private readonly host: Host,
    private readonly log: Log, book: AddressBook, stored: StateHostPort | null) {
    const link = rt.tap!.state();
    this.ifindex = link.ifindex;
    this.up = link.up;
    this.set = new RouteSet(cfg.name, cfg.addrs.map((c) => c.addr));
    const want = cfg.addrs.map(formatIfAddr);
    // Addresses a previous daemon set that this configuration no longer names go; the rest are (re)set.
    for (const old of stored?.addrs ?? []) if (!want.includes(old)) this.address(false, parseIfAddr(old) as IfAddr);
    for (const c of cfg.addrs) this.address(true, c);
    // Kept routes: a restart keeps them for the children whose addresses no source has given (yet) in this run.
    const known = book.all();
    for (const [child, addrs] of Object.entries(stored?.routes ?? {})) if (!known.has(child)) this.apply(this.set.set(child, addrs));
    for (const [child, addrs] of known) this.apply(this.set.set(child, addrs));
    this.unsubscribe = book.onChange((child, addrs) => this.apply(this.set.set(child, addrs)));
  }

  /** Starts the host port on its child (already up, in the daemon's namespace); `stored`: what a restart kept. */
  static start(rt: ChildRt, cfg: HostPortConfig, host: Host, log: Log, book: AddressBook, stored: StateHostPort | null): HostPort {
    const hp = new HostPort(rt, cfg, host, log, book, stored);
    log.info(`host port ${cfg.name}: ${cfg.addrs.map(formatIfAddr).join(', ') || 'no addresses'}; ${hp.installed.size} host routes`);
    return hp;
  }

  get name(): string { return this.cfg.name; }

  /** A child went (deleted): its routes go, including those a restart kept for it. The host port itself: it stops
   *  following the book (its addresses and routes went with its TAP). */
  childRemoved(name: string): void {
    if (name === this.name) { this.stop(); this.dead = true; this.installed.clear(); return; }
    this.apply(this.set.set(name, []));
  }

  /** The host port's own TAP events (from the daemon's TAP watch). */
  onTapEvent(ev: TapEvent): void {
    if (this.dead) return;
    if (ev.type === 'gone' || ev.type === 'moved') {
      // Its addresses and routes went with it (deleted) or stayed behind as nothing (moved out of the namespace).
      this.log.warn(`host port ${this.name}: its TAP was ${ev.type === 'gone' ? 'deleted' : 'moved out of the daemon\'s namespace'}; its routes are gone`);
      this.dead = true;
      this.installed.clear();
      return;
    }
    if (ev.type !== 'state') return;
    this.ifindex = ev.link.ifindex;
    const cameUp = ev.link.up && !this.up;
    this.up = ev.link.up;
    // Down flushes the IPv4 routes through a device and the IPv6 addresses on it: set everything again once up.
    if (!cameUp) return;
    this.installed.clear();
    for (const c of this.cfg.addrs) this.address(true, c);
    this.apply({ add: this.set.routes(), del: [] });
  }

  view(): HostPortView {
    return { addrs: this.cfg.addrs.map(formatIfAddr), routes: [...this.installed] };
  }

  /** Its state-file entry */
  entry(): StateHostPort {
    return { name: this.name, addrs: this.cfg.addrs.map(formatIfAddr), routes: this.set.byChild() };
  }

  stop(): void {
    this.unsubscribe();
    this.unsubscribe = () => {};
  }

  private address(add: boolean, c: IfAddr): void {
    try {
      this.host.setAddress(this.name, this.ifindex, add, c);
    } catch (e) {
      // Already there (an adopted port, a link that came back up) or already gone: the state wanted.
      if (errCode(e) === (add ? 'EEXIST' : 'EADDRNOTAVAIL')) return;
      this.log.warn(`host port ${this.name}: cannot ${add ? 'add' : 'remove'} address ${formatIfAddr(c)}: ${describeError(e)}`);
    }
  }

  private apply(ch: RouteChanges): void {
    if (this.dead) return;
    for (const a of ch.del) {
      this.installed.delete(a);
      try { this.host.setHostRoute(this.name, this.ifindex, false, a); } catch (e) {
        if (errCode(e) !== 'ESRCH' && errCode(e) !== 'ENOENT') this.tell(`cannot remove the route to ${a}`, e);
      }
    }
    for (const a of ch.add) {
      try {
        this.host.setHostRoute(this.name, this.ifindex, true, a);
        this.installed.add(a);
      } catch (e) {
        if (errCode(e) === 'EEXIST') { this.installed.add(a); continue; }
        this.tell(`cannot add a route to ${a}`, e);
      }
    }
  }

  private tell(what: string, e: unknown): void {
    const key = `${what} ${errCode(e)}`;
    if (this.told.has(key)) return;
    this.told.add(key);
    this.log.warn(`host port ${this.name}: ${what}: ${describeError(e)}`);
  }
}
