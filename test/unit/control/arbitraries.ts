// Shared fast-check arbitraries for the control tests (not a test file itself).
import fc from 'fast-check';
import { Flag, Mode, MODE_NAMES, type ModeBit } from '../../../src/core/constants.js';
import { formatMac } from '../../../src/wire/ethernet.js';
import type { ChildConfig } from '../../../src/control/child-config.js';

export const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=+@é';
export const nameArb = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 15 })
  .filter((n) => Buffer.byteLength(n) <= 15 && n !== '.' && n !== '..' && n !== 'parent' && n !== 'all');
export const unicastArb = fc.integer({ min: 0, max: 2 ** 47 - 1 }).map((x) => {
  const hi = Math.floor(x / 2 ** 40) * 2; // first octet even: clear I/G
  return hi * 2 ** 40 + (x % 2 ** 40);
}).filter((m) => m !== 0);
export const modeArb = fc.constantFrom<ModeBit>(1, 2, 4, 8, 16);

export const childArb: fc.Arbitrary<ChildConfig> = fc.record({
  name: nameArb,
  mac: fc.oneof(fc.constant<'auto'>('auto'), unicastArb),
  mode: modeArb,
  nodst: fc.boolean(),
  nopromisc: fc.boolean(),
  mtu: fc.option(fc.integer({ min: 68, max: 65535 }), { nil: undefined }),
  macaddr: fc.uniqueArray(unicastArb, { maxLength: 4 }),
}).map(({ name, mac, mode, nodst, nopromisc, mtu, macaddr }) => {
  const c: ChildConfig = {
    name, mac, mode,
    flags: (nodst ? Flag.NODST : 0) | (nopromisc && mode === Mode.PASSTHRU ? Flag.NOPROMISC : 0),
    macaddr: mode === Mode.SOURCE ? macaddr : [],
  };
  if (mtu !== undefined) c.mtu = mtu;
  return c;
});


/** A child in its text form, the canonical one: the round-trip tests hold parseChild to it. */
export function formatChild(c: ChildConfig): string {
  let s = `${c.name}:${c.mac === 'auto' ? 'auto' : formatMac(c.mac)}:${MODE_NAMES[c.mode]}`;
  if (c.macaddr.length > 0) s += `:macaddr=${c.macaddr.map(formatMac).join(',')}`;
  if (c.flags & Flag.NODST) s += ':nodst';
  if (c.flags & Flag.NOPROMISC) s += ':nopromisc';
  if (c.mtu !== undefined) s += `:mtu=${c.mtu}`;
  return s;
}
