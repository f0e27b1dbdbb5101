// UsageError: one line, starting with the culprit, user text escaped and clipped.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { clip, oneLine, problem, quote, UsageError } from '../../../src/control/usage-error.js';

describe('UsageError', () => {
  test('field, then the echoed value, then the detail', () => {
    const e = new UsageError('--child', 'bad MAC "zz"', 'UMV_ERR_USAGE', 'a:zz:bridge');
    expect(e.message).toBe('--child a:zz:bridge: bad MAC "zz"');
    expect(e.field).toBe('--child');
    expect(e.code).toBe('UMV_ERR_USAGE');
    expect(e.name).toBe('UsageError');
    expect(e).toBeInstanceOf(Error);
    expect(new UsageError('config children[2].mdoe', 'unknown key').message).toBe('config children[2].mdoe: unknown key');
  });
  test('of(): a Problem keeps its code', () => {
    const e = UsageError.of(problem('x', 'UMV_ERR_DUP_MAC'), 'f', 'v');
    expect([e.code, e.message]).toEqual(['UMV_ERR_DUP_MAC', 'f v: x']);
  });
  test('an empty field is never empty in the message', () => {
    const e = new UsageError('', 'x');
    expect(e.field).toBe('""');
    expect(e.message).toBe('"": x');
  });
  test('escapes line breaks and control characters, char by char', () => {
    expect(oneLine('a\nb\r\u0000\u007f\u0085\u2028\u2029c')).toBe('a\\x0ab\\x0d\\x00\\x7f\\x85\\u2028\\u2029c');
    expect(oneLine('é ok')).toBe('é ok');
  });
  test('quote and clip', () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(clip('x'.repeat(64))).toBe('x'.repeat(64));
    expect(clip('x'.repeat(65))).toBe(`${'x'.repeat(64)}…`);
  });
  test('any input gives one line that starts with the field', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 }),
      fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: undefined }), (field, detail, value) => {
        const e = new UsageError(field, detail, 'UMV_ERR_USAGE', value);
        expect(e.message).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
        expect(e.field.length).toBeGreaterThan(0);
        expect(e.message.startsWith(e.field)).toBe(true);
      }), { seed: 0x0e1, numRuns: 2000 });
  });
});
