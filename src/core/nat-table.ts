// The MAC-NAT address table: IPv4/IPv6 address → the child that owns it. Part of the PortTable, written only by its
// mutators (the control side decides who owns what; the worker replays), read per frame by nat-decide.ts.
//
// Keys are four int32 words of an IPv6 address; an IPv4 address is held IPv4-mapped (::ffff:a.b.c.d), so one
// table and one probe loop serve both. Open addressing with linear probing over typed arrays, deletion by backward
// shift (no tombstones), a fixed capacity: a lookup never allocates and never degrades with churn.

/** Addresses the table holds at most (the control side refuses more) */
export const NAT_MAX_ADDRESSES = 8192;
const CAP = NAT_MAX_ADDRESSES * 2;
const MASK = CAP - 1;
/** Word 2 of an IPv4-mapped address */
export const V4_MAPPED = 0xffff;

function hash(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w3 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w2 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ w1 ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ w0 ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & MASK;
}

const be32 = (b: Uint8Array, p: number): number => (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];

export class NatTable {
  /** four words per entry */
  readonly key = new Int32Array(CAP * 4);
  /** owning child per entry; 0 = empty */
  readonly slot = new Int16Array(CAP);
  /** worker-local: when (seconds, the worker's clock) it last told the control side an owner still uses it */
  readonly seen = new Uint32Array(CAP);
  count = 0;

  /** Entry index of the address, or -1 */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const key = this.key;
    const slot = this.slot;
    for (let i = hash(w0, w1, w2, w3); ; i = (i + 1) & MASK) {
      if (slot[i] === 0) return -1;
      const k = i * 4;
      if (key[k] === w0 && key[k + 1] === w1 && key[k + 2] === w2 && key[k + 3] === w3) return i;
    }
  }

  /** Entry of the IPv4 address at b[p..p+4), or -1 */
  find4(b: Uint8Array, p: number): number {
    return this.find(0, 0, V4_MAPPED, be32(b, p));
  }

  /** Entry of the IPv6 address at b[p..p+16), or -1 */
  find6(b: Uint8Array, p: number): number {
    return this.find(be32(b, p), be32(b, p + 4), be32(b, p + 8), be32(b, p + 12));
  }

  /** Owner of entry `e` (from find), or -1 */
  ownerOf(e: number): number { return e < 0 ? -1 : this.slot[e]; }

  /** Sets (or moves) an address's owner. Mutator helper: the caller checks the slot and the bound. */
  set(w0: number, w1: number, w2: number, w3: number, owner: number): void {
    const e = this.find(w0, w1, w2, w3);
    if (e >= 0) { this.slot[e] = owner; this.seen[e] = 0; return; }
    if (this.count >= NAT_MAX_ADDRESSES) return;
    let i = hash(w0, w1, w2, w3);
    while (this.slot[i] !== 0) i = (i + 1) & MASK;
    const k = i * 4;
    this.key[k] = w0; this.key[k + 1] = w1; this.key[k + 2] = w2; this.key[k + 3] = w3;
    this.slot[i] = owner;
    this.seen[i] = 0;
    this.count++;
  }

  delete(w0: number, w1: number, w2: number, w3: number): void {
    const e = this.find(w0, w1, w2, w3);
    if (e >= 0) this.removeAt(e);
  }

  /** Forgets every address of `owner` (a child removed) */
  forgetSlot(owner: number): void {
    for (let i = 0; i < CAP;) {
      if (this.slot[i] === owner) this.removeAt(i);  // the shift may bring another entry into i: look again
      else i++;
    }
  }

  /** Every (words, owner): control path and snapshots only */
  entries(): Array<{ words: [number, number, number, number]; slot: number }> {
    const out: Array<{ words: [number, number, number, number]; slot: number }> = [];
    for (let i = 0; i < CAP; i++) {
      if (this.slot[i] === 0) continue;
      const k = i * 4;
      out.push({ words: [this.key[k], this.key[k + 1], this.key[k + 2], this.key[k + 3]], slot: this.slot[i] });
    }
    return out;
  }

  /** Backward-shift deletion: later entries of the same run move up so no probe chain is broken */
  private removeAt(e: number): void {
    let hole = e;
    this.slot[hole] = 0;
    this.count--;
    for (let j = (hole + 1) & MASK; this.slot[j] !== 0; j = (j + 1) & MASK) {
      const k = j * 4;
      const home = hash(this.key[k], this.key[k + 1], this.key[k + 2], this.key[k + 3]);
      // the entry at j may fill the hole when its home is not in (hole, j] cyclically
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (between) continue;
      const h = hole * 4;
      this.key[h] = this.key[k]; this.key[h + 1] = this.key[k + 1]; this.key[h + 2] = this.key[k + 2];
      this.key[h + 3] = this.key[k + 3];
      this.slot[hole] = this.slot[j];
      this.seen[hole] = this.seen[j];
      this.slot[j] = 0;
      hole = j;
    }
  }
}
