import { test, expect } from 'vitest';
import { IfaceError, check } from '../../../src/io/errors.js';

test('IfaceError names the interface, the operation and the errno, in both forms', () => {
  const e = new IfaceError('umi1p0', 'SIOCGIFINDEX', 19);
  expect(e).toBeInstanceOf(Error);
  expect(e).toMatchObject({ name: 'IfaceError', ifname: 'umi1p0', op: 'SIOCGIFINDEX', errno: 19, code: 'ENODEV' });
  expect(e.message).toBe('umi1p0: SIOCGIFINDEX: ENODEV');
  expect(new IfaceError('t', 'TUNSETIFF', -16).code).toBe('EBUSY');  // a native -errno works too
});

test('check passes results through and throws on -errno', () => {
  expect(check(5, 'x', 'op')).toBe(5);
  expect(() => check(-1, 'x', 'op')).toThrow(expect.objectContaining({ code: 'EPERM', ifname: 'x' }));
});
