// Versions: what VERSION says, what each command allows, the CNI error object and the codes' one home.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { asCniError, CNI_CODE, CniError, cniErrorJson } from '../../../src/cni/cni-error.js';
import { CNI_COMMANDS } from '../../../src/cni/cni-env.js';
import { compareVersions, CURRENT_VERSION, requireVersion, SUPPORTED_VERSIONS, versionReply } from '../../../src/cni/versions.js';
import { cniErr } from './cni-expect.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('versions', () => {
  test('VERSION\'s reply', () => {
    expect(JSON.parse(versionReply())).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    expect(CURRENT_VERSION).toBe(SUPPORTED_VERSIONS.at(-1));
  });

  test('compareVersions: major.minor.micro as integers; "" is 0.1.0', () => {
    expect(compareVersions('0.3.1', '0.4.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0', '0.4.0')).toBeGreaterThan(0);
    expect(compareVersions('0.10.0', '0.9.0')).toBeGreaterThan(0);
    expect(compareVersions('1.1', '1.1.0')).toBe(0);
    expect(compareVersions('1', '1.0.0')).toBe(0);
    expect(compareVersions('', '0.1.0')).toBe(0);
    for (const bad of ['x', '1.0.0.0', '1..0', '1.0.a', '-1.0.0', ' 1.0.0']) {
      expect(cniErr(() => compareVersions(bad, '1.0.0')).cniCode).toBe(CNI_CODE.DECODE_FAILED);
    }
  });

  test('ADD, DEL: every supported version; 0.1.0, 0.2.0, none and unknown ones refused with error 1', () => {
    for (const c of ['ADD', 'DEL'] as const) {
      for (const v of SUPPORTED_VERSIONS) expect(() => requireVersion(c, v)).not.toThrow();
      for (const v of ['0.1.0', '0.2.0', '', '2.0.0', '1.0', 'x']) {
        const e = cniErr(() => requireVersion(c, v));
        expect([e.cniCode, e.message]).toEqual([1, 'incompatible CNI versions']);
        expect(e.details).toBe(`config is ${JSON.stringify(v || '0.1.0')}, plugin supports ["0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]`);
      }
    }
  });

  test('CHECK needs 0.4.0 or later', () => {
    for (const v of ['0.4.0', '1.0.0', '1.1.0']) expect(() => requireVersion('CHECK', v)).not.toThrow();
    for (const v of ['0.3.0', '0.3.1', '0.2.0', '']) {
      const e = cniErr(() => requireVersion('CHECK', v));
      expect([e.cniCode, e.message]).toEqual([1, 'config version does not allow CHECK']);
    }
    expect(cniErr(() => requireVersion('CHECK', 'x')).cniCode).toBe(6);
  });

  test('STATUS and GC need 1.1.0', () => {
    for (const c of ['STATUS', 'GC'] as const) {
      expect(() => requireVersion(c, '1.1.0')).not.toThrow();
      for (const v of ['1.0.0', '0.4.0', '0.3.1']) {
        const e = cniErr(() => requireVersion(c, v));
        expect([e.cniCode, e.message]).toEqual([1, `config version does not allow ${c}`]);
      }
      expect(cniErr(() => requireVersion(c, '1.2.0')).message).toBe('incompatible CNI versions');
    }
  });

  test('VERSION takes any config version', () => {
    for (const v of ['', '0.1.0', 'x']) expect(() => requireVersion('VERSION', v)).not.toThrow();
    expect(CNI_COMMANDS).toContain('VERSION');
  });
});

describe('the error object', () => {
  test('cniVersion, code, msg; details only when there are some', () => {
    expect(JSON.parse(cniErrorJson(new CniError(7, 'bad'), '1.0.0'))).toEqual({ cniVersion: '1.0.0', code: 7, msg: 'bad' });
    expect(JSON.parse(cniErrorJson(new CniError(1, 'x', 'more'), '0.4.0'))).toEqual({ cniVersion: '0.4.0', code: 1, msg: 'x', details: 'more' });
    expect(cniErrorJson(new CniError(11, 'a\nb', 'c\r\nd'), '1.1.0')).toBe('{"cniVersion":"1.1.0","code":11,"msg":"a b","details":"c d"}');
  });

  test('anything else thrown becomes the internal error with its message, never a stack', () => {
    const e = asCniError(new TypeError('boom'));
    expect([e.cniCode, e.message]).toEqual([999, 'boom']);
    expect(asCniError('x').message).toBe('x');
    expect(asCniError(new Error('')).message).toBe('internal error');
    const same = new CniError(3, 'gone');
    expect(asCniError(same)).toBe(same);
  });

  test('the codes are the specification\'s, in the catalog', () => {
    expect(CNI_CODE).toEqual({
      INCOMPATIBLE_VERSION: 1, UNSUPPORTED_FIELD: 2, UNKNOWN_CONTAINER: 3, INVALID_ENV: 4, IO_FAILURE: 5,
      DECODE_FAILED: 6, INVALID_CONFIG: 7, TRY_AGAIN_LATER: 11, NOT_AVAILABLE: 50, INTERNAL: 999,
    });
    const catalog = readFileSync(join(ROOT, 'src', 'errors', 'catalog.ts'), 'utf8');
    expect(catalog).toContain('export const CNI_CODE');
  });

  test('no other file of src/cni writes a CNI code as a bare number', () => {
    for (const f of ['cni-env.ts', 'netconf.ts', 'result.ts', 'versions.ts', 'check.ts', 'mac.ts', 'cni-error.ts']) {
      const text = readFileSync(join(ROOT, 'src', 'cni', f), 'utf8');
      expect(text, f).not.toMatch(/new CniError\(\s*\d/);
    }
  });
});
