// SourceTable: the allow-lists of SOURCE-mode children, indexed by source MAC, as decide() walks them per frame
// (macvlan_forward_source). Owned by a PortTable, which checks the slot before every change.

/*
 * Source MAC → first entry of a chain (`index`). Entries (child, next, mac) live in parallel typed arrays and are
 * kept sorted by child slot inside a chain, so source copies come out in slot order whatever order the adds came
 * in. Entries survive the child going DOWN: the kernel keeps them, and NODST of a DOWN child still consumes the
 * frame (docs/forwarding.md SR4). The PortTable flushes them when the child leaves SOURCE mode or is removed.
 *
 * Freed entries are chained through `next` into a free list and reused; child 0 (the parent, never a source
 * child) marks a free entry for the scans in flush() and list().
 */

import { grown } from './grown.js';
import { MacIndex } from './mac-index.js';

export class SourceTable {
  /** source MAC → first entry */
  readonly index = new MacIndex(16);
  /** per entry: the child slot that lists the MAC, 0 when the entry is free */
  child = new Int16Array(32);
  /** per entry: the next entry for the same MAC, -1 at the end of the chain */
  next = new Int32Array(32);
  /** per entry: the listed MAC */
  mac = new Float64Array(32);

  /** per slot: how many MACs it lists */
  private readonly perChild: Int32Array;
  private free = -1;
  private top = 0;

  constructor(slots: number) {
    this.perChild = new Int32Array(slots);
  }

  /** Hot path: the first entry for source MAC (hi, lo), or -1 */
  headHL(hi: number, lo: number): number {
    return this.index.size === 0 ? -1 : this.index.findHL(hi, lo);
  }

  head(mac: number): number {
    return this.index.size === 0 ? -1 : this.index.find(mac);
  }

  /** Listing a MAC twice is a no-op, as the kernel's ADD (docs/forwarding.md S8) */
  add(i: number, mac: number): void {
    let prev = -1;
    let e = this.index.find(mac);
    for (; e >= 0 && this.child[e] <= i; e = this.next[e]) {
      if (this.child[e] === i) return;
      prev = e;
    }
    const n = this.newEntry();
    this.child[n] = i;
    this.mac[n] = mac;
    this.next[n] = e;
    if (prev < 0) this.index.set(mac, n);
    else this.next[prev] = n;
    this.perChild[i]++;
  }

  del(i: number, mac: number): void {
    let prev = -1;
    for (let e = this.index.find(mac); e >= 0; prev = e, e = this.next[e]) {
      if (this.child[e] !== i) continue;
      const next = this.next[e];
      if (prev >= 0) this.next[prev] = next;
      else if (next >= 0) this.index.set(mac, next);
      else this.index.delete(mac);
      this.freeEntry(e);
      this.perChild[i]--;
      return;
    }
  }

  flush(i: number): void {
    for (let e = 0; e < this.top && this.perChild[i] > 0; e++) {
      if (this.child[e] === i) this.del(i, this.mac[e]);
    }
  }

  /** The MACs child i lists, ascending */
  list(i: number): number[] {
    const out: number[] = [];
    for (let e = 0; e < this.top; e++) if (this.child[e] === i) out.push(this.mac[e]);
    return out.sort((a, b) => a - b);
  }

  count(i: number): number {
    return this.perChild[i];
  }

  private newEntry(): number {
    if (this.free >= 0) {
      const e = this.free;
      this.free = this.next[e];
      return e;
    }
    if (this.top === this.child.length) {
      const cap = this.child.length * 2;
      this.child = grown(this.child, cap);
      this.next = grown(this.next, cap);
      this.mac = grown(this.mac, cap);
    }
    return this.top++;
  }

  private freeEntry(e: number): void {
    this.child[e] = 0;
    this.mac[e] = 0;
    this.next[e] = this.free;
    this.free = e;
  }
}
