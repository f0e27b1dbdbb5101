// --mac-nat end to end: an access point that accepts one MAC, as a Wi-Fi AP, a cloud or a hypervisor's switch does.
//
//   ap ns: e0 (198.18.0.1, fd00::1) — nftables netdev ingress drops every frame whose source MAC is not the
//          parent's, netdev egress every unicast towards the parent whose destination is not the parent's MAC;
//          dnsmasq serves DHCP (198.18.0.100–150) there.
//   dp ns: parent p0 (MAC P) ── veth ── e0;   umacvlan run --parent p0 --child c1:…:bridge --child c2:…:bridge
//   k1, k2: the children's TAPs; DHCP by busybox udhcpc, IPv6 static (fd00::11, fd00::12, nodad)
//
// Without --mac-nat a child gets no lease (the problem shown). With it both get their own lease, reach the access
// point (ping, a bounded TCP transfer, IPv6 through the NDP rewrite) and each other, and the access point's ingress
// counter of foreign source MACs stays 0: the wire carries no other source MAC. A child sending from the other's
// address is refused (nat_conflict), a live add of a passthru child exits 1. With ip_forward=1 in the daemon's
// namespace nothing reaches the wire twice (the daemon's nftables ingress drop keeps the parent's stack out).

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon, type RunningDaemon } from '../../support/daemon.js';
import { macText, testMac } from '../../support/addresses.js';

const root = isRoot();
const P = macText(testMac(0x4a, 0x01));
const AP = macText(testMac(0x4a, 0x02));
const KIDS = [
  { short: 'c1', ns: 'k1', mac: macText(testMac(0x4a, 0x11)), ip6: 'fd00::11' },
  { short: 'c2', ns: 'k2', mac: macText(testMac(0x4a, 0x12)), ip6: 'fd00::12' },
];

/** What the access point lets through, and a counter of what it refused from the parent's side */
const apRules = (e0: string): string => `
table netdev unatap {
  counter foreign { }
  counter echoreq { }
  counter echorep { }
  counter redir { }
  chain in {
    type filter hook ingress device "${e0}" priority 0; policy accept;
    ip protocol icmp icmp type echo-request counter name echoreq
    ip protocol icmp icmp type echo-reply counter name echorep
    ip protocol icmp icmp type redirect counter name redir
    ether saddr != ${P} counter name foreign drop
  }
  chain out {
    type filter hook egress device "${e0}" priority 0; policy accept;
    @ll,7,1 0 ether daddr != ${P} drop
  }
}
`;

const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew) ip addr replace "$ip/\${mask:-24}" dev "$interface" ;;
esac
exit 0
`;

describe.skipIf(!root)('--mac-nat: an access point that accepts one MAC', () => {
  let sb: Sandbox;
  let dir: string;
  let ap: string, dp: string, e0: string, p0: string;
  const ns: Record<string, string> = {};
  const names: Record<string, string> = {};

  beforeAll(async () => {
    sb = createSandbox('unat');
    dir = mkdtempSync(join(tmpdir(), 'unat-'));
    chmodSync(dir, 0o700);
    writeFileSync(join(dir, 'udhcpc.sh'), UDHCPC_SCRIPT, { mode: 0o700 });
    ap = sb.addNs('ap', { ipv6: true });
    dp = sb.addNs('dp', { ipv6: true });
    [e0, p0] = sb.addVeth(ap, 'e0', dp, 'p0');
    sb.run(dp, ['ip', 'link', 'set', p0, 'address', P]);
    sb.run(ap, ['ip', 'link', 'set', e0, 'address', AP]);
    sb.run(ap, ['ip', 'addr', 'add', '198.18.0.1/24', 'dev', e0]);
    sb.run(ap, ['ip', 'addr', 'add', 'fd00::1/64', 'dev', e0, 'nodad']);
    for (const k of KIDS) { ns[k.short] = sb.addNs(k.ns, { ipv6: true }); names[k.short] = sb.name(k.short); }
    writeFileSync(join(dir, 'ap.nft'), apRules(e0));
    sb.run(ap, ['nft', '-f', join(dir, 'ap.nft')]);
    sb.spawn(ap, ['dnsmasq', '-k', '-C', '/dev/null', '--port=0', '--no-resolv', '--no-ping', '-u', 'root',
      `--interface=${e0}`, '--bind-interfaces', '--dhcp-range=198.18.0.100,198.18.0.150,255.255.255.0,2m',
      `--dhcp-leasefile=${join(dir, 'leases')}`, '--dhcp-authoritative']);
  }, 30_000);

  afterAll(() => {
    sb?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const childArgs = (): string[] => KIDS.flatMap((k) => ['--child', `${names[k.short]}:${k.mac}:bridge`, '--netns', `${names[k.short]}=${ns[k.short]}`]);
  const nftCounter = (name: string): number => {
    const out = sb.run(ap, ['nft', 'list', 'counter', 'netdev', 'unatap', name]);
    return Number(/packets (\d+)/.exec(out)?.[1] ?? NaN);
  };
  const resetCounters = (): void => { sb.run(ap, ['nft', 'reset', 'counters', 'table', 'netdev', 'unatap']); };
  async function udhcpc(short: string): Promise<number | null> {
    const p = sb.spawn(ns[short], ['busybox', 'udhcpc', '-i', names[short], '-n', '-q', '-f', '-t', '3', '-T', '1', '-A', '1',
      '-s', join(dir, 'udhcpc.sh')]);
    return (await sb.wait(p, 15_000)).code;
  }
  const addrOf = (short: string): string | null =>
    /inet (198\.18\.0\.\d+)\//.exec(sb.run(ns[short], ['ip', '-4', 'addr', 'show', 'dev', names[short]]))?.[1] ?? null;
  async function ok(nsName: string, argv: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return sb.wait(sb.spawn(nsName, argv), timeoutMs);
  }

  test('without --mac-nat a child gets no lease: the access point drops its MAC', async () => {
    resetCounters();
    const d = await startDaemon(sb, dp, ['--parent', p0, ...childArgs()]);
    try {
      expect(await udhcpc('c1')).not.toBe(0);
      expect(addrOf('c1')).toBeNull();
      expect(nftCounter('foreign')).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  }, 30_000);

  describe('with --mac-nat', () => {
    let d: RunningDaemon;
    beforeAll(async () => {
      resetCounters();
      d = await startDaemon(sb, dp, ['--parent', p0, ...childArgs(), '--mac-nat']);
    }, 20_000);
    afterAll(async () => { await d?.stop(); });

    test('each child gets its own lease; the lease file lists both child MACs', async () => {
      for (const k of KIDS) expect(await udhcpc(k.short), k.short).toBe(0);
      const a1 = addrOf('c1'), a2 = addrOf('c2');
      expect(a1).not.toBeNull();
      expect(a2).not.toBeNull();
      expect(a1).not.toBe(a2);
      const leases = readFileSync(join(dir, 'leases'), 'utf8');
      for (const k of KIDS) expect(leases).toContain(k.mac);
    }, 30_000);

    test('both reach the access point (ping, a bounded TCP transfer) and each other', async () => {
      for (const k of KIDS) {
        const r = await ok(ns[k.short], ['busybox', 'ping', '-c', '3', '-A', '-w', '8', '198.18.0.1']);
        expect(r.code, `${k.short}: ${r.stdout} ${r.stderr} ${d.stderr()}`).toBe(0);
      }
      const srv = sb.spawn(ap, ['iperf3', '-s', '-1', '-B', '198.18.0.1', '-p', '5201']);
      await ok(ap, ['sleep', '0.5']);
      const cl = await ok(ns.c1, ['iperf3', '-c', '198.18.0.1', '-p', '5201', '-n', '4M', '--connect-timeout', '3000'], 20_000);
      expect(cl.code, cl.stdout).toBe(0);
      await sb.wait(srv, 5_000);
      const r = await ok(ns.c1, ['busybox', 'ping', '-c', '2', '-A', '-w', '8', addrOf('c2')!]);
      expect(r.code, r.stdout).toBe(0);
    }, 40_000);

    test('IPv6 through the NDP rewrite: static fd00:: addresses reach the access point', async () => {
      for (const k of KIDS) {
        sb.run(ns[k.short], ['ip', 'addr', 'add', `${k.ip6}/64`, 'dev', names[k.short], 'nodad']);
        const r = await ok(ns[k.short], ['busybox', 'ping', '-6', '-c', '3', '-A', '-w', '8', 'fd00::1']);
        expect(r.code, `${k.short}: ${r.stdout} ${r.stderr} ${d.stderr()}`).toBe(0);
      }
    }, 30_000);

    test('the wire carried no source MAC but the parent\'s; show counts the rewrites', () => {
      expect(nftCounter('foreign')).toBe(0);
      const show = JSON.parse(d.cli(['show', '--json']).stdout) as Array<{ name: string; counters: Record<string, number> }>;
      for (const k of KIDS) expect(show.find((p) => p.name === names[k.short])!.counters.nat_rewritten).toBeGreaterThan(0);
    });

    test('a child sending from another child\'s address is refused (nat_conflict); a live add of a passthru child exits 1', async () => {
      const a1 = addrOf('c1')!;
      sb.run(ns.c2, ['ip', 'addr', 'add', `${a1}/32`, 'dev', names.c2]);
      // bounded by timeout(1): busybox ping does not keep its deadline while its ARP resolution is refused
      const r = await ok(ns.c2, ['timeout', '2', 'busybox', 'ping', '-c', '2', '-I', a1, '-w', '2', '198.18.0.1']);
      sb.run(ns.c2, ['ip', 'addr', 'del', `${a1}/32`, 'dev', names.c2]);
      expect(r.code).not.toBe(0);
      const show = JSON.parse(d.cli(['show', '--json']).stdout) as Array<{ name: string; counters: Record<string, number> }>;
      expect(show.find((p) => p.name === names.c2)!.counters.drop_nat_conflict).toBeGreaterThan(0);
      expect(d.stderr()).toContain(`claims ${a1}, which is ${names.c1}'s: refused (nat_conflict)`);
      const add = d.cli(['add', `${sb.name('pt')}:auto:passthru`]);
      expect(add.code).toBe(1);
      expect(add.stderr).toContain('a passthru child cannot be added with --mac-nat (EINVAL)');
    }, 20_000);

    test('with ip_forward=1 in the parent\'s namespace nothing reaches the wire twice', async () => {
      sb.run(dp, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      sb.run(dp, ['ip', 'addr', 'add', '198.18.0.2/24', 'dev', p0]);
      const tables = sb.run(dp, ['nft', 'list', 'ruleset']);
      expect(tables).toContain(addrOf('c1')!);
      resetCounters();
      const r = await ok(ap, ['busybox', 'ping', '-c', '5', '-A', '-w', '8', addrOf('c1')!]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).not.toContain('DUP!');
      expect([nftCounter('echoreq'), nftCounter('echorep'), nftCounter('redir'), nftCounter('foreign')]).toEqual([0, 5, 0, 0]);
    }, 30_000);
  });

  test('after SIGTERM the daemon\'s ingress table on the parent is gone', () => {
    expect(sb.run(dp, ['nft', 'list', 'tables'])).not.toContain('umacvlan_nat');
  });
});
