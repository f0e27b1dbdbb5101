// The control side's state, shared by the daemon's parts: the authoritative port table, the children as the daemon
// knows them, the parent's last link state, and the datapath the table is replicated to.
//
// Every table change goes through mutate(): applied here, then posted to the worker, which replays the same typed
// call on its replica between two batches (datapath/messages.ts applyTableOp serves both sides).

import { PortTable } from '../core/port-table.js';
import { counterBytes, makeCounters } from '../core/counters.js';
import { NO_MEMBERSHIPS, type Memberships } from '../core/memberships.js';
import { ChildGroups } from '../core/child-groups.js';
import { applyTableOp, type MutatorArgs, type TableMutator, type TableOpOf, type ToWorker } from '../datapath/messages.js';
import type { DatapathSink } from '../datapath/handle.js';
import type { ChildConfig } from './child-spec.js';
import type { Host, LinkState, ChildTap } from './host.js';
import type { Log } from './log.js';

/** up: in the address table; down: out of it; dup-mac: up, but kept out for a MAC in use; gone: its TAP is deleted */
export type ChildState = 'up' | 'down' | 'gone' | 'dup-mac';

/** A child as the daemon runs it. Per-port state beyond the table's (engine stats, …) belongs here. */
export interface ChildRt {
  name: string;
  slot: number;
  cfg: ChildConfig;
  tap: ChildTap | null;
  netns: string | null;
  state: ChildState;
  /** what this child holds on the parent socket (core/memberships.ts) */
  held: Memberships;
  unwatch: (() => void) | null;
  /** the MTU the child's own netdev has (may exceed the parent's, which the table then caps) */
  ownMtu: number;
  /** its multicast set, merged from rtnetlink and dev_mcast, capped (the table holds the same set) */
  groups: ChildGroups;
  /** the child's own IFF_ALLMULTI (the table's allmulti is this or the cap: group-memberships.ts) */
  ownAllmulti: boolean;
  /** taken back from a previous daemon (--persist), for show */
  adopted?: boolean;
}

export class PortState {
  readonly table = new PortTable();
  readonly counters: Float64Array;
  readonly children = new Map<string, ChildRt>();
  /** children by table slot, for the parent's passthru port */
  readonly bySlot: (ChildRt | null)[];
  datapath: DatapathSink | null = null;
  /** exact multicast groups per child (run's maxGroups); set before any child is added */
  maxGroups = 1024;

  constructor(readonly parentName: string, readonly host: Host, readonly log: Log, public parent: LinkState) {
    const ports = this.table.maxChildren + 1;
    this.bySlot = new Array<ChildRt | null>(ports).fill(null);
    this.counters = makeCounters(ports, new SharedArrayBuffer(counterBytes(ports)));
    // The kernel's port filters pass every group when the parent is promiscuous, which a parent without unicast
    // filtering (veth, tap, bridge) is as soon as a child other than a nopromisc passthru one is UP. We assume that
    // parent and do not follow its own flags (README deviations, M13).
    this.table.setParent({ mac: parent.mac, mtu: parent.mtu, up: parent.up, carrier: parent.carrier, promisc: false, unicastFilter: false });
  }

  /** Changes the table here and on the worker's replica. */
  mutate<K extends TableMutator>(method: K, ...args: MutatorArgs[K]): void {
    const op: TableOpOf<K> = { op: 'table', method, args };
    applyTableOp(this.table, op);
    this.datapath?.post(op);
  }

  /** Posts to the worker, if there is one yet (or still) */
  post(m: ToWorker): void {
    this.datapath?.post(m);
  }

  newChild(name: string, slot: number, cfg: ChildConfig, tap: ChildTap, mtu: number): ChildRt {
    const rt: ChildRt = { name, slot, cfg, tap, netns: cfg.netns ?? null, state: 'down', held: NO_MEMBERSHIPS, unwatch: null, ownMtu: mtu,
      groups: new ChildGroups(this.maxGroups), ownAllmulti: false };
    this.children.set(name, rt);
    this.bySlot[slot] = rt;
    return rt;
  }
}
