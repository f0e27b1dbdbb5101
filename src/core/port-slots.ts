// PortSlots: the primary state of one macvlan port, slot by slot — what a control request writes and a snapshot
// carries — and the checks of a slot number. The base of PortTable (port-table.ts), which adds the tables derived
// from it; the setters here are those whose field no derived table reads, so they only store.

import { DEFAULT_BC_CUTOFF, MAX_CHILDREN } from './constants.js';

const DEFAULT_PARENT_MTU = 1500;

export class PortSlots {
  readonly maxChildren: number;
  readonly used: Uint8Array;
  readonly mac: Float64Array;
  readonly mode: Uint8Array;
  readonly flags: Uint8Array;
  readonly up: Uint8Array;
  readonly promisc: Uint8Array;
  readonly allmulti: Uint8Array;
  readonly mtu: Int32Array;
  /** IFLA_MACVLAN_BC_QUEUE_LEN per child: a u32, so held as a double (exact) */
  readonly bcQueueLen: Float64Array;

  parentUp = true;
  parentCarrier = true;
  bcCutoff = DEFAULT_BC_CUTOFF;

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
    this.bcQueueLen = new Float64Array(n);
    this.mtu[0] = DEFAULT_PARENT_MTU;
  }

  freeSlot(): number {
    for (let i = 1; i <= this.maxChildren; i++) if (this.used[i] === 0) return i;
    return -1;
  }

  // flags, promisc and allmulti feed PortTable's allGroups too: it overrides these three to keep it in step
  setFlags(i: number, flags: number): void { this.child(i); this.flags[i] = flags; }
  setMtu(i: number, mtu: number): void { this.child(i); this.mtu[i] = mtu; }
  setPromisc(i: number, on: boolean): void { this.child(i); this.promisc[i] = on ? 1 : 0; }
  setAllmulti(i: number, on: boolean): void { this.child(i); this.allmulti[i] = on ? 1 : 0; }

  /** IFLA_MACVLAN_BC_CUTOFF: the port's, whichever child sets it; kept when that child goes (forwarding.md §3.3) */
  setBcCutoff(n: number): void { this.bcCutoff = n; }

  /** A mutator's slot must be a child's: a bad slot is the caller's bug, thrown, never a silently wrong table */
  protected slot(i: number): void {
    if (!Number.isInteger(i) || i < 1 || i > this.maxChildren) throw new RangeError(`child slot ${i} out of 1..${this.maxChildren}`);
  }

  protected child(i: number): void {
    this.slot(i);
    if (this.used[i] === 0) throw new RangeError(`child slot ${i} is not in use`);
  }
}
