// `run --host-port NAME[:MAC] --host-port-addr CIDR` and the config keys hostPort / hostPortAddr: the values, the
// refusals (each naming the option, exit 2), and the kernel's child rules applied to the host port.

import { describe, expect, test } from 'vitest';
import { parseCommand, type Command } from '../../../src/control/args.js';
import { exitOf } from '../../../src/errors/catalog.js';
import { UsageError } from '../../../src/control/usage-error.js';
import { parseIfAddr } from '../../../src/values/addresses.js';
import { parseHostPort } from '../../../src/values/run-settings.js';
import { canonicalIp } from '../../../src/wire/ip-address.js';

const run = (argv: string[], file?: string): Command | UsageError =>
  parseCommand(['run', '--parent', 'p0', ...argv], () => file ?? '{}');
const cfg = (r: Command | UsageError) => {
  if (r instanceof UsageError || r.kind !== 'run') throw new Error(String(r instanceof UsageError ? r.message : r.kind));
  return r.config;
};
const refusal = (r: Command | UsageError): UsageError => {
  if (!(r instanceof UsageError)) throw new Error('accepted');
  expect(exitOf(r)).toBe(2);
  return r;
};

describe('host port values', () => {
  test('NAME or NAME:MAC; no MAC is auto', () => {
    expect(parseHostPort('hp0')).toEqual({ name: 'hp0', mac: 'auto' });
    expect(parseHostPort('hp0:02:00:00:00:00:09')).toEqual({ name: 'hp0', mac: 0x0200_0000_0009 });
    expect(parseHostPort('hp0:auto')).toEqual({ name: 'hp0', mac: 'auto' });
    expect(parseHostPort('')).toMatchObject({ detail: 'empty name' });
    expect(parseHostPort('all')).toMatchObject({ detail: expect.stringMatching(/reserved/) });
    expect(parseHostPort('a-name-longer-than-15')).toMatchObject({ detail: expect.stringMatching(/longer than 15/) });
    expect(parseHostPort('hp0:01:00:5e:00:00:01')).toMatchObject({ code: 'UMV_ERR_BAD_MAC' });
    expect(parseHostPort('hp0:zz')).toMatchObject({ detail: expect.stringMatching(/bad MAC/) });
    expect(parseHostPort('hp0:')).toMatchObject({ detail: expect.stringMatching(/bad MAC/) });
  });

  test('CIDR: IPv4 or IPv6, canonical, a host prefix when none is given', () => {
    expect(parseIfAddr('198.18.0.1/24')).toEqual({ addr: '198.18.0.1', prefix: 24 });
    expect(parseIfAddr('198.18.0.1')).toEqual({ addr: '198.18.0.1', prefix: 32 });
    expect(parseIfAddr('FD00:0::1/64')).toEqual({ addr: 'fd00::1', prefix: 64 });
    expect(parseIfAddr('fd00::1')).toEqual({ addr: 'fd00::1', prefix: 128 });
    for (const bad of ['', '198.18.0.1/33', 'fd00::1/129', '198.18.0.1/', '198.18.0.1/024', '198.18.0.256/24', 'host/24',
      'fe80::1%eth0/64', '198.18.0.1/24/1', ' 198.18.0.1/24']) {
      expect(parseIfAddr(bad), bad).toHaveProperty('detail');
    }
    expect(parseIfAddr('224.0.0.1/32')).toMatchObject({ detail: expect.stringMatching(/multicast/) });
    expect(parseIfAddr('ff02::1/128')).toMatchObject({ detail: expect.stringMatching(/multicast/) });
    expect(parseIfAddr('0.0.0.0/0')).toMatchObject({ detail: expect.stringMatching(/unspecified/) });
    expect(parseIfAddr('::/0')).toMatchObject({ detail: expect.stringMatching(/unspecified/) });
    expect(canonicalIp('::ffff:198.18.0.1')).toBe('::ffff:c612:1');
  });
});

describe('run options', () => {
  test('absent: no host port', () => {
    expect(cfg(run([])).hostPort).toBeUndefined();
  });

  test('from flags, and the same from the config file', () => {
    const want = { name: 'hp0', mac: 0x0200_0000_0009, addrs: [{ addr: '198.18.0.1', prefix: 24 }, { addr: 'fd00::1', prefix: 64 }] };
    expect(cfg(run(['--host-port', 'hp0:02:00:00:00:00:09', '--host-port-addr', '198.18.0.1/24', '--host-port-addr', 'fd00::1/64'])).hostPort).toEqual(want);
    expect(cfg(run(['--config', 'f'], '{"hostPort": "hp0:02:00:00:00:00:09", "hostPortAddr": ["198.18.0.1/24", "fd00::1/64"]}')).hostPort).toEqual(want);
    expect(cfg(run(['--host-port', 'hp0'])).hostPort).toEqual({ name: 'hp0', mac: 'auto', addrs: [] });
  });

  test('a flag and the file: equal or one of them; different ones are refused', () => {
    const file = '{"hostPort": "hp0", "hostPortAddr": ["198.18.0.1/24"]}';
    expect(cfg(run(['--config', 'f', '--host-port', 'hp0', '--host-port-addr', '198.18.0.1/24'], file)).hostPort?.addrs).toHaveLength(1);
    expect(refusal(run(['--config', 'f', '--host-port', 'hp1'], file)).message).toMatch(/^--host-port hp1: disagrees with config hostPort/);
    expect(refusal(run(['--config', 'f', '--host-port-addr', '198.18.0.2/24'], file)).message)
      .toMatch(/^--host-port-addr 198\.18\.0\.2\/24: disagrees with config hostPortAddr = 198\.18\.0\.1\/24/);
  });

  test('bad values: exit 2, naming the option or the key', () => {
    expect(refusal(run(['--host-port', 'a/b'])).message).toMatch(/^--host-port a\/b: /);
    expect(refusal(run(['--host-port', 'hp0:ff:ff:ff:ff:ff:ff'])).message).toMatch(/^--host-port hp0:ff:ff:ff:ff:ff:ff: MAC .* multicast/);
    expect(refusal(run(['--host-port', 'hp0', '--host-port-addr', '198.18.0.300/24'])).message).toMatch(/^--host-port-addr 198\.18\.0\.300\/24: bad address/);
    expect(refusal(run(['--host-port'])).message).toMatch(/--host-port/);
    expect(refusal(run(['--config', 'f'], '{"hostPort": 5}')).message).toMatch(/^config hostPort: expected a string/);
    expect(refusal(run(['--config', 'f'], '{"hostPort": "h", "hostPortAddr": "198.18.0.1/24"}')).message).toMatch(/^config hostPortAddr: expected an array/);
    expect(refusal(run(['--config', 'f'], '{"hostPort": "h", "hostPortAddr": ["198.18.0.1/24", 7]}')).message).toMatch(/^config hostPortAddr\[1\]: expected a string/);
    expect(refusal(run(['--config', 'f'], '{"hostPort": "h", "hostPortAddr": ["fd00::1/200"]}')).message).toMatch(/^config hostPortAddr\[0\]: prefix length 200 .*0.128/);
  });

  test('addresses need the port, and each address is given once', () => {
    expect(refusal(run(['--host-port-addr', '198.18.0.1/24'])).message).toMatch(/^--host-port-addr 198\.18\.0\.1\/24: needs --host-port/);
    expect(refusal(run(['--host-port', 'h', '--host-port-addr', '198.18.0.1/24', '--host-port-addr', '198.18.0.1/16'])).message)
      .toMatch(/^--host-port-addr 198\.18\.0\.1\/16: address 198\.18\.0\.1 is already given by --host-port-addr 198\.18\.0\.1\/24/);
  });

  test('the child rules: a name of its own, a MAC of its own, never beside a passthru child', () => {
    const dupName = refusal(run(['--child', 'c1:02:00:00:00:00:01:bridge', '--host-port', 'c1']));
    expect(dupName.message).toMatch(/^--host-port c1: name "c1" is already taken by --child c1:/);
    expect(dupName.code).toBe('UMV_ERR_DUP_NAME');
    const dupMac = refusal(run(['--child', 'c1:02:00:00:00:00:01:bridge', '--host-port', 'h:02:00:00:00:00:01']));
    expect(dupMac.code).toBe('UMV_ERR_DUP_MAC');
    expect(dupMac.message).toMatch(/^--host-port h:02:00:00:00:00:01: MAC 02:00:00:00:00:01 is already used by --child c1/);
    const pt = refusal(run(['--child', 'c1:auto:passthru', '--host-port', 'h']));
    expect(pt.code).toBe('UMV_ERR_PASSTHRU_NOT_ALONE');
    expect(pt.message).toMatch(/^--host-port h: the parent already has a passthru child \(--child c1:auto:passthru\)/);
    // an auto MAC never clashes (it is picked among the free ones at start)
    expect(cfg(run(['--child', 'c1:02:00:00:00:00:01:bridge', '--host-port', 'h'])).hostPort?.name).toBe('h');
  });

  test('a capture may name the host port', () => {
    expect(cfg(run(['--host-port', 'h', '--capture', '/tmp/x.pcapng', '--capture-port', 'h'])).capture?.port).toBe('h');
  });
});
