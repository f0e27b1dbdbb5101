// The daemon: joins the port table (core), the TAPs and the parent (host), and the datapath worker. This file wires
// them at start-up and takes them down; each concern has its own file:
//   daemon-children.ts   the children as users change them, and who hears of each change (the base of Daemon)
//   port-state.ts        the shared state, and replication of every table change to the worker (typed messages)
//   child-changes.ts     add, del and set, with the kernel's rules asked first
//   tap-events.ts        the TAP-event state machine (deleted, moved, MAC/MTU/flags, up/down)
//   parent-events.ts     the parent's carrier, MTU and MAC passed on to the children
//   group-memberships.ts the children's multicast lists and the parent memberships they imply
//   vlan-uppers.ts       the parent's VLAN uppers, whose tags the host takes before macvlan would see them
//
// Theory of operation. The control thread owns the authoritative PortTable; every change goes through mutate(),
// which applies it here and replays the same call on the worker's replica, where it takes effect between two
// batches. Parent memberships are derived from the table (core/memberships.ts) and diffed, so they cannot drift
// from the state that implies them.

import { PARENT } from '../core/constants.js';
import type { PortTable } from '../core/port-table.js';
import { readRow } from '../core/counters.js';
import { Datapath, type DatapathOptions, type DatapathSink } from '../datapath/handle.js';
import { readEngineStats, type EngineSnapshot } from '../datapath/engine-stats.js';
import type { RunConfig } from './config-file.js';
import { DaemonChildren } from './daemon-children.js';
import { DaemonError, describeError } from './daemon-error.js';
import { EXIT as Exit } from './help.js';
import type { ChildTap, Host, LinkState, ParentEvent } from './host.js';
import type { Log } from './log.js';
import { onParentState } from './parent-events.js';
import { watchVlanUppers } from './vlan-uppers.js';
import { Persistence } from './persistence.js';
import { NatOwners, type IngressDrop } from './nat-owners.js';
import { NftIngress } from './nat-ingress.js';
import { formatMac } from '../wire/ethernet.js';
import { startHostPort, type HostPortView } from './host-port.js';
import type { StateHostPort } from './state-file.js';
import { hostPortChild } from './host-port-config.js';

export { DaemonError } from './daemon-error.js';
export type { SetRequest } from './child-changes.js';
export type { PortListener } from './daemon-children.js';
export type { ChildRt, ChildState } from './port-state.js';

const BATCH = 256;

/** Starts the datapath for a table; tests hand in a fake that records the messages instead of a worker. */
export type OpenDatapath = (table: PortTable, o: DatapathOptions) => DatapathSink;
const openWorker: OpenDatapath = (table, o) => new Datapath(table, o);
/** --mac-nat's ingress drop on the parent; tests hand in a fake */
export type OpenIngress = (parent: string, parentMac: string, log: Log, ifindex: number) => IngressDrop;
const openNft: OpenIngress = (parent, mac, log, ifindex) => new NftIngress(parent, mac, log, ifindex);

export class Daemon extends DaemonChildren {
  private unwatchParent: (() => void) | null = null;
  private unwatchVlans: (() => void) | null = null;
  private stopping = false;
  /** --persist: every TAP is made persistent, and outlives its fd — also after a failed start, which drops the store */
  private tapsPersist = false;
  /** --mac-nat: who owns which address (nat-owners.ts); null when off */
  nat: NatOwners | null = null;
  /** at stop, delete the children (and the state file) even under --persist: the parent went, or stop --remove-children */
  removeOnStop = false;
  /** resolves with the exit code when the daemon must end on its own (parent deleted, datapath failure) */
  readonly ended: Promise<number>;
  private endWith!: (code: number) => void;

  private constructor(cfg: RunConfig, host: Host, log: Log, parent: LinkState) {
    super(cfg, host, log, parent);
    this.ended = new Promise((res) => { this.endWith = res; });
  }

  static async start(cfg: RunConfig, host: Host, log: Log, openDatapath: OpenDatapath = openWorker,
    openIngress: OpenIngress = openNft): Promise<Daemon> {
    if (!host.isRoot()) throw new DaemonError('umacvlan run needs root (AF_PACKET and TAP devices)', 'UMV_ERR_NOT_ROOT');
    let parent: LinkState;
    try { parent = host.link(cfg.parent); } catch (e) {
      const why = (e as { code?: string }).code === 'ENODEV' ? 'no such interface' : describeError(e);
      throw new DaemonError(`parent ${cfg.parent}: ${why}`, 'UMV_ERR_NO_PARENT');
    }
    // The host port is a child like the others to the rules, the TAPs and a restart; host-port.ts adds the rest.
    const withHp = cfg.hostPort ? { ...cfg, children: [...cfg.children, hostPortChild(cfg.hostPort)] } : cfg;
    const restart = Persistence.open(withHp, host, log, parent);
    const d = new Daemon(cfg, host, log, parent);
    const p = d.ports;
    d.store = restart?.store ?? null;
    d.tapsPersist = d.store !== null;
    try {
      // Watch first, then read again: a change between the first read and the watch (a carrier arriving just
      // after `ip link set up`) would otherwise never be seen.
      d.unwatchParent = host.watchParent(parent.ifindex, (ev) => d.onParent(ev));
      d.onParent({ type: 'state', link: host.link(cfg.parent) });
      // Before the worker starts: the claimed VLANs are in the table it is given.
      d.unwatchVlans = watchVlanUppers(p, parent.ifindex);
      if (cfg.macNat) {
        p.mutate('setMacNat', true);
        // learned and static addresses go to the address book too: the host port routes to them
        d.nat = new NatOwners(p, cfg.macNat.static, openIngress(cfg.parent, formatMac(parent.mac), log, parent.ifindex), d.book);
        d.portListeners.add(d.nat);
        d.nat.start();
      }
      p.datapath = openDatapath(p.table, {
        parent: cfg.parent, batch: BATCH, busyPollUs: cfg.busyPollUs, gro: cfg.gro !== false, counters: p.counters.buffer as SharedArrayBuffer,
        onError: (m) => log.warn(`datapath: ${m}`),
        onExit: () => { log.warn('the datapath worker stopped unexpectedly; exiting'); d.endWith(Exit.FAILURE); },
        onLearn: (e) => d.nat?.onLearn(e),
      });
      await p.datapath.ready;
      if (restart) {
        for (const pc of restart.plan) restart.store.start(pc, (c, existing) => d.addChild(c, existing));
      } else {
        for (const c of withHp.children) d.addChild(c);
      }
      d.startHostPort(restart?.store.state.hostPort);
      await p.datapath.settled();
      d.booting = false;
      if (d.store) {
        d.store.startHeartbeat(p);
        if (d.store.gapMs !== null) log.info(`forwarding gap across the restart: at most ${d.restartGapMs} ms`);
      }
      // Inside the try: a NOTIFY_SOCKET that fails (stale, gone) must stop what was started, not leave it running.
      host.notify('READY=1');
    } catch (e) {
      // A start that failed must not rewrite the state file with the part it got through: the next start reads it.
      d.store?.stopHeartbeat();
      d.store = null;
      await d.stop();
      if (e instanceof DaemonError) throw e;
      throw new DaemonError(describeError(e));
    }
    return d;
  }

  // ---- the host port (host-port.ts) ----

  private startHostPort(stored: StateHostPort | undefined): void {
    this.hostPort = startHostPort(this.cfg.hostPort, stored, this.children, this.ports.host, this.log, this.book);
    if (this.store && this.hostPort) this.store.hostPortEntry = () => this.hostPort!.entry();
  }

  /** The host port, its addresses and its routes (show); null: none */
  get hostPortView(): (HostPortView & { name: string }) | null {
    return this.hostPort ? { name: this.hostPort.name, ...this.hostPort.view() } : null;
  }

  // ---- the parent (parent-events.ts) ----

  private onParent(ev: ParentEvent): void {
    if (this.stopping) return;
    if (ev.type === 'gone') {
      this.log.warn(`parent ${this.cfg.parent} was deleted; removing every child, as the kernel does`);
      this.removeOnStop = true;
      this.endWith(Exit.PARENT_GONE);
      return;
    }
    onParentState(this.ports, ev.link);
  }

  // ---- the worker ----

  /** Waits until the worker has applied every change made so far. */
  async settled(): Promise<void> { await this.ports.datapath?.settled(); }

  /** Hands a capture ring to the worker (null: stop handing frames over); settles before returning. */
  async setCaptureRing(sab: SharedArrayBuffer | null): Promise<void> {
    this.ports.post({ op: 'capture', sab });
    await this.settled();
  }

  // ---- reporting: one row per port; per-port state beyond the counters joins the rows here ----

  counterRows(): Array<{ name: string; slot: number; counters: Record<string, number> }> {
    const rows = [{ name: this.cfg.parent, slot: PARENT, counters: readRow(this.counters, PARENT) }];
    for (const rt of this.children.values()) rows.push({ name: rt.name, slot: rt.slot, counters: readRow(this.counters, rt.slot) });
    return rows;
  }

  /** The engine's statistics, asked of the worker now (show, /metrics); null once the datapath has stopped. */
  async engineStats(): Promise<EngineSnapshot | null> {
    const dp = this.ports.datapath;
    return dp ? readEngineStats(await dp.engineStats(this.table.maxChildren + 1)) : null;
  }

  // ---- shutdown ----

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.unwatchParent?.();
    this.unwatchVlans?.();
    // Its routes and addresses go with its TAP (closed below), or stay with it under --persist.
    this.hostPort?.stop();
    const store = this.store;
    const remove = this.removeOnStop;
    store?.stopHeartbeat();
    // The last heartbeat is the last moment forwarding ran: written before the worker stops.
    if (store && !remove) store.save(this.ports, true);
    const dp = this.ports.datapath;
    if (dp) await dp.stop();
    this.ports.datapath = null;
    await this.nat?.stop();
    // A TAP goes iff it is not persistent when its fd closes: never made so, or made so no more (removal, below).
    const keep = this.tapsPersist && !(store && remove);
    const removing: ChildTap[] = [];
    for (const rt of this.children.values()) {
      rt.unwatch?.();
      const tap = rt.tap;
      rt.tap = null;
      if (!tap) continue;
      if (store) {
        // Kept children lose carrier, as kernel children whose parent is down; removed ones stop being persistent.
        try { if (remove) tap.unpersist(); else tap.setCarrier(false); } catch { /* gone */ }
      }
      if (keep) { try { tap.close(); } catch { /* gone */ } } else removing.push(tap);
    }
    this.removeTaps(removing);
    if (store && remove) {
      try { store.removeFile(); } catch (e) { this.log.warn(`state file ${store.path}: ${(e as Error).message}`); }
    }
  }

  /** The TAPs that go with the daemon: one delete per namespace (Host.removeTaps); a slow fallback is said once. */
  private removeTaps(taps: ChildTap[]): void {
    if (taps.length === 0) return;
    const r = this.ports.host.removeTaps(taps);
    if (r.problems.length > 0) {
      this.log.warn(`stop: ${r.oneByOne} of ${taps.length} TAPs removed one at a time (slow), the group delete failed: ${r.problems.join('; ')}`);
    } else {
      // A start that failed says one line, its cause: this one only with --verbose then.
      const say = this.booting ? this.log.debug.bind(this.log) : this.log.info.bind(this.log);
      say(`stop: ${r.grouped} of ${taps.length} TAPs removed by ${r.deletes} group delete${r.deletes === 1 ? '' : 's'}`);
    }
  }
}
