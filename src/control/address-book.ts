// The addresses each child holds, as the daemon hears of them from several sources: a CNI result ('cni'), what
// --mac-nat learned from the wire ('nat'), the configuration ('static'). Each source replaces its own list for a
// child; the book answers the union and tells its listeners (the host port's routes) when a child's union changes.
// Addresses are kept in one canonical text form (IPv6 compressed, lower case), so two spellings are one address.

import { canonicalIp } from '../wire/ip-address.js';

export type AddressSource = 'cni' | 'nat' | 'static';
const SOURCES: readonly AddressSource[] = ['cni', 'nat', 'static'];

type Listener = (child: string, addrs: readonly string[]) => void;

export class AddressBook {
  private readonly bySource = new Map<AddressSource, Map<string, readonly string[]>>(SOURCES.map((s) => [s, new Map()]));
  private readonly unions = new Map<string, readonly string[]>();
  private readonly listeners = new Set<Listener>();

  /** replaces what `source` says child `child` holds (IPv4/IPv6 address text, no prefix length) */
  set(source: AddressSource, child: string, addrs: readonly string[]): void {
    const canon: string[] = [];
    for (const a of addrs) {
      const c = canonicalIp(a);
      // The sources parse what they hand in; text that is not an address here is a caller's bug, said at once.
      if (c === null) throw new RangeError(`address book: ${JSON.stringify(a)} is not an IPv4 or IPv6 address`);
      if (!canon.includes(c)) canon.push(c);
    }
    const m = this.bySource.get(source);
    if (!m) throw new RangeError(`address book: unknown source ${JSON.stringify(source)}`);
    if (canon.length) m.set(child, canon); else m.delete(child);
    this.update(child);
  }

  /** forgets the child in every source (it was deleted) */
  forget(child: string): void {
    for (const m of this.bySource.values()) m.delete(child);
    this.update(child);
  }

  /** the union over the sources, for one child */
  of(child: string): string[] {
    return [...(this.unions.get(child) ?? [])];
  }

  /** every child with its addresses */
  all(): ReadonlyMap<string, readonly string[]> {
    return new Map(this.unions);
  }

  /** called after each change of a child's union with the new union; returns an unsubscribe */
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  private update(child: string): void {
    const union: string[] = [];
    for (const s of SOURCES) for (const a of this.bySource.get(s)!.get(child) ?? []) if (!union.includes(a)) union.push(a);
    const before = this.unions.get(child) ?? [];
    if (union.length === before.length && union.every((a) => before.includes(a))) return;
    if (union.length) this.unions.set(child, union); else this.unions.delete(child);
    // A listener that throws must not keep the others from hearing of the change; the first failure is the caller's.
    let failure: { e: unknown } | null = null;
    for (const fn of [...this.listeners]) {
      try { fn(child, union); } catch (e) { failure ??= { e }; }
    }
    if (failure) throw failure.e;
  }
}
