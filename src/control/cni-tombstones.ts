// cni-tombstones.ts — a DEL that found no daemon leaves a tombstone (native/cni-shim-del.c) in cni-tombstones/ beside
// the control socket. A --persist daemon starting up drops the kept children that have one (their TAP deleted, their
// entry gone) and removes the files; an ADD of the same (container, interface) removes a stale one first, so that
// the new child is not taken for the deleted one at the next restart.

import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TOMBSTONES, tombstoneName } from './cni-attachment.js';
import type { StateChild } from './state-file.js';

export const tombstoneDir = (controlPath: string): string => join(dirname(controlPath), TOMBSTONES);

/** Which kept children a tombstone in `names` (the directory's file names) asks to drop. Pure. */
export function tombstoned(names: readonly string[], children: readonly StateChild[]): string[] {
  const there = new Set(names);
  return children.filter((c) => c.cni && there.has(tombstoneName(c.cni.containerId, c.cni.ifname))).map((c) => c.name);
}

/** The file names in the tombstone directory (none when it does not exist). */
export function listTombstones(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/** Removes the named tombstones (all of them after a start: they have done their work). */
export function removeTombstones(dir: string, names: readonly string[]): void {
  for (const n of names) rmSync(join(dir, n), { force: true });
}

export function clearTombstone(dir: string, containerId: string, ifname: string): void {
  removeTombstones(dir, [tombstoneName(containerId, ifname)]);
}
