// FrameCopier, the worker's copy into the capture ring: every byte of the range and nothing outside it, for any
// alignment of either side inside its buffer (views with odd byteOffsets, buffers whose length is not a whole number
// of words, shared or not), and one word view per source array, not per copy.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { COPIER_SLOTS, FrameCopier } from '../../../src/capture/bytes.js';

/** A buffer of `size` bytes filled with a pattern that differs at every offset mod 251 (no aligned repeats). */
function patterned(size: number, shared: boolean, seed: number): Uint8Array {
  const b = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed * 13 + 1) % 251;
  return b;
}

/** Index of the first byte where a and b differ, -1 if none (toEqual on thousands of arrays is too slow). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Copies with a fresh FrameCopier and checks the whole destination buffer against the expected bytes. */
function checkCopy(src: Uint8Array, dst: Uint8Array, srcAt: number, dstAt: number, len: number): void {
  const whole = new Uint8Array(dst.buffer);
  const expected = Uint8Array.from(whole);
  expected.set(src.subarray(srcAt, srcAt + len), dst.byteOffset + dstAt);
  new FrameCopier(dst).copy(dstAt, src, srcAt, len);
  expect(firstDiff(whole, expected), `src@${src.byteOffset}+${srcAt} dst@${dst.byteOffset}+${dstAt} len ${len}`).toBe(-1);
}

describe('FrameCopier', () => {
  test('every source alignment × destination alignment × length up to 3 words past the word loop', () => {
    const srcBuf = patterned(203, false, 1);  // 203: the last word of the buffer is partial
    const dstBuf = new ArrayBuffer(208);
    for (let sOff = 0; sOff < 8; sOff++) {
      for (let dOff = 0; dOff < 8; dOff++) {
        const src = new Uint8Array(srcBuf.buffer, sOff);
        const dst = new Uint8Array(dstBuf, dOff);
        for (let len = 0; len <= 40; len++) {
          for (const srcAt of [0, 1, 2, 3, src.length - len]) {
            new Uint8Array(dstBuf).fill(0xee);
            checkCopy(src, dst, srcAt, 5, len);
          }
        }
      }
    }
  });

  test('a source range that ends at the buffer\'s last, partial word (the word after it does not exist)', () => {
    for (const size of [100, 101, 102, 103]) {
      const src = patterned(size, false, 2);
      for (let srcAt = size - 64; srcAt < size - 59; srcAt++) {
        const dst = new Uint8Array(128).fill(0xee);
        checkCopy(src, dst, srcAt, 8, size - srcAt);
      }
    }
  });

  test('property: random views of random buffers (shared or not), random ranges: byte-identical, nothing else written', () => {
    const side = fc.record({
      size: fc.integer({ min: 1, max: 700 }),
      shared: fc.boolean(),
      // a view from `from` to `size - cut`
      from: fc.nat(), cut: fc.nat(),
    });
    fc.assert(fc.property(side, side, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (s, d, a, b, c, seed) => {
      const sFrom = s.from % s.size;
      const sLen = s.size - sFrom - (s.cut % (s.size - sFrom));
      const dFrom = d.from % d.size;
      const dLen = d.size - dFrom - (d.cut % (d.size - dFrom));
      const src = new Uint8Array(patterned(s.size, s.shared, seed).buffer, sFrom, sLen);
      const dst = new Uint8Array(patterned(d.size, d.shared, seed + 1).buffer, dFrom, dLen);
      const len = c % (Math.min(sLen, dLen) + 1);
      const srcAt = a % (sLen - len + 1);
      const dstAt = b % (dLen - len + 1);
      checkCopy(src, dst, srcAt, dstAt, len);
    }), { numRuns: 2000 });
  });

  test('one word view per source array: repeated copies from a few regions make no new ones', () => {
    const regions = [patterned(65536, false, 3), patterned(65536, false, 4), patterned(4096, true, 5)];
    const dst = new Uint8Array(new SharedArrayBuffer(16384));
    const cp = new FrameCopier(dst);
    for (let i = 0; i < 3000; i++) {
      const r = regions[i % 3];
      const len = 16 + ((i * 97) % 3000);
      const at = (i * 331) % (r.length - len);
      const dAt = (i * 8) % (dst.length - len);
      cp.copy(dAt, r, at, len);
      expect(firstDiff(dst.subarray(dAt, dAt + len), r.subarray(at, at + len))).toBe(-1);
    }
    expect(cp.views).toBe(3);
    // copies too short for the word loop never need a view
    cp.copy(0, patterned(100, false, 6), 3, 15);
    expect(cp.views).toBe(3);
  });

  test('more sources than slots take turns and stay correct', () => {
    const sources = Array.from({ length: COPIER_SLOTS + 3 }, (_, k) => patterned(500 + k, k % 2 === 0, k));
    const dst = new Uint8Array(1024);
    const cp = new FrameCopier(dst);
    for (let round = 0; round < 3; round++) {
      for (const [k, src] of sources.entries()) {
        const at = (k + round) % 7;
        cp.copy(round, src, at, 400);
        expect(firstDiff(dst.subarray(round, round + 400), src.subarray(at, at + 400))).toBe(-1);
      }
    }
    expect(cp.views).toBe(3 * sources.length);
  });

  test('a range outside either array is refused, even when it lies inside the underlying buffer', () => {
    const buf = new ArrayBuffer(256);
    const src = new Uint8Array(buf, 16, 100);
    const cp = new FrameCopier(new Uint8Array(buf, 128, 64));
    expect(() => cp.copy(0, src, 90, 20)).toThrow(RangeError);
    expect(() => cp.copy(50, src, 0, 20)).toThrow(RangeError);
    expect(() => cp.copy(-1, src, 0, 20)).toThrow(RangeError);
    expect(() => cp.copy(0, src, -1, 20)).toThrow(RangeError);
    expect(() => cp.copy(0, src, 0, -1)).toThrow(RangeError);
    expect(new Uint8Array(buf, 128, 64).every((x) => x === 0)).toBe(true);
  });
});
