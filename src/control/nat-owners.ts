// nat-owners.ts — who owns which address under --mac-nat (README "--mac-nat"). The worker reports what it saw
// (datapath/nat-forward.ts: a claim, an owner still using its address, a conflict, a DHCP ACK); this decides and
// changes the port table's address table through PortState.mutate, the ingress drop on the parent
// (nat-ingress.ts) and the address book (the host port's routes) with it.
//
// The rules: static entries always win and never age; otherwise the first owner keeps an address until it ages out
// — AGE_MS after it was last seen in use, or the end of its DHCP lease if that is later. A claim of an address
// another child owns is refused: logged (once per child and address per LOG_EVERY_MS) and counted `nat_conflict`
// on the claiming child (the worker counts the frames it refused; this counts the claims refused here).

import { Drop, Learn } from '../core/constants.js';
import { COUNTER_COLUMNS, dropColumn } from '../core/counters.js';
import { addrText, addrWords, type AddrWords } from '../core/nat-address.js';
import { NAT_MAX_ADDRESSES } from '../core/nat-table.js';
import type { LearnEvent } from '../datapath/nat-forward.js';
import type { NatStatic } from './nat-config.js';
import type { PortState } from './port-state.js';

export const AGE_MS = 300_000;
export const SWEEP_MS = 10_000;
const LOG_EVERY_MS = 60_000;

/** Where the addresses go besides the table: the host port's address book (same shape as its set/forget) */
export interface AddressSink {
  set(source: 'nat' | 'static', child: string, addrs: readonly string[]): void;
}

/** The parent's ingress drop (nat-ingress.ts), or a fake */
export interface IngressDrop {
  add(addr: string): void;
  remove(addr: string): void;
  close(): Promise<void>;
}

interface Owner { child: string; slot: number; static: boolean; lastSeen: number; leaseEnd: number; words: AddrWords }

export class NatOwners {
  private readonly owners = new Map<string, Owner>();
  private readonly logged = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly p: PortState, private readonly statics: readonly NatStatic[],
    private readonly drop: IngressDrop, private readonly book: AddressSink | null,
    private readonly now: () => number = Date.now) {}

  /** Ages learned addresses out every SWEEP_MS (unref'd: the daemon lives by its socket) */
  start(): void {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref?.();
  }

  /** Who owns `addr` (text), for show and trace */
  ownerOf(addr: string): string | null { return this.owners.get(addr)?.child ?? null; }

  /** Every owned address: (address, child, static) */
  list(): Array<{ addr: string; child: string; static: boolean }> {
    return [...this.owners.entries()].map(([addr, o]) => ({ addr, child: o.child, static: o.static }));
  }

  /** A child came (PortListener): its static addresses are its own now, whoever had learned them */
  added(slot: number, name: string): void {
    for (const s of this.statics) {
      if (s.child !== name) continue;
      const w = addrWords(s.ip)!;
      const had = this.owners.get(s.ip);
      if (had && had.slot !== slot) this.p.log.warn(`mac-nat: ${s.ip} is child ${name}'s (static), no longer ${had.child}'s`);
      this.own(s.ip, w, name, slot, true, 0);
    }
    this.publish(name);
  }

  /** A child went (PortListener): the table forgot its addresses with it (PortTable.removeChild) */
  removed(_slot: number, name: string): void {
    for (const [addr, o] of this.owners) {
      if (o.child !== name) continue;
      this.owners.delete(addr);
      this.drop.remove(addr);
    }
    // only what this source said: the child's other sources (a CNI result) are the daemon's to forget
    this.book?.set('nat', name, []);
    this.book?.set('static', name, []);
  }

  onLearn(e: LearnEvent): void {
    const rt = this.p.bySlot[e.slot];
    if (!rt) return;
    const addr = addrText(e.addr);
    let had = this.owners.get(addr);
    const now = this.now();
    if (had && this.p.bySlot[had.slot]?.name !== had.child) { this.owners.delete(addr); had = undefined; }  // its child went
    if (had && had.slot === e.slot) {
      had.lastSeen = now;
      if (e.kind === Learn.LEASE) had.leaseEnd = now + e.lease * 1000;
      return;
    }
    if (e.kind === Learn.SEEN) return;  // an entry this side already dropped: the next claim says so
    if (had || e.kind === Learn.CONFLICT) {
      this.refuse(addr, rt.name, e.slot, had?.child ?? 'another child', e.kind !== Learn.CONFLICT);
      return;
    }
    if (this.owners.size >= NAT_MAX_ADDRESSES) {
      this.logOnce(`full ${rt.name}`, `mac-nat: the address table is full (${NAT_MAX_ADDRESSES}); ${addr} of ${rt.name} not learned`);
      return;
    }
    this.own(addr, e.addr, rt.name, e.slot, false, e.kind === Learn.LEASE ? now + e.lease * 1000 : 0);
    this.p.log.info(`mac-nat: ${addr} is child ${rt.name}'s${e.kind === Learn.LEASE ? ` (DHCP lease ${e.lease} s)` : ''}`);
    this.publish(rt.name);
  }

  /** Forgets what aged out: not seen for AGE_MS and past its lease */
  sweep(): void {
    const now = this.now();
    const changed = new Set<string>();
    for (const [addr, o] of this.owners) {
      const gone = this.p.bySlot[o.slot]?.name !== o.child;
      if (!gone && (o.static || now - o.lastSeen < AGE_MS || now < o.leaseEnd)) continue;
      this.owners.delete(addr);
      if (!gone) this.p.mutate('natDelete', o.words[0], o.words[1], o.words[2], o.words[3]);
      this.drop.remove(addr);
      changed.add(o.child);
      this.p.log.info(`mac-nat: ${addr} of child ${o.child} aged out`);
    }
    for (const c of changed) this.publish(c);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drop.close();
  }

  private own(addr: string, w: AddrWords, child: string, slot: number, isStatic: boolean, leaseEnd: number): void {
    this.owners.set(addr, { child, slot, static: isStatic, lastSeen: this.now(), leaseEnd, words: w });
    this.p.mutate('natSet', w[0], w[1], w[2], w[3], slot);
    this.drop.add(addr);
  }

  private refuse(addr: string, claimant: string, slot: number, owner: string, count: boolean): void {
    // the worker counted the frames it refused itself (Drop.NAT_CONFLICT); a claim refused here is counted here
    if (count) this.p.counters[slot * COUNTER_COLUMNS + dropColumn(Drop.NAT_CONFLICT)] += 1;
    this.logOnce(`${claimant} ${addr}`, `mac-nat: child ${claimant} claims ${addr}, which is ${owner}'s: refused (nat_conflict)`);
  }

  private logOnce(key: string, line: string): void {
    const now = this.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    this.logged.set(key, now);
    this.p.log.warn(line);
  }

  /** The address book hears a child's addresses by source (the host port routes to them) */
  private publish(child: string): void {
    if (!this.book) return;
    const mine = [...this.owners.entries()].filter(([, o]) => o.child === child);
    this.book.set('static', child, mine.filter(([, o]) => o.static).map(([a]) => a));
    this.book.set('nat', child, mine.filter(([, o]) => !o.static).map(([a]) => a));
  }
}
