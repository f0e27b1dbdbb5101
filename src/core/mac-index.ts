// MacIndex: MAC → small non-negative int, the one hash table behind the PortTable's address, source and group
// tables. Lookups run per frame, so they read typed arrays only and allocate nothing.

/*
 * Open addressing: linear probing over a power-of-two table at most half full, so every probe ends at an empty
 * key; deletion shifts the following run back (no tombstones, so lookups never slow down after churn). Keys are
 * stored and compared as (hi 16 bits, lo 32 bits signed) in two Int32Arrays, hi = -1 marking a free bucket: a 48-bit
 * MAC as one double would be boxed (allocated) each time it crosses a call V8 does not inline, and the hot path
 * makes such calls per frame. Growth allocates new arrays; that is control-path work, the hot path only reads.
 */

import { macHi, macLo } from '../wire/ethernet.js';

/**
 * A 32-bit mix of a MAC given as (hi 16 bits, lo 32 bits signed). Integer ops only; the pair form keeps every value
 * a small integer, so nothing on the hot path is boxed.
 */
export function macHashHL(hi: number, lo: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}

/** The same hash for a MAC held as a number (control path) */
export const macHash = (mac: number): number => macHashHL(macHi(mac), macLo(mac)) >>> 0;

const EMPTY = -1; // keyHi of a free bucket: a real hi is 0..0xffff

/** MAC → non-negative int. findHL() allocates nothing; set()/delete() may grow the arrays. */
export class MacIndex {
  keyHi: Int32Array;
  keyLo: Int32Array;
  vals: Int32Array;
  mask: number;
  size = 0;

  constructor(minEntries = 8) {
    let cap = 16;
    while (cap < minEntries * 2) cap *= 2;
    this.keyHi = new Int32Array(cap).fill(EMPTY);
    this.keyLo = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Hot path: the value for MAC (hi, lo), or -1 */
  findHL(hi: number, lo: number): number {
    const keyHi = this.keyHi;
    const keyLo = this.keyLo;
    const mask = this.mask;
    for (let i = macHashHL(hi, lo) & mask; ; i = (i + 1) & mask) {
      const kh = keyHi[i];
      if (kh === hi && keyLo[i] === lo) return this.vals[i];
      if (kh === EMPTY) return -1;
    }
  }

  find(mac: number): number {
    return this.findHL(macHi(mac), macLo(mac));
  }

  set(mac: number, val: number): void {
    if ((this.size + 1) * 2 > this.keyHi.length) this.rehash(this.keyHi.length * 2);
    const hi = macHi(mac);
    const lo = macLo(mac);
    const mask = this.mask;
    let i = macHashHL(hi, lo) & mask;
    for (; this.keyHi[i] !== EMPTY; i = (i + 1) & mask) {
      if (this.keyHi[i] === hi && this.keyLo[i] === lo) { this.vals[i] = val; return; }
    }
    this.keyHi[i] = hi;
    this.keyLo[i] = lo;
    this.vals[i] = val;
    this.size++;
  }

  delete(mac: number): boolean {
    const { keyHi, keyLo, vals, mask } = this;
    const hi = macHi(mac);
    const lo = macLo(mac);
    let i = macHashHL(hi, lo) & mask;
    for (; !(keyHi[i] === hi && keyLo[i] === lo); i = (i + 1) & mask) if (keyHi[i] === EMPTY) return false;
    // Backward shift: walk the run after the hole; an entry whose home is not cyclically in (hole, j] moves up.
    for (let j = (i + 1) & mask; keyHi[j] !== EMPTY; j = (j + 1) & mask) {
      const home = macHashHL(keyHi[j], keyLo[j]) & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) { keyHi[i] = keyHi[j]; keyLo[i] = keyLo[j]; vals[i] = vals[j]; i = j; }
    }
    keyHi[i] = EMPTY;
    this.size--;
    return true;
  }

  /** Every (MAC, value) pair, for tests and rebuilds */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.keyHi.length; i++) {
      if (this.keyHi[i] !== EMPTY) out.push([this.keyHi[i] * 0x1_0000_0000 + (this.keyLo[i] >>> 0), this.vals[i]]);
    }
    return out;
  }

  private rehash(cap: number): void {
    const old = this.entries();
    this.keyHi = new Int32Array(cap).fill(EMPTY);
    this.keyLo = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (const [mac, val] of old) this.set(mac, val);
  }
}

