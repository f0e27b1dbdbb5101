// A Host without root or a kernel, for the daemon's unit tests: links and TAPs are plain records, events are sent by
// the test, and every call that would reach the system is recorded. The datapath is a sink that keeps the typed
// messages and replays the table changes on a replica, as the worker does.

import { engineStatsBytes } from '../../../src/datapath/engine-stats.js';
import { Log } from '../../../src/control/log.js';
import type { ChildTap, Host, LinkState, NetnsIdentity, ParentEvent, TapEvent, TapMark, TapRemoval, VlanLink, VlanWatchEvent } from '../../../src/control/host.js';
import type { DatapathOptions, DatapathSink } from '../../../src/datapath/handle.js';
import { applyTableOp, type ToWorker } from '../../../src/datapath/messages.js';
import { PortTable } from '../../../src/core/port-table.js';

export const PARENT_MAC = 0x02cc_0000_0001;

export function link(name: string, over: Partial<LinkState> = {}): LinkState {
  return { ifindex: 7, name, mac: PARENT_MAC, mtu: 1500, up: true, carrier: true, promisc: false, allmulti: false, ...over };
}

export class FakeTap implements ChildTap {
  readonly calls: string[] = [];
  closed = false;
  carrier = false;
  /** the last groupReads(limit, slow) */
  reads = { limit: -1, slow: false };
  private cb: ((ev: TapEvent) => void) | null = null;
  link: LinkState;

  constructor(readonly name: string, readonly fd: number, mac: number, mtu: number, public netns: string | undefined) {
    this.link = link(name, { ifindex: 100 + fd, mac, mtu, up: false, carrier: false });
  }

  setCarrier(on: boolean): void { this.calls.push(`carrier ${on}`); this.carrier = on; }
  setUp(on: boolean): void { this.calls.push(`up ${on}`); this.link = { ...this.link, up: on }; }
  setMac(mac: number): void { this.calls.push(`mac ${mac}`); this.link = { ...this.link, mac }; }
  setMtu(mtu: number): void { this.calls.push(`mtu ${mtu}`); this.link = { ...this.link, mtu }; }
  state(): LinkState { return this.link; }
  groupReads(limit: number, slow: boolean): void { this.reads = { limit, slow }; }
  watch(cb: (ev: TapEvent) => void): () => void {
    this.cb = cb;
    // As the Linux TAP does: the state once at the start, so nothing before the watch is missed.
    cb({ type: 'state', link: this.state() });
    return () => { this.cb = null; };
  }
  close(): void { this.calls.push('close'); this.closed = true; }
  /** persistent, owner root, its alias: as TUNSETPERSIST, TUNSETOWNER and IFLA_IFALIAS leave it */
  persistent = false;
  alias = '';
  owner = -1;
  persist(alias: string): void { this.calls.push(`persist ${alias}`); this.persistent = true; this.owner = 0; this.alias = alias; }
  unpersist(): void { this.calls.push('unpersist'); this.persistent = false; }
  /** exists as a device: open, or closed but persistent */
  get exists(): boolean { return !this.closed || this.persistent; }

  get watched(): boolean { return this.cb !== null; }
  /** Something outside changed the TAP: its new link state arrives as an event. */
  change(over: Partial<LinkState>): void { this.link = { ...this.link, ...over }; this.cb?.({ type: 'state', link: this.link }); }
  emit(ev: TapEvent): void { this.cb?.(ev); }
}

export class FakeHost implements Host {
  root = true;
  parent: LinkState | null;
  readonly taps = new Map<string, FakeTap>();
  readonly notes: string[] = [];
  /** names that exist in a namespace already, as 'netns/name' */
  readonly taken = new Set<string>();
  /** TAP names whose creation fails (as EBUSY does) */
  readonly refuse = new Set<string>();
  /** what the first dump of the daemon's namespace lists (VLAN-upper watch) */
  vlanDump: VlanLink[] = [];
  private parentCb: ((ev: ParentEvent) => void) | null = null;
  private vlanCb: ((ev: VlanWatchEvent) => void) | null = null;
  private nextFd = 10;
  /** namespaces by path, and the /proc paths that still lead to one whose path went */
  readonly namespaces = new Map<string, NetnsIdentity>();
  readonly procNs = new Map<string, NetnsIdentity>();
  /** links that are not the daemon's: as 'netns/name' (netns '' for the daemon's own) → their mark */
  readonly foreign = new Map<string, TapMark>();

  constructor(parentName = 'p0') { this.parent = link(parentName); }

  isRoot(): boolean { return this.root; }
  link(name: string): LinkState {
    if (!this.parent || name !== this.parent.name) throw Object.assign(new Error(`${name}: RTM_GETLINK: ENODEV`), { code: 'ENODEV' });
    return this.parent;
  }
  linkExistsIn(netns: string, name: string): boolean { return this.taken.has(`${netns}/${name}`); }
  openTap(name: string, mac: number, mtu: number, netns?: string): ChildTap {
    if (this.refuse.has(name)) throw Object.assign(new Error(`${name}: TUNSETIFF: EBUSY`), { code: 'EBUSY' });
    const t = new FakeTap(name, this.nextFd++, mac, mtu, netns);
    this.taps.set(name, t);
    return t;
  }
  watchParent(_ifindex: number, cb: (ev: ParentEvent) => void): () => void {
    this.parentCb = cb;
    return () => { this.parentCb = null; };
  }
  watchVlanUppers(cb: (ev: VlanWatchEvent) => void): () => void {
    this.vlanCb = cb;
    cb({ type: 'dump', links: this.vlanDump });
    return () => { this.vlanCb = null; };
  }
  notify(text: string): void { this.notes.push(text); }
  /** the names each removeTaps() call was given; `removeProblems`: what the next calls report as not done fast */
  readonly removals: string[][] = [];
  removeProblems: string[] = [];
  removeTaps(taps: readonly ChildTap[]): TapRemoval {
    this.removals.push(taps.map((t) => t.name));
    for (const t of taps) t.close();
    if (this.removeProblems.length) return { grouped: 0, deletes: 0, oneByOne: taps.length, problems: this.removeProblems };
    const spaces = new Set(taps.map((t) => (t as FakeTap).netns));
    return { grouped: taps.length, deletes: spaces.size, oneByOne: 0, problems: [] };
  }
  /** addresses (ADDR/PREFIX) and host routes as the kernel would hold them, by ifindex; an add of one there answers
   *  EEXIST, a delete of one not there EADDRNOTAVAIL / ESRCH; `ipRefuse` makes a request for that address fail */
  readonly addrs = new Map<number, Set<string>>();
  readonly routes = new Map<number, Set<string>>();
  readonly ipRefuse = new Map<string, string>();
  setAddress(_ifname: string, ifindex: number, add: boolean, a: { addr: string; prefix: number }): void {
    this.ipChange(this.addrs, ifindex, add, `${a.addr}/${a.prefix}`, a.addr, 'EADDRNOTAVAIL');
  }
  setHostRoute(_ifname: string, ifindex: number, add: boolean, addr: string): void {
    this.ipChange(this.routes, ifindex, add, addr, addr, 'ESRCH');
  }
  private ipChange(m: Map<number, Set<string>>, ifindex: number, add: boolean, key: string, addr: string, missing: string): void {
    const fail = (code: string): never => { throw Object.assign(new Error(`${addr}: ${code}`), { code }); };
    const refused = this.ipRefuse.get(addr);
    if (refused) fail(refused);
    const set = m.get(ifindex) ?? new Set<string>();
    m.set(ifindex, set);
    if (add && set.has(key)) fail('EEXIST');
    if (!add && !set.has(key)) fail(missing);
    if (add) set.add(key); else set.delete(key);
  }
  netnsIdentity(netns: string): NetnsIdentity | null { return this.namespaces.get(netns) ?? null; }
  findNetns(id: NetnsIdentity): string | null {
    for (const [path, v] of this.procNs) if (v.dev === id.dev && v.ino === id.ino) return path;
    return null;
  }
  links(netns?: string): TapMark[] {
    const mine = [...this.taps.values()].filter((t) => t.exists && t.netns === netns)
      .map((t) => ({ name: t.name, alias: t.alias, tap: true, owner: t.owner }));
    const others = [...this.foreign].filter(([k]) => k.startsWith(`${netns ?? ''}/`)).map(([, m]) => m);
    return [...mine, ...others];
  }
  /** bind mounts: the file → the namespace path it pins */
  readonly pins = new Map<string, string>();
  pinNetns(src: string, at: string): void {
    this.pins.set(at, src);
    const id = this.namespaces.get(src) ?? this.procNs.get(src);
    if (id) this.namespaces.set(at, id);
  }
  unpinNetns(at: string): void { this.pins.delete(at); this.namespaces.delete(at); }
  attachTap(name: string, netns?: string): ChildTap {
    const t = [...this.taps.values()].find((x) => x.name === name && x.netns === netns && x.exists);
    if (!t) throw Object.assign(new Error(`${name}: TUNSETIFF: ENODEV`), { code: 'ENODEV' });
    t.calls.push('attach');
    t.closed = false;
    return t;
  }

  get vlansWatched(): boolean { return this.vlanCb !== null; }
  /** A link message reached the VLAN-upper watch */
  vlanEvent(ev: VlanWatchEvent): void { this.vlanCb?.(ev); }

  get parentWatched(): boolean { return this.parentCb !== null; }
  /** The parent changed: its new state arrives as an event. */
  changeParent(over: Partial<LinkState>): void {
    this.parent = { ...this.parent!, ...over };
    this.parentCb?.({ type: 'state', link: this.parent });
  }
  deleteParent(): void { this.parent = null; this.parentCb?.({ type: 'gone' }); }
}

/** The datapath as a record: every message, and a replica of the table rebuilt from them alone. */
export class FakeDatapath implements DatapathSink {
  readonly sent: ToWorker[] = [];
  readonly replica: PortTable;
  readonly ready: Promise<number>;
  stopped = false;

  constructor(table: PortTable, readonly opts: DatapathOptions, fail?: Error) {
    this.replica = PortTable.fromSnapshot(structuredClone(table.snapshot()));
    this.ready = fail ? Promise.reject(fail) : Promise.resolve(7);
    // Unhandled until the daemon awaits it: mark it seen so a rejected start-up is not reported twice.
    this.ready.catch(() => undefined);
  }

  post(m: ToWorker): void {
    const copy = structuredClone(m);
    this.sent.push(copy);
    if (copy.op === 'table') applyTableOp(this.replica, copy);
  }
  async settled(): Promise<void> { /* applied as posted */ }
  /** A healthy engine: no ring drops, no port errors */
  async engineStats(ports: number): Promise<Float64Array> { return new Float64Array(engineStatsBytes(ports) / 8); }
  async stop(): Promise<void> { this.stopped = true; }

  /** The messages since the last take(), and forget them */
  take(): ToWorker[] { return this.sent.splice(0); }
}

/** A Log that keeps its lines instead of writing them */
export class MemoryLog extends Log {
  readonly lines: string[] = [];
  constructor() { super('normal'); }
  override info(msg: string): void { this.lines.push(msg); }
  override debug(msg: string): void { this.lines.push(msg); }
  override warn(msg: string): void { this.lines.push(`warn: ${msg}`); }
  override ready(): void { this.lines.push('ready'); }
}
