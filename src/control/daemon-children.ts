// daemon-children.ts — the running daemon's children as its users change them (add, del, set, a CNI result), and who
// hears of each change: the state file of a --persist daemon, the port listeners (a capture, --mac-nat), the address
// book and the host port. The base of Daemon (daemon.ts), which adds start-up, the parent and shutdown; the rules
// of each change are child-changes.ts's.

import type { PortTable } from '../core/port-table.js';
import { AddressBook } from './address-book.js';
import { addChild, delChild, liveChild, setChild, type SetRequest } from './child-changes.js';
import type { ChildConfig } from './child-spec.js';
import type { RunConfig } from './config-file.js';
import type { HostPort } from './host-port.js';
import type { ChildTap, Host, LinkState } from './host.js';
import type { Log } from './log.js';
import type { Persistence } from './persistence.js';
import { PortState, type ChildRt } from './port-state.js';
import { onTapEvent } from './tap-events.js';

/** Who wants to hear of children coming and going (a running capture names its ports) */
export interface PortListener {
  added(slot: number, name: string): void;
  removed(slot: number, name: string): void;
}

export class DaemonChildren {
  protected readonly ports: PortState;
  /** the state file and the kept children of a --persist daemon (persistence.ts) */
  protected store: Persistence | null = null;
  /** until every configured child is up: the state file is written once, after, so a start that fails midway
   *  leaves the previous one as it was */
  protected booting = true;
  /** the host's own port among the children and its routes (host-port.ts); null: none */
  protected hostPort: HostPort | null = null;
  readonly portListeners = new Set<PortListener>();
  /** the addresses each child holds, from every source (CNI results, --mac-nat, the configuration) */
  readonly book = new AddressBook();

  protected constructor(readonly cfg: RunConfig, host: Host, readonly log: Log, parent: LinkState) {
    this.ports = new PortState(cfg.parent, host, log, parent);
    this.ports.maxGroups = cfg.maxGroups;
  }

  get table(): PortTable { return this.ports.table; }
  get counters(): Float64Array { return this.ports.counters; }
  get children(): ReadonlyMap<string, ChildRt> { return this.ports.children; }

  addChild(c: ChildConfig, existing?: ChildTap): ChildRt {
    const rt = addChild(this.ports, c, (child, ev) => {
      onTapEvent(this.ports, child, ev);
      if (child.name === this.hostPort?.name) this.hostPort.onTapEvent(ev);
      if (ev.type === 'moved' && ev.id && this.store && child.state !== 'gone') {
        this.store.moved(child, ev.id);
        this.store.save(this.ports);
      }
    }, existing);
    if (this.store) {
      if (existing) { rt.adopted = true; this.store.record(rt); } else this.store.mark(rt);
      if (!this.booting) this.store.save(this.ports);
    }
    for (const l of this.portListeners) l.added(rt.slot, rt.name);
    // a CNI child taken back after a restart brings its IPAM addresses with it
    if (rt.cfg.cni?.ips.length) this.book.set('cni', rt.name, rt.cfg.cni.ips.map((ip) => ip.split('/')[0]));
    return rt;
  }

  async delChild(name: string): Promise<void> {
    // A kept TAP outlives its fd: it must stop being persistent for the close to delete it.
    if (this.store) { try { this.children.get(name)?.tap?.unpersist(); } catch { /* gone already */ } }
    // Listeners hear of the removal before an add of the same name, which may take the same slot, can follow.
    const { rt, closed } = delChild(this.ports, name);
    this.store?.forget(name);
    this.store?.save(this.ports);
    this.book.forget(name);
    this.hostPort?.childRemoved(name);
    if (name === this.hostPort?.name) this.hostPort = null;
    for (const l of this.portListeners) l.removed(rt.slot, name);
    await closed;
  }

  /** A CNI child's IPAM result came: its IPs kept with it (state file, show) and told to the address book. */
  cniAttached(name: string, ips: readonly string[]): void {
    const rt = this.children.get(name);
    if (!rt?.cfg.cni) return;
    rt.cfg.cni = { ...rt.cfg.cni, ips: [...ips] };
    // the book holds addresses; the attachment keeps them with their prefix, as IPAM gave them
    this.book.set('cni', name, ips.map((ip) => ip.split('/')[0]));
    this.store?.save(this.ports);
  }

  setChild(name: string, req: SetRequest): void {
    setChild(this.ports, name, req);
    this.store?.save(this.ports);
  }

  /** Children this daemon took back from a previous one (--persist) are marked adopted; this bounds their gap. */
  get restartGapMs(): number | null { return this.store?.gapMs ?? null; }
  get persistent(): boolean { return this.store !== null; }

  liveChild(name: string): ChildRt { return liveChild(this.ports, name); }
}
