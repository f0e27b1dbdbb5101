// netns-refs.ts — where each kept child's TAP lives, as a `--persist` daemon's state file records it: the namespace's
// path and its identity (device, inode), so that a restart finds the TAP there again, and for a namespace named only
// by a process's /proc path, a pin that keeps the namespace alive after its process ends.
//
// A path is checked by identity before it is trusted: a name under /run/netns may have been deleted and made again,
// a /proc path reused by another process. A path that no longer leads there is looked for among /proc/*/ns/net.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Host, NetnsIdentity } from './host.js';
import type { Log } from './log.js';
import type { NetnsRef, StateChild } from './state-file.js';

/** Where a kept entry's namespace is now: `ns` undefined is the daemon's own; null: it no longer exists. */
export function locate(host: Host, ref: NetnsRef | null): { ns: string | undefined } | null {
  if (ref === null) return { ns: undefined };
  for (const path of [ref.path, ...(ref.pin ? [ref.pin] : [])]) {
    const id = host.netnsIdentity(path);
    if (id && id.dev === ref.dev && id.ino === ref.ino) return { ns: path };
  }
  const found = host.findNetns(ref);
  return found === null ? null : { ns: found };
}

/** Each child's namespace as the state file will say (null: the daemon's own), and the pins they need. */
export class NetnsRefs {
  private readonly refs = new Map<string, NetnsRef | null>();
  /** where /proc/PID/ns/net namespaces are pinned while a child lives in them: netns/<inode> beside the state file */
  private readonly pinDir: string;

  constructor(statePath: string, children: readonly StateChild[], private readonly host: Host, private readonly log: Log) {
    this.pinDir = join(dirname(statePath), 'netns');
    for (const c of children) this.refs.set(c.name, c.netns);
  }

  get(name: string): NetnsRef | null {
    return this.refs.get(name) ?? null;
  }

  /** A child's TAP is in `netns` (null: the daemon's own namespace). */
  record(name: string, netns: string | null): void {
    const id = netns ? this.host.netnsIdentity(netns) : null;
    // The same namespace as recorded (adopted through its pin or a /proc path): the entry keeps its given path and pin.
    const had = this.refs.get(name);
    if (had && id && had.dev === id.dev && had.ino === id.ino) return;
    this.refs.set(name, netns && id ? this.pinned(netns, id) : null);
  }

  /** A child's TAP moved to the namespace `id`; false when no path leads there (the entry keeps the old one). */
  moved(name: string, id: NetnsIdentity): boolean {
    const path = this.host.findNetns(id);
    if (path === null) return false;
    const before = this.pins();
    this.refs.set(name, this.pinned(path, id));
    this.unpinUnused(before);
    return true;
  }

  forget(name: string): void {
    const before = this.pins();
    this.refs.delete(name);
    this.unpinUnused(before);
  }

  /** Every child goes: so do the pins. */
  clear(): void {
    const before = this.pins();
    this.refs.clear();
    this.unpinUnused(before);
  }

  /**
   * A namespace named by a process's /proc path ends with that process, and a kept TAP with it: while a child lives
   * there it is bind-mounted at netns/<inode>, recorded as the entry's `pin`.
   */
  private pinned(netns: string, id: { dev: number; ino: number }): NetnsRef {
    if (!/^\/proc\/[^/]+\/ns\/net$/.test(netns)) return { path: netns, ...id };
    const at = join(this.pinDir, String(id.ino));
    if (![...this.refs.values()].some((r) => r?.pin === at)) {
      mkdirSync(this.pinDir, { recursive: true, mode: 0o700 });
      try { this.host.pinNetns(netns, at); } catch (e) {
        this.log.warn(`namespace ${netns}: cannot pin it at ${at} (${(e as Error).message}); it ends with its process`);
        return { path: netns, ...id };
      }
    }
    return { path: netns, ...id, pin: at };
  }

  /** Releases the pins no child records any more. */
  private unpinUnused(before: ReadonlySet<string>): void {
    const used = new Set([...this.refs.values()].map((r) => r?.pin));
    for (const at of before) {
      if (used.has(at)) continue;
      try { this.host.unpinNetns(at); } catch (e) { this.log.warn(`namespace pin ${at}: ${(e as Error).message}`); }
    }
  }

  private pins(): Set<string> {
    return new Set([...this.refs.values()].flatMap((r) => (r?.pin ? [r.pin] : [])));
  }
}
