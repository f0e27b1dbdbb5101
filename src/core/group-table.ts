// GroupTable: the children's link-layer multicast lists, indexed by group MAC, as decide() reads them per frame
// (the port filters and the flood loop). Owned by a PortTable, which checks the slot before every change.

/*
 * Group MAC → group id (`index`). Per id: a membership bitset over the slots (exact: the kernel's 256-bucket hash
 * is a deviation we do not copy), a member count (to recycle the id when nobody lists the group any more) and
 * `held` = how many *UP* members list it. `held` is the kernel's sync count `ha->synced` on the parent's multicast
 * list: a child's list is synced into the parent's only while the child is UP, so the PortTable calls upChanged()
 * from setUp. The port filters compare it with bc_cutoff (docs/forwarding.md Q1–Q3).
 *
 * Ids are dense (0..top-1), freed ids are reused first, and the per-id arrays double when they run out.
 */

import { grown } from './grown.js';
import { MacIndex } from './mac-index.js';

export class GroupTable {
  /** group MAC → group id */
  readonly index = new MacIndex(16);
  /** Uint32 words per group in `bits` */
  readonly words: number;
  /** per id: `words` words of membership bits, bit j = slot j */
  bits: Uint32Array;
  /** per id: how many slots list it (0 = the id is free) */
  members = new Int32Array(16);
  /** per id: how many UP slots list it */
  held = new Int32Array(16);
  /** per id: the group MAC */
  mac = new Float64Array(16);

  private readonly free: number[] = [];
  private top = 0;

  constructor(slots: number) {
    this.words = (slots + 31) >>> 5;
    this.bits = new Uint32Array(16 * this.words);
  }

  /** Group id of a group MAC some slot lists (UP or not), or -1 */
  of(mac: number): number {
    return this.index.size === 0 ? -1 : this.index.find(mac);
  }

  /** Hot path: of() for a MAC as (hi, lo) */
  ofHL(hi: number, lo: number): number {
    return this.index.size === 0 ? -1 : this.index.findHL(hi, lo);
  }

  isMember(g: number, j: number): boolean {
    return ((this.bits[g * this.words + (j >>> 5)] >>> (j & 31)) & 1) === 1;
  }

  /** How many UP slots list `mac` */
  heldOf(mac: number): number {
    const g = this.of(mac);
    return g < 0 ? 0 : this.held[g];
  }

  join(i: number, mac: number, up: boolean): void {
    let g = this.index.find(mac);
    if (g < 0) g = this.newGroup(mac);
    if (this.isMember(g, i)) return;
    this.bits[g * this.words + (i >>> 5)] |= 1 << (i & 31);
    this.members[g]++;
    if (up) this.held[g]++;
  }

  leave(i: number, mac: number, up: boolean): void {
    const g = this.index.find(mac);
    if (g < 0 || !this.isMember(g, i)) return;
    this.bits[g * this.words + (i >>> 5)] &= ~(1 << (i & 31));
    this.members[g]--;
    if (up) this.held[g]--;
    if (this.members[g] === 0) {
      // Nobody lists it any more: forget the MAC so of() answers -1 and the id can be reused
      this.index.delete(mac);
      this.held[g] = 0;
      this.mac[g] = 0;
      this.free.push(g);
    }
  }

  /** Slot i went UP (`up`) or DOWN: its groups' held counts follow */
  upChanged(i: number, up: boolean): void {
    const d = up ? 1 : -1;
    for (let g = 0; g < this.top; g++) if (this.members[g] > 0 && this.isMember(g, i)) this.held[g] += d;
  }

  /** The groups slot i lists, ascending */
  listOf(i: number): number[] {
    const out: number[] = [];
    for (let g = 0; g < this.top; g++) if (this.members[g] > 0 && this.isMember(g, i)) out.push(this.mac[g]);
    return out.sort((a, b) => a - b);
  }

  private newGroup(mac: number): number {
    let g = this.free.pop();
    if (g === undefined) {
      g = this.top++;
      if (g >= this.members.length) this.grow(this.members.length * 2);
    }
    this.bits.fill(0, g * this.words, (g + 1) * this.words);
    this.members[g] = 0;
    this.held[g] = 0;
    this.mac[g] = mac;
    this.index.set(mac, g);
    return g;
  }

  private grow(cap: number): void {
    this.bits = grown(this.bits, cap * this.words);
    this.members = grown(this.members, cap);
    this.held = grown(this.held, cap);
    this.mac = grown(this.mac, cap);
  }
}
