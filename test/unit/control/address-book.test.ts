// The address book: per-source lists per child, their union, and the change events the host port's routes follow.

import { describe, expect, test } from 'vitest';
import { AddressBook } from '../../../src/control/address-book.js';
import { canonicalIp } from '../../../src/wire/ip-address.js';

function recorder(b: AddressBook): Array<[string, string[]]> {
  const seen: Array<[string, string[]]> = [];
  b.onChange((c, a) => seen.push([c, [...a]]));
  return seen;
}

describe('address book', () => {
  test('a source replaces its own list; the union spans the sources without duplicates', () => {
    const b = new AddressBook();
    b.set('cni', 'c1', ['198.18.0.2', 'fd00::2']);
    b.set('static', 'c1', ['198.18.0.2', '198.18.0.9']);
    expect(b.of('c1')).toEqual(['198.18.0.2', 'fd00::2', '198.18.0.9']);
    b.set('cni', 'c1', ['198.18.0.3']);
    expect(b.of('c1')).toEqual(['198.18.0.3', '198.18.0.2', '198.18.0.9']);
    b.set('static', 'c1', []);
    expect(b.of('c1')).toEqual(['198.18.0.3']);
  });

  test('two spellings of one IPv6 address are one address', () => {
    const b = new AddressBook();
    b.set('nat', 'c1', ['FD00:0:0::0001', 'fd00::1']);
    b.set('static', 'c1', ['fd00::1']);
    expect(b.of('c1')).toEqual(['fd00::1']);
    expect(canonicalIp('198.18.0.1')).toBe('198.18.0.1');
    expect(canonicalIp('fe80::1%eth0')).toBeNull();
    expect(canonicalIp('198.18.0.0/15')).toBeNull();
    expect(canonicalIp('')).toBeNull();
  });

  test('text that is not an address is refused and changes nothing', () => {
    const b = new AddressBook();
    const seen = recorder(b);
    b.set('cni', 'c1', ['198.18.0.2']);
    expect(() => b.set('cni', 'c1', ['198.18.0.3', '198.18.0.256'])).toThrow(/198\.18\.0\.256.*not an IPv4 or IPv6/);
    expect(() => b.set('cni', 'c1', ['198.18.0.3/32'])).toThrow(RangeError);
    expect(() => b.set('bogus' as 'cni', 'c1', [])).toThrow(/unknown source/);
    expect(b.of('c1')).toEqual(['198.18.0.2']);
    expect(seen).toEqual([['c1', ['198.18.0.2']]]);
  });

  test('listeners hear each change of a union, and nothing when the union stays the same', () => {
    const b = new AddressBook();
    const seen = recorder(b);
    b.set('cni', 'c1', ['198.18.0.2']);
    b.set('static', 'c1', ['198.18.0.2']); // same union
    b.set('cni', 'c1', ['198.18.0.2']); // same union
    b.set('nat', 'c2', ['fd00::5']);
    b.set('static', 'c1', []); // cni still holds it
    b.set('cni', 'c1', []);
    expect(seen).toEqual([['c1', ['198.18.0.2']], ['c2', ['fd00::5']], ['c1', []]]);
    expect([...b.all()]).toEqual([['c2', ['fd00::5']]]);
  });

  test('forget drops a child from every source, once', () => {
    const b = new AddressBook();
    b.set('cni', 'c1', ['198.18.0.2']);
    b.set('nat', 'c1', ['198.18.0.3']);
    b.set('static', 'c2', ['198.18.0.4']);
    const seen = recorder(b);
    b.forget('c1');
    b.forget('c1');
    b.forget('never');
    expect(seen).toEqual([['c1', []]]);
    expect(b.of('c1')).toEqual([]);
    expect([...b.all().keys()]).toEqual(['c2']);
    // a child added again under the same name starts empty in every source
    b.set('static', 'c1', ['198.18.0.7']);
    expect(b.of('c1')).toEqual(['198.18.0.7']);
  });

  test('unsubscribe stops the calls; a listener that throws does not keep the others from hearing', () => {
    const b = new AddressBook();
    const heard: string[] = [];
    const off = b.onChange(() => { throw new Error('first'); });
    b.onChange((c) => heard.push(c));
    expect(() => b.set('cni', 'c1', ['198.18.0.2'])).toThrow('first');
    expect(heard).toEqual(['c1']);
    expect(b.of('c1')).toEqual(['198.18.0.2']);
    off();
    b.set('cni', 'c1', ['198.18.0.3']);
    expect(heard).toEqual(['c1', 'c1']);
  });

  test('what of() and all() return cannot change the book', () => {
    const b = new AddressBook();
    b.set('cni', 'c1', ['198.18.0.2']);
    b.of('c1').push('198.18.0.9');
    (b.all() as Map<string, readonly string[]>).delete('c1');
    expect(b.of('c1')).toEqual(['198.18.0.2']);
  });
});
