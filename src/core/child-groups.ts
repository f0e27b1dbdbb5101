// One child's link-layer multicast set, merged from the two places the kernel tells us about it, with a cap.
//
// - IP-level joins and leaves (rtnetlink RTM_NEWMULTICAST / RTM_DELMULTICAST), each mapping to one group MAC;
// - the device's own list (/proc/net/dev_mcast), which also holds `ip maddr add` joins (SIOCADDMULTI), announced by
//   no message at all.
//
// The one merge rule: a MAC enters the set when either source reports it, and leaves only when no IP group mapping to
// it and no dev_mcast entry holds it. Each MAC remembers the source that reported it first (for `show`).
//
// The cap: above `max` exact groups the child is all-multicast instead (the kernel's 256-bucket hash filter saturates
// the same way, probabilistically). While capped nothing per group is kept, so memory stays bounded per child, and
// IP-level events change nothing; the next dev_mcast read with at most `max` entries brings the exact set back.
// Every answer is a difference (joins, leaves), computed with sets: never a scan of one list per entry of another.

export type GroupSource = 'netlink' | 'dev_mcast';

/** What one event changed: MACs to join and leave in the table, and whether the cap state flipped. */
export interface GroupDiff {
  join: number[];
  leave: number[];
  /** the child went over the cap (true), came back under it (false), or neither (null) */
  cap: boolean | null;
}

const NONE: GroupDiff = Object.freeze({ join: [], leave: [], cap: null }) as GroupDiff;

export class ChildGroups {
  /** IP group key → the MAC it maps to */
  private readonly ip = new Map<string, number>();
  /** MAC → how many IP groups map to it */
  private readonly ipRefs = new Map<number, number>();
  /** the MACs of the last dev_mcast read */
  private dev = new Set<number>();
  /** the exact set, as the table holds it: MAC → the source that reported it first */
  private readonly held = new Map<number, GroupSource>();
  private over = false;

  constructor(readonly max: number) {}

  get capped(): boolean { return this.over; }
  get size(): number { return this.held.size; }

  /** The exact set with sources, ascending by MAC (empty while capped) */
  entries(): Array<{ mac: number; source: GroupSource }> {
    return [...this.held].sort((a, b) => a[0] - b[0]).map(([mac, source]) => ({ mac, source }));
  }

  ipJoin(key: string, mac: number): GroupDiff {
    if (this.over || this.ip.has(key)) return NONE;
    this.ip.set(key, mac);
    this.ipRefs.set(mac, (this.ipRefs.get(mac) ?? 0) + 1);
    if (this.held.has(mac)) return NONE;
    if (this.held.size + 1 > this.max) return this.capNow();
    this.held.set(mac, 'netlink');
    return { join: [mac], leave: [], cap: null };
  }

  ipLeave(key: string): GroupDiff {
    if (this.over) return NONE;
    const mac = this.ip.get(key);
    if (mac === undefined) return NONE;
    this.ip.delete(key);
    const refs = (this.ipRefs.get(mac) ?? 1) - 1;
    if (refs > 0) { this.ipRefs.set(mac, refs); return NONE; }
    this.ipRefs.delete(mac);
    if (this.dev.has(mac) || !this.held.has(mac)) return NONE;
    this.held.delete(mac);
    return { join: [], leave: [mac], cap: null };
  }

  /**
   * A dev_mcast read: `macs` are the child's entries (at most `max` of them kept by the reader), `count` how many
   * there were. Over the cap when count or the merged set exceeds max.
   */
  devMcast(macs: readonly number[], count: number): GroupDiff {
    if (count > this.max) return this.over ? NONE : this.capNow();
    const next = new Set(macs);
    if (this.over) {
      // Back under the cap: the read is the whole truth (IP groups are in the device's list too).
      this.over = false;
      this.dev = next;
      for (const mac of next) this.held.set(mac, 'dev_mcast');
      return { join: [...next], leave: [], cap: false };
    }
    const join: number[] = [];
    const leave: number[] = [];
    for (const mac of this.dev) if (!next.has(mac) && !this.ipRefs.has(mac) && this.held.delete(mac)) leave.push(mac);
    for (const mac of next) if (!this.held.has(mac)) { this.held.set(mac, 'dev_mcast'); join.push(mac); }
    this.dev = next;
    if (this.held.size > this.max) return this.capNow();
    return join.length === 0 && leave.length === 0 ? NONE : { join, leave, cap: null };
  }

  /** IP-level events were lost (the netlink socket overflowed): forget them; the next dev_mcast read decides. */
  forgetIp(): GroupDiff {
    if (this.over) return NONE;
    const leave: number[] = [];
    for (const mac of this.ipRefs.keys()) if (!this.dev.has(mac) && this.held.delete(mac)) leave.push(mac);
    this.ip.clear();
    this.ipRefs.clear();
    return leave.length === 0 ? NONE : { join: [], leave, cap: null };
  }

  private capNow(): GroupDiff {
    const leave = [...this.held.keys()];
    this.over = true;
    this.held.clear();
    this.ip.clear();
    this.ipRefs.clear();
    this.dev = new Set();
    return { join: [], leave, cap: true };
  }
}
