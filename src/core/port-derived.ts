// PortDerived: the tables PortTable derives from the slots and lists, and how each is kept in step — the address
// table (MAC → lowest UP slot), the up list, the passthru slot, the broadcast-queue limit and allGroups. The hot path
// reads them here; port-table.ts's theory says what each holds and why, and its mutators call the updates below.

import { Mode } from './constants.js';
import { MacIndex } from './mac-index.js';
import { raisesParentFlags } from './memberships.js';
import { PortLists } from './port-lists.js';

export class PortDerived extends PortLists {
  // Derived state. Public so decide() can read the arrays directly; written only through the updates below, which
  // PortTable's mutators call.
  /** MAC → slot of the lowest used && up child with that MAC */
  readonly addr: MacIndex;
  /** used && up children, ascending; the first upCount entries are valid */
  readonly upList: Int16Array;
  upCount = 0;

  protected passthruSlot = 0;
  protected bcLimit = 0;
  protected ownPromisc = false;
  protected filtersUnicast = true;
  /** The port filters pass every group: the parent is PROMISC or ALLMULTI, by itself or through an UP child
   *  (forwarding.md §3.1). Derived: rewritten by every mutator of its inputs. */
  allGroups = false;

  constructor(maxChildren?: number) {
    super(maxChildren);
    this.addr = new MacIndex(this.maxChildren + 1);
    this.upList = new Int16Array(this.maxChildren + 1);
  }

  get passthru(): number { return this.passthruSlot; }
  get bcQueueLimit(): number { return this.bcLimit; }

  /** PROMISC or ALLMULTI set on the parent itself (what children add is in allGroups) */
  get parentPromisc(): boolean { return this.ownPromisc; }
  set parentPromisc(on: boolean) { this.ownPromisc = on; this.recomputeAllGroups(); }

  /** The parent filters unicast (IFF_UNICAST_FLT); true by default, as a NIC does. veth, tap and bridge do not. */
  get parentFiltersUnicast(): boolean { return this.filtersUnicast; }
  set parentFiltersUnicast(on: boolean) { this.filtersUnicast = on; this.recomputeAllGroups(); }

  // ---- hot-path reads (no allocation) ----

  lookup(mac: number): number {
    return this.addr.find(mac);
  }

  /** lookup() for a MAC as (hi, lo) (wire/ethernet.ts macHiAt/macLoAt): what decide() calls */
  lookupHL(hi: number, lo: number): number {
    return this.addr.findHL(hi, lo);
  }

  // ---- keeping them in step (called by the mutators) ----

  protected recomputePort(): void {
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

  /** allGroups from its inputs. The kernel rebuilds its port filters on the next child event instead (a child going
   *  DOWN is none): forwarding.md §3.1 says where that lags and why we do not. */
  protected recomputeAllGroups(): void {
    let all = this.ownPromisc;
    for (let k = 0; k < this.upCount && !all; k++) all = raisesParentFlags(this, this.upList[k], this.filtersUnicast);
    this.allGroups = all;
  }

  protected rebuildUpList(): void {
    let n = 0;
    for (let i = 1; i <= this.maxChildren; i++) if (this.used[i] === 1 && this.up[i] === 1) this.upList[n++] = i;
    this.upCount = n;
  }

  protected addrEnter(i: number, mac: number): void {
    const cur = this.addr.find(mac);
    if (cur < 0 || i < cur) this.addr.set(mac, i);
  }

  /** i (still marked up) leaves the address table under `mac`; the next-lowest UP holder, if any, takes over */
  protected addrLeave(i: number, mac: number): void {
    if (this.addr.find(mac) !== i) return;
    for (let j = 1; j <= this.maxChildren; j++) {
      if (j !== i && this.used[j] === 1 && this.up[j] === 1 && this.mac[j] === mac) { this.addr.set(mac, j); return; }
    }
    this.addr.delete(mac);
  }
}
