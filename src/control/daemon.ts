// The daemon: joins the port table (core), the TAPs and the parent (host), and the datapath worker.
//
// Theory of operation. The control thread owns the authoritative PortTable; every change goes through mutate(),
// which applies it here and replays the same call on the worker's replica, where it takes effect between two
// batches. The kernel's rules (rules.ts) are asked before a change; what the outside world does to a TAP that the
// kernel would have refused (a duplicate MAC set from inside the child's namespace, an MTU above the parent's) is
// followed as closely as a userspace daemon can: the child leaves the address table, or its frames are bounded by
// the parent's MTU. Parent memberships (unicast per UP child MAC, its groups, promisc/allmulti references) are
// derived from the table by syncMemberships() and diffed, so they cannot drift from the state that implies them.

import { Mode, MODE_NAMES, Flag, PARENT, type ModeBit } from '../core/constants.js';
import { PortTable } from '../core/port-table.js';
import { checkAdd, checkUp, checkSetMac, checkSetMtu, checkChange, withDefaults, type ChangeRequest, RuleError } from '../core/rules.js';
import { counterBytes, makeCounters, readRow, clearRow } from '../core/counters.js';
import { formatMac } from '../wire/ethernet.js';
import { Datapath } from '../datapath/handle.js';
import type { ChildConfig, } from './child-spec.js';
import type { RunConfig } from './config-file.js';
import type { Host, LinkState, Tap, TapEvent } from './host.js';
import type { Log } from './log.js';
import { EXIT as Exit } from './help.js';
import type { ErrorCode } from '../errors/catalog.js';

const BATCH = 256;
/** No rtnetlink message carries a link-layer multicast list: it is re-read from /proc/net/dev_mcast this often. */
const GROUP_POLL_MS = 500;

/** A changelink request plus the two changes `ip link set` makes outside it */
export type SetRequest = ChangeRequest & { mac?: number; mtu?: number };

export type ChildState = 'up' | 'down' | 'gone' | 'dup-mac';

export interface ChildRt {
  name: string;
  slot: number;
  cfg: ChildConfig;
  tap: Tap | null;
  netns: string | null;
  state: ChildState;
  /** memberships this child holds on the parent socket, as keys 'u:MAC', 'm:MAC', 'promisc', 'allmulti' */
  held: Set<string>;
  unwatch: (() => void) | null;
  /** the MTU the child's own netdev has (may exceed the parent's, which the table then caps) */
  ownMtu: number;
}

/** A start-up or request failure: one line for the user, and its code (the exit status is the catalog's). */
export class DaemonError extends Error {
  constructor(message: string, readonly code: ErrorCode = 'UMV_ERR_RUNTIME') {
    super(message);
    this.name = 'DaemonError';
  }
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Daemon {
  readonly table: PortTable;
  readonly counters: Float64Array;
  readonly children = new Map<string, ChildRt>();
  private readonly bySlot: (ChildRt | null)[];
  private datapath: Datapath | null = null;
  private parent: LinkState;
  private unwatchParent: (() => void) | null = null;
  private groupTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** resolves with the exit code when the daemon must end on its own (parent deleted, datapath failure) */
  readonly ended: Promise<number>;
  private endWith!: (code: number) => void;

  private constructor(readonly cfg: RunConfig, private readonly host: Host, readonly log: Log, parent: LinkState) {
    this.parent = parent;
    this.table = new PortTable();
    this.bySlot = new Array(this.table.maxChildren + 1).fill(null);
    this.counters = makeCounters(this.table.maxChildren + 1, new SharedArrayBuffer(counterBytes(this.table.maxChildren + 1)));
    // The kernel's port filters pass every group when the parent is promiscuous, which a parent without unicast
    // filtering (veth, tap, bridge) is as soon as one child is UP. We assume that parent (deviations table).
    this.table.setParent({ mac: parent.mac, mtu: parent.mtu, up: parent.up, carrier: parent.carrier, promisc: true });
    this.ended = new Promise((res) => { this.endWith = res; });
  }

  static async start(cfg: RunConfig, host: Host, log: Log): Promise<Daemon> {
    if (!host.isRoot()) throw new DaemonError('umacvlan run needs root (AF_PACKET and TAP devices)', 'UMV_ERR_NOT_ROOT');
    let parent: LinkState;
    try { parent = host.link(cfg.parent); } catch (e) {
      const why = (e as { code?: string }).code === 'ENODEV' ? 'no such interface' : describeError(e);
      throw new DaemonError(`parent ${cfg.parent}: ${why}`, 'UMV_ERR_NO_PARENT');
    }
    const d = new Daemon(cfg, host, log, parent);
    try {
      // Watch first, then read again: a change between the first read and the watch (a carrier arriving just
      // after `ip link set up`) would otherwise never be seen.
      d.unwatchParent = host.watchParent(parent.ifindex, (ev) => d.onParent(ev));
      d.onParent({ type: 'state', link: host.link(cfg.parent) });
      d.datapath = new Datapath(d.table, {
        parent: cfg.parent, batch: BATCH, busyPollUs: cfg.busyPollUs, counters: d.counters.buffer as SharedArrayBuffer,
        onError: (m) => d.log.warn(`datapath: ${m}`),
        onExit: () => { d.log.warn('the datapath worker stopped unexpectedly; exiting'); d.endWith(Exit.FAILURE); },
      });
      await d.datapath.ready;
      for (const c of cfg.children) d.addChild(c);
      await d.datapath.settled();
    } catch (e) {
      await d.stop();
      if (e instanceof DaemonError) throw e;
      throw new DaemonError(describeError(e));
    }
    d.groupTimer = setInterval(() => d.pollGroups(), GROUP_POLL_MS);
    d.groupTimer.unref();
    host.notify('READY=1');
    return d;
  }

  // ---- children ----

  /** Creates a child: checks the kernel's rules, creates, configures, moves and brings up its TAP. */
  addChild(c: ChildConfig): ChildRt {
    if (this.children.has(c.name) && this.children.get(c.name)!.state !== 'gone') {
      throw new DaemonError(`child ${c.name}: a child of that name exists`, 'UMV_ERR_DUP_NAME');
    }
    const slot = this.table.freeSlot();
    // withDefaults picks what the kernel picks: the parent's MAC for passthru, a random one for 'auto'.
    const mac = c.mac === 'auto' ? undefined : c.mac;
    const req = { mac, mode: c.mode, flags: c.flags, mtu: c.mtu, sourceOp: c.mode === Mode.SOURCE && c.macaddr.length ? 'set' as const : undefined, sourceMacs: c.macaddr.length ? c.macaddr : undefined };
    const bad = checkAdd(this.table, req);
    if (bad) throw ruleFailure(c.name, bad);
    const spec = withDefaults(this.table, { mac, mode: c.mode, flags: c.flags, mtu: c.mtu });
    if (c.netns && this.host.linkExistsIn(c.netns, c.name)) {
      throw new DaemonError(`child ${c.name}: namespace ${c.netns} already has a link named ${c.name}`, 'UMV_ERR_TAP');
    }
    this.mutate('addChild', slot, spec);
    for (const m of c.macaddr) this.mutate('sourceAdd', slot, m);
    const busy = checkUp(this.table, slot);
    if (busy) {
      this.mutate('removeChild', slot);
      throw ruleFailure(c.name, busy);
    }
    let tap: Tap;
    try {
      tap = this.host.openTap(c.name, spec.mac, spec.mtu, c.netns);
    } catch (e) {
      this.mutate('removeChild', slot);
      throw new DaemonError(`child ${c.name}: ${describeError(e)}`, 'UMV_ERR_TAP');
    }
    const rt: ChildRt = { name: c.name, slot, cfg: { ...c, mac: spec.mac }, tap, netns: c.netns ?? null, state: 'down', held: new Set(), unwatch: null, ownMtu: spec.mtu };
    this.children.set(c.name, rt);
    this.bySlot[slot] = rt;
    clearRow(this.counters, slot);
    try {
      tap.setCarrier(this.parent.up && this.parent.carrier);
      tap.setUp(true);
    } catch (e) {
      void this.dropChild(rt);
      this.children.delete(c.name);
      throw new DaemonError(`child ${c.name}: ${describeError(e)}`, 'UMV_ERR_TAP');
    }
    this.mutate('setUp', slot, true);
    rt.state = 'up';
    this.syncMemberships(rt);
    this.datapath!.post({ op: 'attach', port: slot, fd: tap.fd });
    rt.unwatch = tap.watch((ev) => this.onTap(rt, ev));
    this.log.info(`child ${c.name}: ${MODE_NAMES[spec.mode]} ${formatMac(spec.mac)} mtu ${spec.mtu}${c.netns ? ` in ${c.netns}` : ''}`);
    for (const l of this.portListeners) l.added(slot, c.name);
    return rt;
  }

  /** Deletes a child: its TAP goes, its MAC is free again. */
  async delChild(name: string): Promise<void> {
    const rt = this.children.get(name);
    if (!rt) throw new DaemonError(`no child named ${name}`, 'UMV_ERR_NO_CHILD');
    await this.dropChild(rt);
    this.children.delete(name);
    for (const l of this.portListeners) l.removed(rt.slot, name);
    this.log.info(`child ${name}: deleted`);
  }

  /** Applies a change request with the kernel's rules (lifecycle.md §3, §4). */
  setChild(name: string, req: SetRequest): void {
    const rt = this.liveChild(name);
    const bad = checkChange(this.table, rt.slot, req)
      ?? (req.mtu !== undefined ? checkSetMtu(this.table, rt.slot, req.mtu) : null)
      ?? (req.mac !== undefined && this.table.mode[rt.slot] !== Mode.PASSTHRU ? checkSetMac(this.table, rt.slot, req.mac) : null);
    if (bad) throw ruleFailure(name, bad);
    const s = rt.slot;
    if (req.mode !== undefined) this.mutate('setMode', s, req.mode as ModeBit);
    if (req.flags !== undefined) this.mutate('setFlags', s, req.flags);
    if (req.mtu !== undefined) {
      rt.tap!.setMtu(req.mtu);
      rt.ownMtu = req.mtu;
      this.mutate('setMtu', s, req.mtu);
    }
    if (req.sourceOp !== undefined) {
      if (req.sourceOp === 'flush' || req.sourceOp === 'set') this.mutate('sourceFlush', s);
      for (const m of req.sourceMacs ?? []) {
        if (req.sourceOp === 'del') this.mutate('sourceDel', s, m); else this.mutate('sourceAdd', s, m);
      }
    }
    if (req.mac !== undefined && req.mac !== this.table.mac[s]) {
      if (this.table.mode[s] === Mode.PASSTHRU) {
        // A3: a passthru child's MAC is the parent's; the kernel sets the parent's and the child follows.
        throw new DaemonError(`child ${name}: set the parent's MAC instead (passthru children follow their parent)`, 'UMV_ERR_PASSTHRU_MAC');
      }
      rt.tap!.setMac(req.mac);
      this.moveMac(rt, req.mac);
    }
    this.syncMemberships(rt);
  }

  liveChild(name: string): ChildRt {
    const rt = this.children.get(name);
    if (!rt) throw new DaemonError(`no child named ${name}`, 'UMV_ERR_NO_CHILD');
    if (rt.state === 'gone' || rt.tap === null) throw new DaemonError(`child ${name}: its TAP is gone (deleted outside umacvlan): add it again or del it`, 'UMV_ERR_CHILD_GONE');
    return rt;
  }

  private dropChild(rt: ChildRt): Promise<void> {
    rt.unwatch?.();
    rt.unwatch = null;
    if (rt.state !== 'gone' && this.table.used[rt.slot]) {
      this.datapath?.post({ op: 'detach', port: rt.slot });
      this.releaseMemberships(rt);
      this.mutate('removeChild', rt.slot);
    }
    const tap = rt.tap;
    rt.tap = null;
    this.bySlot[rt.slot] = null;
    rt.state = 'gone';
    if (!tap) return Promise.resolve();
    // The worker must let go of the fd (detach) before it is closed, or its pending reads pin the TAP.
    const close = (): void => { try { tap.close(); } catch { /* already gone */ } };
    return this.datapath ? this.datapath.settled().then(close, close) : Promise.resolve(close());
  }

  private moveMac(rt: ChildRt, mac: number): void {
    const bad = checkSetMac(this.table, rt.slot, mac);
    if (bad) {
      // The kernel refuses a duplicate; here it was already set from inside the child's namespace.
      this.log.warn(`child ${rt.name}: MAC ${formatMac(mac)} is in use (${bad.message}); the child leaves the address table`);
      if (this.table.up[rt.slot]) this.mutate('setUp', rt.slot, false);
      this.mutate('setMac', rt.slot, mac);
      rt.state = 'dup-mac';
    } else {
      this.mutate('setMac', rt.slot, mac);
      if (rt.state === 'dup-mac') rt.state = this.table.up[rt.slot] ? 'up' : 'down';
    }
    rt.cfg = { ...rt.cfg, mac };
  }

  // ---- events from the TAPs and the parent ----

  private onTap(rt: ChildRt, ev: TapEvent): void {
    if (rt.state === 'gone') return;
    if (ev.type === 'gone') {
      this.log.warn(`child ${rt.name}: its TAP was deleted; the child is gone`);
      void this.dropChild(rt);
      return;
    }
    if (ev.type === 'moved') {
      rt.netns = ev.netns;
      this.log.info(`child ${rt.name}: TAP moved to ${ev.netns}; still forwarding`);
      return;
    }
    const l = ev.link;
    const s = rt.slot;
    if (l.mac !== this.table.mac[s] && this.table.mode[s] !== Mode.PASSTHRU) this.moveMac(rt, l.mac);
    if (l.mtu !== rt.ownMtu) {
      rt.ownMtu = l.mtu;
      // An MTU above the parent's cannot be refused from here: frames are bounded by the parent's instead.
      this.mutate('setMtu', s, Math.min(l.mtu, this.parent.mtu));
    }
    if (l.promisc !== (this.table.promisc[s] === 1)) this.mutate('setPromisc', s, l.promisc);
    if (l.allmulti !== (this.table.allmulti[s] === 1)) this.mutate('setAllmulti', s, l.allmulti);
    const inTable = this.table.up[s] === 1;
    if (l.up && !inTable && rt.state !== 'dup-mac') {
      const busy = checkUp(this.table, s);
      if (busy) {
        this.log.warn(`child ${rt.name}: up with a MAC in use (${busy.message}); it stays out of the address table`);
        rt.state = 'dup-mac';
      } else {
        this.mutate('setUp', s, true);
        rt.state = 'up';
      }
    } else if (!l.up && (inTable || rt.state === 'dup-mac')) {
      if (inTable) this.mutate('setUp', s, false);
      rt.state = 'down';
    }
    this.syncMemberships(rt);
  }

  private onParent(ev: { type: 'state'; link: LinkState } | { type: 'gone' }): void {
    if (this.stopping) return;
    if (ev.type === 'gone') {
      this.log.warn(`parent ${this.cfg.parent} was deleted; removing every child, as the kernel does`);
      this.endWith(Exit.PARENT_GONE);
      return;
    }
    const old = this.parent;
    const l = ev.link;
    this.parent = l;
    if (l.up !== old.up || l.carrier !== old.carrier) {
      this.setField('parentUp', l.up);
      this.setField('parentCarrier', l.up && l.carrier);
      // The child's carrier follows the parent's (TUNSETCARRIER); its own UP flag is never touched (spec L14).
      for (const rt of this.children.values()) if (rt.tap) { try { rt.tap.setCarrier(l.up && l.carrier); } catch (e) { this.log.warn(`child ${rt.name}: carrier: ${describeError(e)}`); } }
      this.log.info(`parent ${l.name}: ${l.up ? 'up' : 'down'}, ${l.carrier ? 'carrier' : 'no carrier'}`);
    }
    if (l.mtu !== old.mtu) {
      this.mutate('setParent', { mtu: l.mtu });
      // CHANGEMTU: children above the new MTU are clamped; a larger parent MTU raises nobody (L13).
      for (const rt of this.children.values()) {
        if (!rt.tap || rt.state === 'gone') continue;
        if (rt.ownMtu > l.mtu) {
          try { rt.tap.setMtu(l.mtu); rt.ownMtu = l.mtu; } catch (e) { this.log.warn(`child ${rt.name}: mtu: ${describeError(e)}`); }
        }
        this.mutate('setMtu', rt.slot, Math.min(rt.ownMtu, l.mtu));
      }
    }
    if (l.mac !== old.mac) {
      this.mutate('setParent', { mac: l.mac });
      const pt = this.table.passthru;
      const rt = pt ? this.bySlot[pt] : null;
      if (rt && rt.tap) {
        try { rt.tap.setMac(l.mac); } catch (e) { this.log.warn(`child ${rt.name}: mac: ${describeError(e)}`); }
        this.mutate('setMac', pt, l.mac);
      }
    }
  }

  private pollGroups(): void {
    for (const rt of this.children.values()) {
      if (!rt.tap || rt.state === 'gone') continue;
      let groups: number[];
      try { groups = rt.tap.groups(); } catch { continue; }
      const now = this.table.groupsOf(rt.slot);
      if (groups.length === now.length && groups.every((g) => now.includes(g))) continue;
      this.mutate('setGroups', rt.slot, groups);
      this.syncMemberships(rt);
    }
  }

  // ---- parent memberships (lifecycle.md §7) ----

  private wantedMemberships(rt: ChildRt): Set<string> {
    const s = rt.slot;
    const want = new Set<string>();
    if (!this.table.used[s] || !this.table.up[s]) return want;
    if (this.table.mode[s] === Mode.PASSTHRU) {
      if (!(this.table.flags[s] & Flag.NOPROMISC)) want.add('promisc');
    } else {
      want.add(`u:${this.table.mac[s]}`);
      if (this.table.promisc[s]) want.add('promisc');
    }
    if (this.table.allmulti[s]) want.add('allmulti');
    for (const g of this.table.groupsOf(s)) want.add(`m:${g}`);
    return want;
  }

  private syncMemberships(rt: ChildRt): void {
    const want = this.wantedMemberships(rt);
    for (const k of rt.held) if (!want.has(k)) this.membership(k, false);
    for (const k of want) if (!rt.held.has(k)) this.membership(k, true);
    rt.held = want;
  }

  private releaseMemberships(rt: ChildRt): void {
    for (const k of rt.held) this.membership(k, false);
    rt.held = new Set();
  }

  private membership(key: string, add: boolean): void {
    if (!this.datapath) return;
    if (key === 'promisc' || key === 'allmulti') this.datapath.post({ op: 'membership', kind: key, add });
    else this.datapath.post({ op: 'membership', kind: key[0] === 'u' ? 'unicast' : 'multicast', add, mac: Number(key.slice(2)) });
  }

  // ---- replication to the worker ----

  private mutate(method: 'addChild' | 'removeChild' | 'setUp' | 'setMac' | 'setMode' | 'setFlags' | 'setMtu' | 'setPromisc'
    | 'setAllmulti' | 'setGroups' | 'sourceAdd' | 'sourceDel' | 'sourceFlush' | 'setParent' | 'setBcQueueLen', ...args: unknown[]): void {
    (this.table[method] as (...a: unknown[]) => void).apply(this.table, args);
    this.datapath?.table(method, ...args);
  }

  private setField(field: 'parentUp' | 'parentCarrier' | 'parentPromisc' | 'bcCutoff', value: boolean | number): void {
    (this.table as unknown as Record<string, boolean | number>)[field] = value;
    this.datapath?.post({ op: 'field', field, value });
  }

  /** Waits until the worker has applied every change made so far. */
  async settled(): Promise<void> { await this.datapath?.settled(); }

  /** Who wants to hear of children coming and going (a running capture names its ports) */
  readonly portListeners = new Set<{ added(slot: number, name: string): void; removed(slot: number, name: string): void }>();

  /** Hands a capture ring to the worker (null: stop handing frames over); settles before returning. */
  async setCaptureRing(sab: SharedArrayBuffer | null): Promise<void> {
    this.datapath?.post({ op: 'capture', sab });
    await this.settled();
  }

  // ---- reporting and shutdown ----

  counterRows(): Array<{ name: string; slot: number; counters: Record<string, number> }> {
    const rows = [{ name: this.cfg.parent, slot: PARENT, counters: readRow(this.counters, PARENT) }];
    for (const rt of this.children.values()) rows.push({ name: rt.name, slot: rt.slot, counters: readRow(this.counters, rt.slot) });
    return rows;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.groupTimer) clearInterval(this.groupTimer);
    this.unwatchParent?.();
    const dp = this.datapath;
    if (dp) await dp.stop();
    this.datapath = null;
    for (const rt of this.children.values()) {
      rt.unwatch?.();
      if (rt.tap) { try { rt.tap.close(); } catch { /* gone */ } }
      rt.tap = null;
    }
  }
}

function ruleFailure(name: string, e: RuleError): DaemonError {
  return new DaemonError(`child ${name}: ${e.message} (${e.errno})`, e.code);
}
