// The child grammar: every accepted and refused example, the kernel's address rules, round trips.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Flag, Mode, type ModeBit } from '../../../src/core/constants.js';
import { parseMac } from '../../../src/wire/ethernet.js';
import { parseChild } from '../../../src/control/child-spec.js';
import { parseCommand } from '../../../src/control/args.js';
import { checkAdd, checkSetMtu, MTU_MAX, MTU_MIN } from '../../../src/core/rules.js';
import { PortTable } from '../../../src/core/port-table.js';
import type { ChildConfig } from '../../../src/control/child-config.js';
import { clip, oneLine, UsageError } from '../../../src/control/usage-error.js';
import { childArb, formatChild } from './arbitraries.js';

const mac = (s: string): number => parseMac(s);

function ok(text: string): ChildConfig {
  const r = parseChild(text);
  if (r instanceof UsageError) throw new Error(`expected ${text} to parse, got: ${r.message}`);
  return r;
}
function refused(text: string): UsageError {
  const r = parseChild(text);
  if (!(r instanceof UsageError)) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(r)}`);
  return r;
}

describe('accepted examples of the child grammar', () => {
  test('a:02:00:00:00:00:01:bridge', () => {
    expect(ok('a:02:00:00:00:00:01:bridge')).toEqual({
      name: 'a', mac: mac('02:00:00:00:00:01'), mode: Mode.BRIDGE, flags: 0, macaddr: [],
    });
  });
  test('b:auto:vepa:mtu=1400', () => {
    expect(ok('b:auto:vepa:mtu=1400')).toEqual({ name: 'b', mac: 'auto', mode: Mode.VEPA, flags: 0, macaddr: [], mtu: 1400 });
  });
  test('t:02:00:00:00:00:09:passthru:nopromisc', () => {
    expect(ok('t:02:00:00:00:00:09:passthru:nopromisc')).toEqual({
      name: 't', mac: mac('02:00:00:00:00:09'), mode: Mode.PASSTHRU, flags: Flag.NOPROMISC, macaddr: [],
    });
  });
  test('s0:…:source:macaddr=A,B:nodst', () => {
    expect(ok('s0:02:00:00:00:00:05:source:macaddr=02:aa:00:00:00:01,02:aa:00:00:00:02:nodst')).toEqual({
      name: 's0', mac: mac('02:00:00:00:00:05'), mode: Mode.SOURCE, flags: Flag.NODST,
      macaddr: [mac('02:aa:00:00:00:01'), mac('02:aa:00:00:00:02')],
    });
  });
  test('every mode by name', () => {
    const modes: [string, ModeBit][] = [['private', 1], ['vepa', 2], ['bridge', 4], ['passthru', 8], ['source', 16]];
    for (const [name, bit] of modes) expect(ok(`c:auto:${name}`).mode).toBe(bit);
  });
  test('upper-case hex, nodst on any mode, options in any order', () => {
    expect(ok('c:02:AB:cd:EF:00:01:private:nodst:mtu=68')).toMatchObject({
      mac: mac('02:ab:cd:ef:00:01'), mode: Mode.PRIVATE, flags: Flag.NODST, mtu: 68,
    });
    expect(ok('s:auto:source:mtu=65535:nodst:macaddr=02:00:00:00:00:0a').macaddr).toEqual([mac('02:00:00:00:00:0a')]);
  });
  test('names: 15 bytes, dots and dashes, not-quite-reserved words', () => {
    expect(ok('abcdefghijklmno:auto:bridge').name).toBe('abcdefghijklmno');
    for (const n of ['a.b', '-x', 'parent0', 'All', 'PARENT', 'e=1', '...']) expect(ok(`${n}:auto:vepa`).name).toBe(n);
  });
  test('a MAC listed twice in macaddr is kept once, as the kernel does', () => {
    expect(ok('s:auto:source:macaddr=02:aa:00:00:00:01,02:AA:00:00:00:01').macaddr).toEqual([mac('02:aa:00:00:00:01')]);
  });
});

describe('refused examples of the child grammar, one line naming the culprit', () => {
  const cases: [string, string][] = [
    ['a:02:00:00:00:00:01', '--child a:02:00:00:00:00:01: no mode'],
    ['a:zz:bridge', '--child a:zz:bridge: bad MAC "zz"'],
    ['a:auto:sideways', '--child a:auto:sideways: bad mode "sideways"'],
    ['a:auto:bridge:macaddr=02:aa:00:00:00:01', '--child a:auto:bridge:macaddr=02:aa:00:00:00:01: macaddr is for source mode only, not bridge'],
    ['toolongname012345:auto:bridge', '--child toolongname012345:auto:bridge: name "toolongname012345" is longer than 15 bytes'],
  ];
  test.each(cases)('%s', (text, start) => {
    const e = refused(text);
    expect(e.message.startsWith(start)).toBe(true);
    expect(e.message).not.toContain('\n');
    expect(e.field).toBe('--child');
    expect(e.code).toBe('UMV_ERR_USAGE');
  });
});

describe('more refusals', () => {
  const cases: [string, RegExp][] = [
    ['', /: empty name$/],
    ['a', /no MAC/],
    ['a:', /no MAC/],
    ['a:auto', /no mode/],
    ['a:auto:', /no mode/],
    [':auto:bridge', /empty name/],
    ['a/b:auto:bridge', /contains "\/"/],
    ['a%d:auto:bridge', /contains "%"/],
    ['a b:auto:bridge', /contains white space/],
    ['a\tb:auto:bridge', /contains white space/],
    ['.:auto:bridge', /not allowed/],
    ['..:auto:bridge', /not allowed/],
    ['parent:auto:bridge', /name "parent" is reserved/],
    ['all:auto:bridge', /name "all" is reserved/],
    ['ééééééééé:auto:bridge', /longer than 15 bytes/], // 9 characters, 18 bytes: IFNAMSIZ counts bytes
    ['a:AUTO:bridge', /bad MAC "AUTO"/],
    ['a:autox:bridge', /bad MAC "autox"/],
    ['a:02:00:00:00:00:0g:bridge', /bad MAC "02:00:00:00:00:0g"/],
    ['a:2:0:0:0:0:1:bridge', /bad MAC "2:0:0:0:0:1"/],
    ['a:02-00-00-00-00-01:bridge', /bad MAC "02-00-00-00-00-01"/],
    ['a:02:00:00:00:00:01:02:bridge', /bad mode "02"/],
    ['a:auto:Bridge', /bad mode "Bridge"/],
    ['a:auto:bridge:', /empty option/],
    ['a:auto:bridge::nodst', /empty option/],
    ['a:auto:bridge:nodst:nodst', /option "nodst" given twice/],
    ['a:auto:bridge:mtu=1400:mtu=1500', /option "mtu" given twice/],
    ['a:auto:bridge:NODST', /unknown option "NODST"/],
    ['a:auto:bridge:promisc', /unknown option "promisc"/],
    ['a:auto:bridge:nodst=1', /"nodst" takes no value/],
    ['a:auto:bridge:mtu', /"mtu" needs a value/],
    ['a:auto:bridge:mtu=', /bad mtu ""/],
    ['a:auto:bridge:mtu=67', /mtu 67 is out of range \(68–65535\)/],
    ['a:auto:bridge:mtu=65536', /out of range/],
    ['a:auto:bridge:mtu=+1400', /bad mtu "\+1400"/],
    ['a:auto:bridge:mtu=01400', /bad mtu "01400"/],
    ['a:auto:bridge:mtu=1e3', /bad mtu "1e3"/],
    ['a:auto:bridge:mtu=99999999999999999999', /bad mtu/],
    ['a:auto:vepa:nopromisc', /: nopromisc flag only valid in passthru mode$/],
    ['a:auto:source:macaddr=', /bad MAC ""/],
    ['a:auto:source:macaddr=zz:nodst', /bad MAC "zz"/],
    ['a:auto:source:macaddr=02:aa:00:00:00:01,zz', /bad MAC "zz"/],
    ['a:auto:source:macaddr=02:aa:00:00:00:01,:nodst', /bad MAC ""/],
    ['a:auto:source:macaddr=02:aa:00:00:00:01:macaddr=02:aa:00:00:00:02', /"macaddr" given twice/],
  ];
  test.each(cases)('%j', (text, re) => {
    const e = refused(text);
    expect(e.message).toMatch(re);
    expect(e.message.startsWith(`--child ${oneLine(clip(text))}: `)).toBe(true);
  });

  test('multicast and zero MACs: the kernel\'s EADDRNOTAVAIL wording', () => {
    for (const bad of ['01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '03:00:00:00:00:01', '00:00:00:00:00:00']) {
      const e = refused(`a:${bad}:bridge`);
      expect(e.code).toBe('UMV_ERR_BAD_MAC');
      expect(e.message).toMatch(/Cannot assign requested address \(EADDRNOTAVAIL\)$/);
    }
    const e = refused('s:auto:source:macaddr=01:00:5e:00:00:01');
    expect(e.code).toBe('UMV_ERR_BAD_MAC');
  });

  test('the field can be named by the caller', () => {
    expect((parseChild('a:zz:bridge', 'add') as UsageError).message).toBe('add a:zz:bridge: bad MAC "zz"');
  });

  test('user text cannot break the line or flood the message', () => {
    const e = refused('a\nb:auto:bridge');
    expect(e.message).not.toMatch(/[\n\r]/);
    expect(e.message).toContain('a\\x0ab');
    const long = refused(`${'x'.repeat(100_000)}:auto:bridge`);
    expect(long.message.length).toBeLessThan(300);
    for (const sep of ['\u2028', '\u2029', '\r', '\u0085']) expect(refused(`a${sep}:zz:bridge`).message).not.toContain(sep);
  });
});

describe('the MTU bound: one pair of names, in core/rules.ts', () => {
  test('the text form takes MTU_MIN..MTU_MAX and nothing outside', () => {
    expect(ok(`a:auto:bridge:mtu=${MTU_MIN}`).mtu).toBe(MTU_MIN);
    expect(ok(`a:auto:bridge:mtu=${MTU_MAX}`).mtu).toBe(MTU_MAX);
    expect(refused(`a:auto:bridge:mtu=${MTU_MIN - 1}`).message).toMatch(new RegExp(`out of range \\(${MTU_MIN}–${MTU_MAX}\\)$`));
    expect(refused(`a:auto:bridge:mtu=${MTU_MAX + 1}`).message).toMatch(/out of range/);
    const set = parseCommand(['set', 'a', 'mtu', String(MTU_MIN - 1)]);
    expect((set as UsageError).message).toMatch(new RegExp(`out of range \\(${MTU_MIN}–${MTU_MAX}\\)$`));
  });

  test("above the parent's MTU: the rules refuse it once the parent is known, for add and set alike", () => {
    const t = new PortTable(4);
    t.setParent({ mtu: 1500 });
    const added = checkAdd(t, { mtu: 9000 });
    expect(added?.code).toBe('UMV_ERR_MTU');
    expect(added?.errno).toBe('EINVAL');
    expect(checkAdd(t, { mtu: 1500 })).toBeNull();
    t.addChild(1, { mac: 0x020000000001, mode: Mode.BRIDGE, flags: 0, mtu: 1500 });
    expect(checkSetMtu(t, 1, 9000)?.code).toBe('UMV_ERR_MTU');
    expect(checkSetMtu(t, 1, MTU_MIN)).toBeNull();
  });
});

// ---- property tests

describe('properties', () => {
  test('parseChild(formatChild(c)) = c for every valid child', () => {
    fc.assert(fc.property(childArb, (c) => {
      expect(parseChild(formatChild(c))).toEqual(c);
    }), { seed: 0x5eed, numRuns: 3000 });
  });

  test('random text: never throws; a rejection is one line starting with the field', () => {
    const pieces = fc.constantFrom(':', ',', '=', 'auto', 'bridge', 'source', 'passthru', 'macaddr=', 'nodst',
      'nopromisc', 'mtu=', '02:00:00:00:00:01', '01:00:5e:00:00:01', 'zz', '1400', '\n', ' ', 'é', '/', '%', '\u2028');
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.array(pieces, { maxLength: 14 }).map((a) => a.join('')),
      fc.string({ unit: 'binary', maxLength: 40 }));
    fc.assert(fc.property(text, (t) => {
      const r = parseChild(t);
      if (r instanceof UsageError) {
        expect(r.message).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
        expect(r.message.startsWith(`${r.field} `)).toBe(true);
        expect(r.message.length).toBeLessThan(400);
      } else {
        expect(parseChild(formatChild(r))).toEqual(r); // whatever is accepted has a canonical form
      }
    }), { seed: 0xc41d, numRuns: 5000 });
  });

  test('long adversarial input parses in linear time', () => {
    const t0 = performance.now();
    for (const t of [
      `a:auto:source:${'macaddr=02:aa:00:00:00:01,'.repeat(3000)}x`,
      `a:${'0:'.repeat(20000)}bridge`,
      `a:auto:bridge${':m'.repeat(20000)}`,
      `a:auto:source:macaddr=${'aa:'.repeat(20000)}`,
      `a:auto:source:macaddr=${'a,'.repeat(20000)}:nodst`,
    ]) expect(parseChild(t)).toBeInstanceOf(UsageError);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
