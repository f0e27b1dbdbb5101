// MacIndex, the hash table behind the PortTable's address, source and group tables: checked against a Map.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MacIndex, macHash } from '../../../src/core/mac-index.js';

describe('MacIndex (open addressing with backward-shift deletion)', () => {
  it('agrees with a Map under random insert/delete churn, through several growths', () => {
    fc.assert(fc.property(
      // long runs (fast-check's default size would keep arrays short): holes only hurt after a lot of churn
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { minLength: 500, maxLength: 3000 }),
      (ops) => {
        const idx = new MacIndex(2);
        const ref = new Map<number, number>();
        ops.forEach(([add, k], n) => {
          const mac = 0x0200_0000_0000 + k * 0x1_0001; // spread over both halves of the 48 bits
          if (add) { idx.set(mac, n); ref.set(mac, n); } else { expect(idx.delete(mac)).toBe(ref.delete(mac)); }
        });
        expect(idx.size).toBe(ref.size);
        for (let k = 0; k <= 300; k++) {
          const mac = 0x0200_0000_0000 + k * 0x1_0001;
          expect(idx.find(mac)).toBe(ref.get(mac) ?? -1);
        }
      }), { numRuns: 100 });
  });

  it('stores MAC 0 and the broadcast MAC (keys are MAC + 1)', () => {
    const idx = new MacIndex();
    idx.set(0, 5);
    idx.set(0xffff_ffff_ffff, 6);
    expect([idx.find(0), idx.find(0xffff_ffff_ffff), idx.find(1)]).toEqual([5, 6, -1]);
  });

  it('macHash is a 32-bit unsigned value that depends on both halves', () => {
    const h = macHash(0x0211_2233_4455);
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    expect(macHash(0x0211_2233_4455)).not.toBe(macHash(0x0311_2233_4455));
    expect(macHash(0x0211_2233_4455)).not.toBe(macHash(0x0211_2233_4456));
  });
});
