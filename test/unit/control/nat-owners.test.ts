// --mac-nat on the control side, over the fake host: the option (flag, file forms, refusals), who owns an address
// (first owner keeps it, static entries win, conflicts refused, logged and counted, aging and DHCP leases), the
// ingress drop kept in step, and a live `add` of a passthru child refused with EINVAL.

import { afterEach, describe, expect, test } from 'vitest';
import { Daemon, DaemonError } from '../../../src/control/daemon.js';
import type { ChildConfig } from '../../../src/control/child-spec.js';
import type { IngressDrop } from '../../../src/control/nat-owners.js';
import { AGE_MS } from '../../../src/control/nat-owners.js';
import { elementLine, ingressTable } from '../../../src/control/nat-ingress.js';
import { parseCommand, type Command } from '../../../src/control/args.js';
import type { RunConfig } from '../../../src/control/run-config.js';
import { UsageError } from '../../../src/control/usage-error.js';
import { EXIT, exitStatus } from '../../../src/errors/catalog.js';
import { Learn, Mode } from '../../../src/core/constants.js';
import { addrWords } from '../../../src/core/nat-address.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

const A = 0x02aa_0000_0001;
const B = 0x02aa_0000_0002;
const child = (name: string, mac: number, mode: number = Mode.BRIDGE): ChildConfig => ({ name, mac, mode: mode as 4, flags: 0, macaddr: [] });

class FakeDrop implements IngressDrop {
  readonly set = new Set<string>();
  closed = false;
  add(a: string): void { this.set.add(a); }
  remove(a: string): void { this.set.delete(a); }
  async close(): Promise<void> { this.closed = true; this.set.clear(); }
}

const running: Daemon[] = [];
afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

async function start(statics: Array<{ ip: string; child: string }> = []) {
  const log = new MemoryLog();
  const drop = new FakeDrop();
  let dp: FakeDatapath | undefined;
  const cfg: RunConfig = { parent: 'p0', children: [child('c1', A), child('c2', B)], log: 'normal', busyPollUs: 0, maxGroups: 1024, macNat: { static: statics } };
  const d = await Daemon.start(cfg, new FakeHost(), log, (t, o) => (dp = new FakeDatapath(t, o)), () => drop);
  running.push(d);
  const learn = (kind: number, slot: number, addr: string, lease = 0): void =>
    dp!.opts.onLearn!({ type: 'learn', kind, slot, addr: addrWords(addr)!, lease });
  const owner = (addr: string): number => d.table.nat.ownerOf(d.table.nat.find(...addrWords(addr)!));
  return { d, dp: dp!, log, drop, learn, owner };
}

function runCfg(args: string[], file?: unknown): RunConfig | UsageError {
  const text = JSON.stringify(file);
  const r = parseCommand(['run', '--parent', 'p', ...args, ...(file === undefined ? [] : ['--config', 'f.json'])],
    () => text);
  return r instanceof UsageError ? r : (r as Extract<Command, { kind: 'run' }>).config;
}

describe('--mac-nat and macNat', () => {
  test('the flag, true, and an object with static entries turn it on; false and absent leave it off', () => {
    expect(runCfg(['--mac-nat'])).toMatchObject({ macNat: { static: [] } });
    expect(runCfg([], { macNat: true })).toMatchObject({ macNat: { static: [] } });
    expect(runCfg(['--child', 'web0:auto:bridge'], { macNat: { static: [{ ip: '198.18.0.5', child: 'web0' }] } }))
      .toMatchObject({ macNat: { static: [{ ip: '198.18.0.5', child: 'web0' }] } });
    expect(runCfg([], { macNat: false })).not.toHaveProperty('macNat');
    expect(runCfg([])).not.toHaveProperty('macNat');
  });

  test('refusals: a passthru child (exit 2), the flag against false, bad static entries', () => {
    const pt = runCfg(['--mac-nat', '--child', 'x:auto:passthru']) as UsageError;
    expect(pt).toBeInstanceOf(UsageError);
    expect([pt.code, exitStatus(pt.code)]).toEqual(['UMV_ERR_NAT_PASSTHRU', EXIT.USAGE]);
    expect((runCfg(['--mac-nat'], { macNat: false }) as UsageError).message).toMatch(/--mac-nat: disagrees with config macNat = false/);
    for (const [file, msg] of [
      [{ macNat: { static: [{ ip: '198.18.0.256', child: 'a' }] } }, /is not an IPv4 or IPv6 address/],
      [{ macNat: { static: [{ ip: '198.18.0.5', child: 'nobody' }] } }, /no child named "nobody"/],
      [{ macNat: { static: [{ ip: '198.18.0.5' }] } }, /child: required/],
      [{ macNat: { statics: [] } }, /unknown key \(did you mean "static"\?\)/],
      [{ macNat: 1 }, /expected true, false or an object/],
    ] as const) {
      const e = runCfg(['--child', 'a:auto:bridge'], file);
      expect(e, JSON.stringify(file)).toBeInstanceOf(UsageError);
      expect((e as UsageError).message).toMatch(msg);
    }
  });

  test('the nft script: a netdev ingress chain on the parent, two sets, elements by family', () => {
    const s = ingressTable('umacvlan_nat_7', 'p0', '02:cc:00:00:00:01');
    expect(s).toContain('type filter hook ingress device "p0" priority 0; policy accept;');
    expect(s).toContain('ether daddr 02:cc:00:00:00:01 ip daddr @v4 drop');
    expect(s).toContain('ether daddr 02:cc:00:00:00:01 ip6 daddr @v6 drop');
    expect(elementLine('t', 'add', 'fd00::5')).toBe('add element netdev t v6 { fd00::5 }\n');
    expect(elementLine('t', 'delete', '198.18.0.5')).toBe('delete element netdev t v4 { 198.18.0.5 }\n');
  });
});

describe('who owns an address', () => {
  test('a claim makes the first claimant the owner (table, worker replica, ingress drop); a second claim is refused', async () => {
    const r = await start();
    r.learn(Learn.CLAIM, 1, '198.18.0.7');
    expect([r.owner('198.18.0.7'), r.dp.replica.nat.count, r.drop.set.has('198.18.0.7')]).toEqual([1, 1, true]);
    r.learn(Learn.CLAIM, 2, '198.18.0.7');
    expect(r.owner('198.18.0.7')).toBe(1);
    expect(r.d.counterRows().find((x) => x.name === 'c2')!.counters.drop_nat_conflict).toBe(1);
    expect(r.log.lines).toContain('warn: mac-nat: child c2 claims 198.18.0.7, which is c1\'s: refused (nat_conflict)');
  });

  test('learned and static addresses reach the address book (the host port routes to them), and leave it', async () => {
    const r = await start([{ ip: 'fd00::5', child: 'c2' }]);
    r.learn(Learn.CLAIM, 1, '198.18.0.7');
    r.learn(Learn.LEASE, 2, '198.18.0.50', 60);
    expect([r.d.book.of('c1'), r.d.book.of('c2').sort()]).toEqual([['198.18.0.7'], ['198.18.0.50', 'fd00::5']]);
    await r.d.delChild('c1');
    expect(r.d.book.of('c1')).toEqual([]);
  });

  test('static entries win over a learned owner and never age', async () => {
    const r = await start([{ ip: '198.18.0.5', child: 'c2' }]);
    expect(r.owner('198.18.0.5')).toBe(2);
    r.learn(Learn.CLAIM, 1, '198.18.0.5');
    expect(r.owner('198.18.0.5')).toBe(2);
    r.d.nat!.sweep();
    expect(r.owner('198.18.0.5')).toBe(2);
  });

  test('aging: AGE_MS after last seen; a DHCP lease keeps it longer; a child removed takes its addresses along', async () => {
    let now = 1_000_000;
    const r = await start();
    // the owners decide on the daemon's clock; swap in a controllable one for this test
    (r.d.nat as unknown as { now: () => number }).now = () => now;
    r.learn(Learn.CLAIM, 1, '198.18.0.7');
    r.learn(Learn.LEASE, 2, '198.18.0.50', 3600);
    now += AGE_MS - 1;
    r.learn(Learn.SEEN, 1, '198.18.0.7');
    now += AGE_MS - 1;
    r.d.nat!.sweep();
    expect([r.owner('198.18.0.7'), r.owner('198.18.0.50')]).toEqual([1, 2]);
    now += 2;
    r.d.nat!.sweep();
    expect([r.owner('198.18.0.7'), r.drop.set.has('198.18.0.7'), r.dp.replica.nat.count]).toEqual([-1, false, 1]);
    now += 3_600_000;
    r.d.nat!.sweep();
    expect(r.owner('198.18.0.50')).toBe(-1);
    r.learn(Learn.CLAIM, 2, 'fd00::9');
    await r.d.delChild('c2');
    expect([r.drop.set.size, r.d.table.nat.count]).toEqual([0, 0]);
  });

  test('a live add of a passthru child on a --mac-nat daemon: EINVAL, nothing added; stop removes the drop', async () => {
    const r = await start();
    expect(() => r.d.addChild(child('pt', 0x02aa_0000_0009, Mode.PASSTHRU))).toThrow(DaemonError);
    try { r.d.addChild(child('pt', 0x02aa_0000_0009, Mode.PASSTHRU)); } catch (e) {
      expect((e as DaemonError).code).toBe('UMV_ERR_NAT_PASSTHRU');
    }
    expect(r.d.children.has('pt')).toBe(false);
    await r.d.stop();
    expect(r.drop.closed).toBe(true);
  });
});

describe('the ingress drop without nft', () => {
  test('one clear line naming the package, and nothing else tried', async () => {
    const log = new MemoryLog();
    const { NftIngress, NFT_MISSING } = await import('../../../src/control/nat-ingress.js');
    const n = new NftIngress('p0', '02:cc:00:00:00:01', log, 7, '/nonexistent/nft');
    n.add('198.18.0.5');
    n.remove('198.18.0.5');
    await n.close();
    expect(log.lines).toEqual([`warn: ${NFT_MISSING}`]);
    expect(NFT_MISSING).toMatch(/Debian package nftables/);
  });
});
