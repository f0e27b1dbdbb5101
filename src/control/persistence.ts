// persistence.ts — a `--persist` daemon's side of a restart: at start-up, the state file read and reconciled with the
// run configuration (restart-plan.ts), what is gone handled, the kept TAPs found again by their mark; while running,
// the state file kept current and a heartbeat in it; at the end, the children left in place or removed.
//
// A kept child's TAP is found in its namespace (netns-refs.ts) by its alias `umacvlan:<instance>:<child>` (its name may
// have been changed from inside) and adopted only if it is a TAP owned by root; a link of that name that is not is an
// error, never taken over.

import { formatMac } from '../wire/ethernet.js';
import type { ChildConfig } from './child-config.js';
import type { RunConfig } from './config-file.js';
import { DaemonError } from './daemon-error.js';
import type { ChildTap, Host, LinkState, NetnsIdentity } from './host.js';
import type { Log } from './log.js';
import { locate, NetnsRefs } from './netns-refs.js';
import type { ChildRt, PortState } from './port-state.js';
import { planRestart, type PlannedChild } from './restart-plan.js';
import { listTombstones, removeTombstones, tombstoneDir, tombstoned } from './cni-tombstones.js';
import { defaultControlPath } from './socket-path.js';
import {
  defaultStatePath, newState, readState, removeState, tapAlias, writeState, type DaemonState, type StateChild,
  type StateHostPort,
} from './state-file.js';

/** How often the heartbeat (and whatever TAP events changed) is written: the issue's bound on the gap's precision. */
export const HEARTBEAT_MS = 1000;

export class Persistence {
  /** the namespace each child's TAP was placed in, as recorded */
  private readonly refs: NetnsRefs;
  private readonly extras = new Map<string, Record<string, unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private failed = false;
  /** children taken back from a previous daemon */
  readonly adopted = new Set<string>();
  /** an upper bound of the time without forwarding across the restart (from the last heartbeat), when one was */
  gapMs: number | null = null;
  /** the host port's entry as it is now (host-port.ts), written with the children; null: no host port */
  hostPortEntry: (() => StateHostPort) | null = null;

  private constructor(readonly path: string, readonly state: DaemonState, private readonly host: Host, private readonly log: Log) {
    this.refs = new NetnsRefs(path, state.children, host, log);
    for (const c of state.children) this.extras.set(c.name, c.extra);
  }

  /**
   * Reads the state file and settles it with the configuration. Returns null for a daemon without --persist (after
   * --forget-all, or with no state file); else the store and the children to start, kept ones first adopted.
   */
  static open(cfg: RunConfig, host: Host, log: Log, parent: LinkState): { store: Persistence; plan: PlannedChild[] } | null {
    const path = cfg.state ?? defaultStatePath(cfg.parent);
    let state = readState(path);
    if (state && !cfg.persist && !cfg.forgetAll) {
      throw new DaemonError(`state file ${path} exists: children of a persistent daemon are kept; run with --persist to ` +
        'adopt them, or --forget-all to delete them', 'UMV_ERR_STATE_EXISTS');
    }
    if (state && cfg.forgetAll) {
      log.info(`--forget-all: deleting the ${state.children.length} kept children and ${path}`);
      removeKept(host, log, state, state.children, true);
      removeState(path);
      state = null;
    } else if (state && state.parent.ifindex !== parent.ifindex) {
      log.warn(`parent ${cfg.parent} was deleted and made again while the daemon was down (ifindex ${state.parent.ifindex} → ` +
        `${parent.ifindex}): its children went with it, as the kernel's would; deleting them and ${path}`);
      removeKept(host, log, state, state.children, true);
      removeState(path);
      state = null;
    }
    if (!cfg.persist) return null;
    // CNI children deleted while no daemon ran (cni-tombstones.ts) are forgotten: their TAPs go, their entries too
    const tombDir = tombstoneDir(cfg.control ?? defaultControlPath(cfg.parent));
    const tombs = listTombstones(tombDir);
    if (!state) {
      removeTombstones(tombDir, tombs);
      const store = new Persistence(path, newState({ name: cfg.parent, ifindex: parent.ifindex }), host, log);
      return { store, plan: cfg.children.map((c) => ({ cfg: c, stored: null })) };
    }
    const dead = tombstoned(tombs, state.children);
    for (const n of dead) log.info(`child ${n}: its CNI attachment was deleted while the daemon was down; deleting it`);
    const plan = planRestart(cfg.children, state, [...(cfg.forget ?? []), ...dead]);
    for (const w of plan.warnings) log.warn(w);
    removeKept(host, log, state, plan.forgotten);
    removeTombstones(tombDir, tombs);
    const store = new Persistence(path, state, host, log);
    for (const f of plan.forgotten) store.forget(f.name);
    return { store, plan: plan.children };
  }

  /**
   * Starts one planned child through `add` (child-changes.ts addChild): with its adopted TAP when it has one, else
   * made anew. Returns null for an entry whose namespace is gone (dropped, logged).
   */
  start(pc: PlannedChild, add: (c: ChildConfig, existing?: ChildTap) => ChildRt): ChildRt | null {
    if (!pc.stored) return add(pc.cfg);
    const s = pc.stored;
    const where = locate(this.host, s.netns);
    if (!where) {
      this.log.warn(`child ${s.name}: its namespace ${s.netns!.path} no longer exists; its entry is dropped`);
      this.forget(s.name);
      return null;
    }
    const cfg: ChildConfig = { ...pc.cfg };
    if (where.ns === undefined) delete cfg.netns; else cfg.netns = where.ns;
    const links = this.host.links(where.ns);
    const alias = tapAlias(this.state.instance, s.name);
    const mine = links.find((l) => l.alias === alias);
    const clash = mine ?? links.find((l) => l.name === s.name);
    if (mine && mine.tap && mine.owner === 0) {
      const rt = add(cfg, this.host.attachTap(mine.name, where.ns));
      this.adopted.add(rt.name);
      this.log.info(`child ${s.name}: adopted ${mine.name}${where.ns ? ` in ${where.ns}` : ''}`);
      return rt;
    }
    if (clash) {
      throw new DaemonError(`child ${s.name}: the link ${clash.name}${where.ns ? ` in ${where.ns}` : ''} is not the TAP umacvlan made ` +
        `(alias "${clash.alias}", ${clash.tap ? `owner ${clash.owner}` : 'not a TAP'}): not adopted; delete it, or --forget ${s.name}`,
      'UMV_ERR_FOREIGN_TAP');
    }
    this.log.warn(`child ${s.name}: its TAP was deleted while the daemon was down; made again`);
    return add(cfg);
  }

  /** A TAP this daemon made: persistent and marked, its namespace recorded. */
  mark(rt: ChildRt): void {
    rt.tap!.persist(tapAlias(this.state.instance, rt.name));
    this.record(rt);
  }

  /** Records where a child's TAP is: the namespace path it was given, its identity, and its pin if it needs one. */
  record(rt: ChildRt): void {
    this.refs.record(rt.name, rt.netns);
  }

  /** A TAP moved to another namespace from outside: the state file follows it there, so a restart looks for it where
   *  it is. A namespace no path leads to is logged; the entry then keeps the old one. */
  moved(rt: ChildRt, id: NetnsIdentity): void {
    if (!this.refs.moved(rt.name, id)) {
      this.log.warn(`child ${rt.name}: moved to a namespace no path leads to (inode ${id.ino}); a restart looks for it where it was`);
    }
  }

  forget(name: string): void {
    this.refs.forget(name);
    this.extras.delete(name);
  }

  /** Writes the state as it is now: every child that still has its TAP, read from the table. */
  save(p: PortState, heartbeat = false): void {
    const t = p.table;
    const children: StateChild[] = [];
    for (const rt of p.children.values()) {
      if (rt.state === 'gone' || !rt.tap) continue;
      const s = rt.slot;
      children.push({
        name: rt.name, mac: t.mac[s], mode: t.mode[s] as StateChild['mode'], flags: t.flags[s], mtu: rt.ownMtu,
        macaddr: t.sourceList(s), bcQueueLen: t.bcQueueLen[s], netns: this.refs.get(rt.name),
        extra: this.extras.get(rt.name) ?? {},
        ...(rt.cfg.cni ? { cni: rt.cfg.cni } : {}),
      });
    }
    this.state.children = children;
    const hp = this.hostPortEntry?.();
    if (hp && children.some((c) => c.name === hp.name)) this.state.hostPort = hp; else delete this.state.hostPort;
    this.state.bclim = t.bcCutoff;
    this.state.parent = { name: p.parentName, ifindex: p.parent.ifindex };
    if (heartbeat) this.state.heartbeat = Date.now();
    try {
      writeState(this.path, this.state);
      this.failed = false;
    } catch (e) {
      // Forwarding goes on; a restart would adopt from the last file written. Said once per run of failures.
      if (!this.failed) this.log.warn(`state file ${this.path}: ${(e as Error).message}`);
      this.failed = true;
    }
  }

  /** Forwarding runs again: the gap is bounded by the previous daemon's last heartbeat, if it adopted anything. */
  startHeartbeat(p: PortState): void {
    const last = this.state.heartbeat;
    this.gapMs = this.adopted.size > 0 && last > 0 ? Math.max(0, Date.now() - last) : null;
    this.save(p, true);
    // The heartbeat records that forwarding ran (the bound of a restart's gap): it discovers nothing the kernel
    // announces. 1 Hz, one small file write with its fsyncs, on the main thread.
    this.timer = setInterval(() => { if (p.datapath) this.save(p, true); }, HEARTBEAT_MS);
    this.timer.unref();
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The children will be deleted: the file and the namespace pins go with them. */
  removeFile(): void {
    this.refs.clear();
    removeState(this.path);
  }
}

/**
 * Deletes the marked TAPs of `entries` wherever they still are (attach, not persistent, close). With `unpin`
 * (every entry goes: the state is dropped), their namespace pins go too.
 */
function removeKept(host: Host, log: Log, state: DaemonState, entries: readonly StateChild[], unpin = false): void {
  for (const s of entries) {
    const where = locate(host, s.netns);
    if (!where) continue;
    const alias = tapAlias(state.instance, s.name);
    const mine = host.links(where.ns).find((l) => l.alias === alias && l.tap && l.owner === 0);
    if (!mine) continue;
    try {
      const tap = host.attachTap(mine.name, where.ns);
      tap.unpersist();
      tap.close();
      log.info(`child ${s.name}: deleted (${mine.name} ${formatMac(s.mac)})`);
    } catch (e) {
      log.warn(`child ${s.name}: cannot delete ${mine.name}: ${(e as Error).message}`);
    }
  }
  if (!unpin) return;
  // After the TAPs: the pin is what keeps their namespace reachable until then.
  const pins = new Set(entries.flatMap((s) => (s.netns?.pin ? [s.netns.pin] : [])));
  for (const at of pins) {
    try { host.unpinNetns(at); } catch (e) { log.warn(`namespace pin ${at}: ${(e as Error).message}`); }
  }
}
