// CNI_ environment and CNI_ARGS, as the specification and the reference's skel and types.LoadArgs read them.

import { describe, expect, test } from 'vitest';
import { CNI_CODE } from '../../../src/cni/cni-error.js';
import { CNI_COMMANDS, parseCniArgs, parseCniEnv, REQUIRED_ENV } from '../../../src/cni/cni-env.js';
import { cniErr } from './cni-expect.js';

const FULL = {
  CNI_CONTAINERID: 'abc-1.x_y', CNI_NETNS: '/run/netns/ucs-a', CNI_IFNAME: 'net1', CNI_PATH: '/usr/lib/cni', CNI_ARGS: 'A=b',
};

describe('parseCniEnv', () => {
  test('every command with every variable set', () => {
    for (const c of CNI_COMMANDS) {
      expect(parseCniEnv({ ...FULL, CNI_COMMAND: c })).toEqual({
        command: c, containerId: 'abc-1.x_y', netns: '/run/netns/ucs-a', ifname: 'net1', args: 'A=b', path: '/usr/lib/cni',
      });
    }
  });

  test('the required variables per command are the specification\'s', () => {
    expect(REQUIRED_ENV).toEqual({
      ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
      CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
      DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
      GC: ['CNI_PATH'],
      STATUS: [],
      VERSION: [],
    });
  });

  for (const c of CNI_COMMANDS) {
    for (const v of REQUIRED_ENV[c]) {
      test(`${c} without ${v}: error 4 naming it (unset or empty)`, () => {
        for (const value of [undefined, '']) {
          const e = cniErr(() => parseCniEnv({ ...FULL, CNI_COMMAND: c, [v]: value }));
          expect(e.cniCode).toBe(CNI_CODE.INVALID_ENV);
          expect(e.message).toBe(`required env variables [${v}] missing`);
        }
      });
    }
  }

  test('every missing variable is named, in skel\'s order', () => {
    const e = cniErr(() => parseCniEnv({ CNI_COMMAND: 'ADD' }));
    expect([e.cniCode, e.message]).toEqual([4, 'required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing']);
  });

  test('what a command does not need may be missing', () => {
    expect(parseCniEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0' }).netns).toBe('');
    expect(parseCniEnv({ CNI_COMMAND: 'VERSION' }).command).toBe('VERSION');
    expect(parseCniEnv({ CNI_COMMAND: 'STATUS' }).command).toBe('STATUS');
    expect(parseCniEnv({ CNI_COMMAND: 'GC', CNI_PATH: '/x' }).path).toBe('/x');
    expect(parseCniEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/n', CNI_IFNAME: 'e' }).path).toBe('');
  });

  test('no CNI_COMMAND, or an unknown one: error 4', () => {
    const none = cniErr(() => parseCniEnv({ ...FULL }));
    expect([none.cniCode, none.message]).toEqual([4, 'required env variables [CNI_COMMAND] missing']);
    for (const c of ['add', 'INIT', 'FINALIZE', ' ADD']) {
      const e = cniErr(() => parseCniEnv({ ...FULL, CNI_COMMAND: c }));
      expect([e.cniCode, e.message]).toEqual([4, `unknown CNI_COMMAND: ${c}`]);
    }
  });

  test('a container ID the specification does not allow: error 4', () => {
    for (const id of ['-a', '.a', 'a b', 'a/b', 'a:b', 'ä']) {
      const e = cniErr(() => parseCniEnv({ ...FULL, CNI_COMMAND: 'ADD', CNI_CONTAINERID: id }));
      expect([e.cniCode, e.message]).toEqual([4, 'invalid characters in containerID']);
    }
  });

  test('an interface name the kernel would refuse: error 4 naming CNI_IFNAME', () => {
    for (const n of ['a'.repeat(16), '.', '..', 'a/b', 'a:b', 'a b', 'a%d']) {
      const e = cniErr(() => parseCniEnv({ ...FULL, CNI_COMMAND: 'ADD', CNI_IFNAME: n }));
      expect(e.cniCode).toBe(4);
      expect(e.message).toMatch(/^invalid CNI_IFNAME: /);
    }
    expect(parseCniEnv({ ...FULL, CNI_COMMAND: 'ADD', CNI_IFNAME: 'a'.repeat(15) }).ifname).toHaveLength(15);
  });
});

describe('parseCniArgs (types.LoadArgs into MacEnvArgs)', () => {
  test('empty: nothing', () => {
    expect(parseCniArgs('')).toEqual({ mac: null, ignoreUnknown: false });
  });

  test('MAC=…, in any of Go\'s 48-bit notations', () => {
    for (const t of ['02:00:00:00:00:05', '02-00-00-00-00-05', '0200.0000.0005', '02:00:00:00:00:05'.toUpperCase()]) {
      expect(parseCniArgs(`MAC=${t}`).mac).toBe(0x02_00_00_00_00_05);
    }
    expect(parseCniArgs('MAC=').mac).toBeNull();
  });

  test('keys are Go field names and match exactly', () => {
    const e = cniErr(() => parseCniArgs('mac=02:00:00:00:00:05'));
    expect([e.cniCode, e.message]).toEqual([4, 'ARGS: unknown args ["mac=02:00:00:00:00:05"]']);
  });

  test('an unknown key is an error unless IgnoreUnknown is true, wherever it stands', () => {
    const e = cniErr(() => parseCniArgs('K8S_POD_NAME=p;FOO=1'));
    expect(e.message).toBe('ARGS: unknown args ["K8S_POD_NAME=p" "FOO=1"]');
    for (const on of ['1', 'true', 'TRUE', 'True']) {
      expect(parseCniArgs(`K8S_POD_NAME=p;IgnoreUnknown=${on};MAC=02:00:00:00:00:07`)).toEqual({ mac: 0x020000000007, ignoreUnknown: true });
    }
    for (const off of ['0', 'false', 'FALSE']) {
      expect(cniErr(() => parseCniArgs(`IgnoreUnknown=${off};X=1`)).message).toBe('ARGS: unknown args ["X=1"]');
    }
    expect(parseCniArgs('IgnoreUnknown=0')).toEqual({ mac: null, ignoreUnknown: false });
  });

  test('IgnoreUnknown with another value: error 4 in LoadArgs\' words', () => {
    const e = cniErr(() => parseCniArgs('IgnoreUnknown=yes'));
    expect([e.cniCode, e.message]).toEqual([4, 'ARGS: error parsing value of pair "IgnoreUnknown=yes": boolean unmarshal error: invalid input yes']);
  });

  test('a pair without exactly one "=": error 4, even with IgnoreUnknown', () => {
    for (const [args, pair] of [['A', 'A'], ['A=1=2', 'A=1=2'], ['IgnoreUnknown=1;', ''], [';', '']]) {
      const e = cniErr(() => parseCniArgs(args));
      expect([e.cniCode, e.message]).toEqual([4, `ARGS: invalid pair ${JSON.stringify(pair)}`]);
    }
  });

  test('a MAC that is not a unicast 48-bit MAC: error 4', () => {
    for (const m of ['zz', '02:00:00:00:00', '01:00:5e:00:00:01', '00:00:00:00:00:00', '02:00:00:00:00:05:06:07', '2:0:0:0:0:5', '02:00-00:00:00:05']) {
      expect(cniErr(() => parseCniArgs(`MAC=${m}`)).cniCode).toBe(4);
    }
  });
});
