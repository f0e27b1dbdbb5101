// PortTable: the state of one macvlan port (the parent and its children) as typed arrays, plus the derived tables
// the hot path reads: the address table, the source table and the multicast group sets.

/*
 * Theory of operation
 *
 * Slot 0 is the parent, slots 1..maxChildren are children. Everything decide() reads is a typed array or a number,
 * so a decision never allocates and never follows a pointer into a JS object it did not already hold.
 *
 * Primary state is what a control request writes: used, mac, mode, flags, up, promisc, allmulti, mtu, bcQueueLen,
 * each child's multicast list and each child's source allow-list, and the parent's fields. Everything else is
 * derived and is rebuilt or patched by the mutator that changed its inputs, never by the reader:
 *
 * - Address table (`addr`, MAC → slot). Holds exactly the children that are used && up, like the kernel's
 *   vlan_hash, which macvlan_open fills and macvlan_stop empties: a DOWN child's MAC is "unknown" to forwarding.
 *   rules.ts refuses a second UP child with the same MAC (EADDRINUSE), but the mutators do not validate, so the
 *   table must still be deterministic when that happens: the lowest slot wins. That is what a plain scan over the
 *   slots would answer, so an independent reference model agrees with us even on states the rules forbid.
 * - upList/upCount: the used && up children in ascending slot order. Floods walk this list instead of all 4096
 *   slots, and ascending order makes egress order a function of the table alone.
 * - Source table (`src`, source MAC → first entry of a chain). Entries (srcChild, srcNext) are kept sorted by
 *   child slot inside a chain, so source copies come out in slot order whatever order the adds came in. Entries
 *   survive the child going DOWN (the kernel keeps them; NODST of a DOWN child still consumes, forwarding.md SR4).
 *   They are flushed when the child leaves SOURCE mode or is removed.
 * - Groups (`grp`, group MAC → group id). Per id: a membership bitset over slots (exact, the kernel's 256-bucket
 *   hash is a deviation we do not copy), a member count (to recycle the id when nobody holds the group) and
 *   grpHeld = how many *UP* members hold it. grpHeld is the kernel's sync count `ha->synced` on the parent's
 *   multicast list: a child's list is synced only while it is UP, which is why setUp adjusts it.
 *
 * Open addressing: linear probing over a power-of-two table at most half full, so every probe ends at an empty
 * key; deletion shifts the following run back (no tombstones, so lookups never slow down after churn). Keys are
 * stored and compared as (hi 16 bits, lo 32 bits signed) in two Int32Arrays, hi = -1 marking a free bucket: a 48-bit
 * MAC as one double would be boxed (allocated) each time it crosses a call V8 does not inline, and the hot path
 * makes such calls per frame. Growth allocates new arrays; that is control-path work, the hot path only reads.
 *
 * Kernel device events are applied by setParent, because a caller that changed the parent and forgot them would
 * leave the table describing a state the kernel cannot be in: a lower parent MTU clamps larger children
 * (CHANGEMTU), a new parent MAC is copied into a passthru child (CHANGEADDR).
 *
 * A worker receives the table as a snapshot (primary state only, as typed arrays that postMessage clones) and
 * rebuilds the derived tables with the same mutators, so there is one code path that establishes the invariants.
 */

import { DEFAULT_BC_CUTOFF, DEFAULT_BC_QUEUE_LEN, MAX_CHILDREN, Mode } from './constants.js';
import type { ModeBit } from './constants.js';
import type { ChildSpec, PortTableApi } from './contract.js';
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

/** What setParent may change. Absent fields stay as they are. */
export interface ParentState {
  mac?: number;
  mtu?: number;
  up?: boolean;
  carrier?: boolean;
  promisc?: boolean;
}

/** The primary state as plain typed arrays and numbers: what postMessage carries to a worker. */
export interface PortTableSnapshot {
  maxChildren: number;
  used: Uint8Array;
  mac: Float64Array;
  mode: Uint8Array;
  flags: Uint8Array;
  up: Uint8Array;
  promisc: Uint8Array;
  allmulti: Uint8Array;
  mtu: Int32Array;
  bcQueueLen: Int32Array;
  parentUp: boolean;
  parentCarrier: boolean;
  parentPromisc: boolean;
  bcCutoff: number;
  /** (slot, group MAC) pairs of every child's multicast list */
  groupSlot: Int16Array;
  groupMac: Float64Array;
  /** (slot, source MAC) pairs of every child's allow-list */
  sourceSlot: Int16Array;
  sourceMac: Float64Array;
}

const DEFAULT_PARENT_MTU = 1500;

export class PortTable implements PortTableApi {
  readonly maxChildren: number;
  readonly used: Uint8Array;
  readonly mac: Float64Array;
  readonly mode: Uint8Array;
  readonly flags: Uint8Array;
  readonly up: Uint8Array;
  readonly promisc: Uint8Array;
  readonly allmulti: Uint8Array;
  readonly mtu: Int32Array;
  readonly bcQueueLen: Int32Array;

  parentUp = true;
  parentCarrier = true;
  parentPromisc = false;
  bcCutoff = DEFAULT_BC_CUTOFF;

  // Derived state. Public so decide() can read the arrays directly; written only by the mutators below.
  /** MAC → slot of the lowest used && up child with that MAC */
  readonly addr: MacIndex;
  /** used && up children, ascending; the first upCount entries are valid */
  readonly upList: Int16Array;
  upCount = 0;
  /** source MAC → first entry; entries chained by srcNext (-1 ends), sorted by srcChild */
  readonly src: MacIndex;
  srcChild: Int16Array;
  srcNext: Int32Array;
  srcMac: Float64Array;
  /** group MAC → group id */
  readonly grp: MacIndex;
  /** Uint32 words per group in grpBits */
  readonly grpWords: number;
  grpBits: Uint32Array;
  grpMembers: Int32Array;
  grpHeld: Int32Array;
  grpMac: Float64Array;

  private passthruSlot = 0;
  private bcLimit = 0;
  private srcFree = -1;
  private srcTop = 0;
  private readonly srcCount: Int32Array;
  private grpFree: number[] = [];
  private grpTop = 0;

  constructor(maxChildren: number = MAX_CHILDREN) {
    if (!Number.isInteger(maxChildren) || maxChildren < 1 || maxChildren > 32767) {
      throw new RangeError(`maxChildren must be an integer in 1..32767, got ${maxChildren}`);
    }
    this.maxChildren = maxChildren;
    const n = maxChildren + 1;
    this.used = new Uint8Array(n);
    this.mac = new Float64Array(n);
    this.mode = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.up = new Uint8Array(n);
    this.promisc = new Uint8Array(n);
    this.allmulti = new Uint8Array(n);
    this.mtu = new Int32Array(n);
    this.bcQueueLen = new Int32Array(n);
    this.mtu[0] = DEFAULT_PARENT_MTU;
    this.addr = new MacIndex(n);
    this.upList = new Int16Array(n);
    this.src = new MacIndex(16);
    this.srcChild = new Int16Array(32);
    this.srcNext = new Int32Array(32);
    this.srcMac = new Float64Array(32);
    this.srcCount = new Int32Array(n);
    this.grp = new MacIndex(16);
    this.grpWords = (n + 31) >>> 5;
    this.grpBits = new Uint32Array(16 * this.grpWords);
    this.grpMembers = new Int32Array(16);
    this.grpHeld = new Int32Array(16);
    this.grpMac = new Float64Array(16);
  }

  get passthru(): number { return this.passthruSlot; }
  get bcQueueLimit(): number { return this.bcLimit; }

  // ---- hot-path reads (no allocation) ----

  lookup(mac: number): number {
    return this.addr.find(mac);
  }

  /** lookup() for a MAC as (hi, lo) (wire/ethernet.ts macHiAt/macLoAt): what decide() calls */
  lookupHL(hi: number, lo: number): number {
    return this.addr.findHL(hi, lo);
  }

  /** Group id of a group MAC some child holds (UP or not), or -1 */
  groupOf(mac: number): number {
    return this.grp.size === 0 ? -1 : this.grp.find(mac);
  }

  groupOfHL(hi: number, lo: number): number {
    return this.grp.size === 0 ? -1 : this.grp.findHL(hi, lo);
  }

  /** Is slot j in group g's membership set */
  isMember(g: number, j: number): boolean {
    return ((this.grpBits[g * this.grpWords + (j >>> 5)] >>> (j & 31)) & 1) === 1;
  }

  /** held(D): how many UP children list D */
  held(mac: number): number {
    const g = this.groupOf(mac);
    return g < 0 ? 0 : this.grpHeld[g];
  }

  /** First source-table entry for a source MAC, or -1; follow srcNext. */
  sourceHead(mac: number): number {
    return this.src.size === 0 ? -1 : this.src.find(mac);
  }

  sourceHeadHL(hi: number, lo: number): number {
    return this.src.size === 0 ? -1 : this.src.findHL(hi, lo);
  }

  freeSlot(): number {
    for (let i = 1; i <= this.maxChildren; i++) if (this.used[i] === 0) return i;
    return -1;
  }

  // ---- control path ----

  setParent(p: ParentState): void {
    if (p.mtu !== undefined) {
      this.mtu[0] = p.mtu;
      // CHANGEMTU: children above the new parent MTU are lowered to it; a raise leaves them (lifecycle.md §5, L13)
      for (let i = 1; i <= this.maxChildren; i++) if (this.used[i] === 1 && this.mtu[i] > p.mtu) this.mtu[i] = p.mtu;
    }
    if (p.mac !== undefined) {
      this.mac[0] = p.mac;
      // CHANGEADDR on a passthru port: the child follows the parent (lifecycle.md §3 A8)
      if (this.passthruSlot !== 0) this.setMac(this.passthruSlot, p.mac);
    }
    if (p.up !== undefined) {
      this.parentUp = p.up;
      // An administratively down device has no carrier; a caller may still say so explicitly.
      if (!p.up && p.carrier === undefined) this.parentCarrier = false;
    }
    if (p.carrier !== undefined) this.parentCarrier = p.carrier;
    if (p.promisc !== undefined) this.parentPromisc = p.promisc;
  }

  addChild(i: number, spec: ChildSpec): void {
    this.slot(i);
    if (this.used[i] === 1) throw new RangeError(`slot ${i} is already in use`);
    this.used[i] = 1;
    this.mac[i] = spec.mac;
    this.mode[i] = spec.mode;
    this.flags[i] = spec.flags;
    this.up[i] = 0;
    this.promisc[i] = 0;
    this.allmulti[i] = 0;
    this.mtu[i] = spec.mtu;
    this.bcQueueLen[i] = spec.bcQueueLen ?? DEFAULT_BC_QUEUE_LEN;
    this.recomputePort();
  }

  removeChild(i: number): void {
    this.child(i);
    this.setUp(i, false);
    for (const g of this.groupsOf(i)) this.leaveGroup(i, g);
    this.sourceFlush(i);
    this.used[i] = 0;
    this.mac[i] = 0;
    this.mode[i] = 0;
    this.flags[i] = 0;
    this.promisc[i] = 0;
    this.allmulti[i] = 0;
    this.mtu[i] = 0;
    this.bcQueueLen[i] = 0;
    this.recomputePort();
  }

  setUp(i: number, on: boolean): void {
    this.child(i);
    const v = on ? 1 : 0;
    if (this.up[i] === v) return;
    if (on) {
      this.up[i] = 1;
      this.addrEnter(i, this.mac[i]);
    } else {
      this.addrLeave(i, this.mac[i]);
      this.up[i] = 0;
    }
    // The child's list is synced into the parent's only while it is UP (forwarding.md §3.1 "held")
    const d = on ? 1 : -1;
    for (let g = 0; g < this.grpTop; g++) if (this.grpMembers[g] > 0 && this.isMember(g, i)) this.grpHeld[g] += d;
    this.rebuildUpList();
  }

  setMac(i: number, mac: number): void {
    this.child(i);
    if (this.mac[i] === mac) return;
    if (this.up[i] === 1) this.addrLeave(i, this.mac[i]);
    this.mac[i] = mac;
    if (this.up[i] === 1) this.addrEnter(i, mac);
  }

  setMode(i: number, mode: ModeBit): void {
    this.child(i);
    // Leaving SOURCE flushes the allow-list (macvlan_changelink step 1)
    if (this.mode[i] === Mode.SOURCE && mode !== Mode.SOURCE) this.sourceFlush(i);
    this.mode[i] = mode;
    this.recomputePort();
  }

  setFlags(i: number, flags: number): void { this.child(i); this.flags[i] = flags; }
  setMtu(i: number, mtu: number): void { this.child(i); this.mtu[i] = mtu; }
  setPromisc(i: number, on: boolean): void { this.child(i); this.promisc[i] = on ? 1 : 0; }
  setAllmulti(i: number, on: boolean): void { this.child(i); this.allmulti[i] = on ? 1 : 0; }

  setBcQueueLen(i: number, n: number): void {
    this.child(i);
    this.bcQueueLen[i] = n;
    this.recomputePort();
  }

  setGroups(i: number, groups: readonly number[]): void {
    this.child(i);
    const want = new Set(groups);
    for (const g of this.groupsOf(i)) if (!want.has(g)) this.leaveGroup(i, g);
    for (const g of want) this.joinGroup(i, g);
  }

  joinGroup(i: number, group: number): void {
    this.child(i);
    let g = this.grp.find(group);
    if (g < 0) g = this.newGroup(group);
    if (this.isMember(g, i)) return;
    this.grpBits[g * this.grpWords + (i >>> 5)] |= 1 << (i & 31);
    this.grpMembers[g]++;
    if (this.up[i] === 1) this.grpHeld[g]++;
  }

  leaveGroup(i: number, group: number): void {
    this.child(i);
    const g = this.grp.find(group);
    if (g < 0 || !this.isMember(g, i)) return;
    this.grpBits[g * this.grpWords + (i >>> 5)] &= ~(1 << (i & 31));
    this.grpMembers[g]--;
    if (this.up[i] === 1) this.grpHeld[g]--;
    if (this.grpMembers[g] === 0) {
      // Nobody lists it any more: forget the MAC so groupOf() answers -1 and the id can be reused
      this.grp.delete(group);
      this.grpHeld[g] = 0;
      this.grpMac[g] = 0;
      this.grpFree.push(g);
    }
  }

  /** The child's multicast list, ascending */
  groupsOf(i: number): number[] {
    const out: number[] = [];
    for (let g = 0; g < this.grpTop; g++) if (this.grpMembers[g] > 0 && this.isMember(g, i)) out.push(this.grpMac[g]);
    return out.sort((a, b) => a - b);
  }

  sourceAdd(i: number, mac: number): void {
    this.child(i);
    const head = this.src.find(mac);
    let prev = -1;
    let e = head;
    for (; e >= 0 && this.srcChild[e] <= i; e = this.srcNext[e]) {
      if (this.srcChild[e] === i) return; // already listed: a no-op (forwarding.md §4.1 ADD)
      prev = e;
    }
    const n = this.newEntry();
    this.srcChild[n] = i;
    this.srcMac[n] = mac;
    this.srcNext[n] = e;
    if (prev < 0) this.src.set(mac, n);
    else this.srcNext[prev] = n;
    this.srcCount[i]++;
  }

  sourceDel(i: number, mac: number): void {
    this.child(i);
    let prev = -1;
    for (let e = this.src.find(mac); e >= 0; prev = e, e = this.srcNext[e]) {
      if (this.srcChild[e] !== i) continue;
      const next = this.srcNext[e];
      if (prev >= 0) this.srcNext[prev] = next;
      else if (next >= 0) this.src.set(mac, next);
      else this.src.delete(mac);
      this.freeEntry(e);
      this.srcCount[i]--;
      return;
    }
  }

  sourceFlush(i: number): void {
    this.child(i);
    for (let e = 0; e < this.srcTop && this.srcCount[i] > 0; e++) {
      if (this.srcChild[e] === i) this.sourceDel(i, this.srcMac[e]);
    }
  }

  /** The allow-list, ascending (the kernel reports hash order; any order is a faithful answer) */
  sourceList(i: number): number[] {
    const out: number[] = [];
    for (let e = 0; e < this.srcTop; e++) if (this.srcChild[e] === i) out.push(this.srcMac[e]);
    return out.sort((a, b) => a - b);
  }

  /** IFLA_MACVLAN_MACADDR_COUNT */
  sourceCount(i: number): number { return this.srcCount[i]; }

  // ---- snapshot / clone ----

  snapshot(): PortTableSnapshot {
    const gs: number[] = [];
    const gm: number[] = [];
    const ss: number[] = [];
    const sm: number[] = [];
    for (let i = 1; i <= this.maxChildren; i++) {
      if (this.used[i] === 0) continue;
      for (const g of this.groupsOf(i)) { gs.push(i); gm.push(g); }
      for (const s of this.sourceList(i)) { ss.push(i); sm.push(s); }
    }
    return {
      maxChildren: this.maxChildren,
      used: this.used.slice(), mac: this.mac.slice(), mode: this.mode.slice(), flags: this.flags.slice(),
      up: this.up.slice(), promisc: this.promisc.slice(), allmulti: this.allmulti.slice(), mtu: this.mtu.slice(),
      bcQueueLen: this.bcQueueLen.slice(),
      parentUp: this.parentUp, parentCarrier: this.parentCarrier, parentPromisc: this.parentPromisc,
      bcCutoff: this.bcCutoff,
      groupSlot: Int16Array.from(gs), groupMac: Float64Array.from(gm),
      sourceSlot: Int16Array.from(ss), sourceMac: Float64Array.from(sm),
    };
  }

  static fromSnapshot(s: PortTableSnapshot): PortTable {
    const t = new PortTable(s.maxChildren);
    t.mac[0] = s.mac[0];
    t.mtu[0] = s.mtu[0];
    t.parentUp = s.parentUp;
    t.parentCarrier = s.parentCarrier;
    t.parentPromisc = s.parentPromisc;
    t.bcCutoff = s.bcCutoff;
    for (let i = 1; i <= s.maxChildren; i++) {
      if (s.used[i] === 0) continue;
      t.addChild(i, { mac: s.mac[i], mode: s.mode[i] as ModeBit, flags: s.flags[i], mtu: s.mtu[i], bcQueueLen: s.bcQueueLen[i] });
      t.promisc[i] = s.promisc[i];
      t.allmulti[i] = s.allmulti[i];
    }
    for (let k = 0; k < s.groupSlot.length; k++) t.joinGroup(s.groupSlot[k], s.groupMac[k]);
    for (let k = 0; k < s.sourceSlot.length; k++) t.sourceAdd(s.sourceSlot[k], s.sourceMac[k]);
    for (let i = 1; i <= s.maxChildren; i++) if (s.used[i] === 1 && s.up[i] === 1) t.setUp(i, true);
    return t;
  }

  clone(): PortTable {
    return PortTable.fromSnapshot(this.snapshot());
  }

  // ---- internals ----

  private slot(i: number): void {
    if (!Number.isInteger(i) || i < 1 || i > this.maxChildren) throw new RangeError(`child slot ${i} out of 1..${this.maxChildren}`);
  }

  private child(i: number): void {
    this.slot(i);
    if (this.used[i] === 0) throw new RangeError(`child slot ${i} is not in use`);
  }

  private recomputePort(): void {
    let pt = 0;
    let lim = 0;
    for (let i = 1; i <= this.maxChildren; i++) {
      if (this.used[i] === 0) continue;
      if (pt === 0 && this.mode[i] === Mode.PASSTHRU) pt = i;
      if (this.bcQueueLen[i] > lim) lim = this.bcQueueLen[i];
    }
    this.passthruSlot = pt;
    this.bcLimit = lim;
  }

  private rebuildUpList(): void {
    let n = 0;
    for (let i = 1; i <= this.maxChildren; i++) if (this.used[i] === 1 && this.up[i] === 1) this.upList[n++] = i;
    this.upCount = n;
  }

  private addrEnter(i: number, mac: number): void {
    const cur = this.addr.find(mac);
    if (cur < 0 || i < cur) this.addr.set(mac, i);
  }

  /** i (still marked up) leaves the address table under `mac`; the next-lowest UP holder, if any, takes over */
  private addrLeave(i: number, mac: number): void {
    if (this.addr.find(mac) !== i) return;
    for (let j = 1; j <= this.maxChildren; j++) {
      if (j !== i && this.used[j] === 1 && this.up[j] === 1 && this.mac[j] === mac) { this.addr.set(mac, j); return; }
    }
    this.addr.delete(mac);
  }

  private newGroup(mac: number): number {
    let g = this.grpFree.pop();
    if (g === undefined) {
      g = this.grpTop++;
      if (g >= this.grpMembers.length) this.growGroups(this.grpMembers.length * 2);
    }
    this.grpBits.fill(0, g * this.grpWords, (g + 1) * this.grpWords);
    this.grpMembers[g] = 0;
    this.grpHeld[g] = 0;
    this.grpMac[g] = mac;
    this.grp.set(mac, g);
    return g;
  }

  private growGroups(cap: number): void {
    const bits = new Uint32Array(cap * this.grpWords);
    bits.set(this.grpBits);
    this.grpBits = bits;
    this.grpMembers = grow(this.grpMembers, cap);
    this.grpHeld = grow(this.grpHeld, cap);
    const macs = new Float64Array(cap);
    macs.set(this.grpMac);
    this.grpMac = macs;
  }

  private newEntry(): number {
    if (this.srcFree >= 0) {
      const e = this.srcFree;
      this.srcFree = this.srcNext[e];
      return e;
    }
    if (this.srcTop === this.srcChild.length) {
      const cap = this.srcChild.length * 2;
      const c = new Int16Array(cap); c.set(this.srcChild); this.srcChild = c;
      this.srcNext = grow(this.srcNext, cap);
      const m = new Float64Array(cap); m.set(this.srcMac); this.srcMac = m;
    }
    return this.srcTop++;
  }

  private freeEntry(e: number): void {
    this.srcChild[e] = 0; // 0 is never a child slot: marks the entry free for the scans in flush/list
    this.srcMac[e] = 0;
    this.srcNext[e] = this.srcFree;
    this.srcFree = e;
  }
}

function grow(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
