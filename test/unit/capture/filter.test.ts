// compileFilter over a fake addon: each native answer becomes the right program or the right error.
import { describe, expect, test } from 'vitest';
import { compileFilter, type BpfNative } from '../../../src/capture/filter.js';
import { CaptureError, NO_LIBPCAP_MESSAGE } from '../../../src/capture/errors.js';

const fake = (r: Uint32Array | string | number): BpfNative & { calls: [string, number][] } => {
  const calls: [string, number][] = [];
  return { calls, bpfCompile: (e, s) => { calls.push([e, s]); return r; } };
};
const err = (f: () => unknown): CaptureError => {
  try { f(); } catch (e) { return e as CaptureError; }
  throw new Error('did not throw');
};

describe('compileFilter', () => {
  test('a program comes back as is, after the check; expression and snaplen go to libpcap', () => {
    const prog = Uint32Array.of(0x28, 0, 0, 12, 0x15, 0, 1, 0x806, 6, 0, 0, 96, 6, 0, 0, 0);
    const n = fake(prog);
    expect(compileFilter('arp', 96, n)).toBe(prog);
    expect(n.calls).toEqual([['arp', 96]]);
  });

  test('no libpcap: exactly one line naming the Debian package', () => {
    const e = err(() => compileFilter('arp', 96, fake(-2)));
    expect(e).toBeInstanceOf(CaptureError);
    expect(e.code).toBe('UMV_ERR_NO_LIBPCAP');
    expect(e.message).toBe(NO_LIBPCAP_MESSAGE);
    expect(e.message).toBe('--capture-filter needs libpcap: apt-get install libpcap0.8');
  });

  test("a syntax error carries libpcap's text and the expression", () => {
    const e = err(() => compileFilter('arp and', 96, fake("can't parse filter expression: syntax error")));
    expect(e.code).toBe('UMV_ERR_CAPTURE_FILTER');
    expect(e.message).toBe(`--capture-filter "arp and": can't parse filter expression: syntax error`);
    expect(e.subject).toBe('arp and');
  });

  test('a library without the functions we need', () => {
    const e = err(() => compileFilter('arp', 96, fake(-38)));
    expect(e.code).toBe('UMV_ERR_CAPTURE_FILTER');
    expect(e.errno).toBe('ENOSYS');
  });

  test('a program the interpreter would refuse is refused here, at start', () => {
    const e = err(() => compileFilter('arp', 96, fake(Uint32Array.of(0xff, 0, 0, 0))));
    expect(e.code).toBe('UMV_ERR_CAPTURE_FILTER');
    expect(e.message).toMatch(/cannot run here: .*unknown opcode/);
  });
});
