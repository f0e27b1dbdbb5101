// The daemon's CNI commands over a fake host, a fake namespace (CniSys) and a recording IPAM runner, without root:
// what ADD makes and answers, what it undoes when a later step fails, DEL's idempotence, CHECK, GC's reach, and
// that every failure is the specification's JSON with its code.
import { afterEach, describe, expect, test } from 'vitest';
import { Daemon } from '../../../src/control/daemon.js';
import { serveCni, type CniContext } from '../../../src/control/cni-handler.js';
import type { CniSys, SeenRoute } from '../../../src/control/netns-config.js';
import type { IpamRun } from '../../../src/control/ipam-exec.js';
import { cniHandle } from '../../../src/cni/identity.js';
import { FakeDatapath, FakeHost, MemoryLog } from './fake-host.js';

class FakeNs implements CniSys {
  readonly namespaces = new Set(['/run/netns/c1', '/run/netns/c2']);
  readonly links = new Map<string, number>();
  readonly addrs = new Map<string, string[]>();
  readonly routeList: Array<SeenRoute & { ns: string }> = [];
  readonly notified: string[] = [];
  failAddress = false;
  netnsExists(netns: string): boolean { return this.namespaces.has(netns); }
  linkIndex(netns: string, ifname: string): number { return this.links.get(`${netns}/${ifname}`) ?? -1; }
  setNotify(netns: string, ifname: string): void { this.notified.push(`${netns}/${ifname}`); }
  addAddress(netns: string, ifindex: number, cidr: string): void {
    if (this.failAddress) throw new Error('RTM_NEWADDR: EEXIST');
    this.addrs.set(`${netns}/${ifindex}`, [...(this.addrs.get(`${netns}/${ifindex}`) ?? []), cidr]);
  }
  addRoute(netns: string, _ifindex: number, dst: string, gw: string | undefined): void { this.routeList.push({ ns: netns, dst, ...(gw ? { gw } : {}) }); }
  addresses(netns: string, ifindex: number): string[] { return this.addrs.get(`${netns}/${ifindex}`) ?? []; }
  routes(netns: string): SeenRoute[] { return this.routeList.filter((r) => r.ns === netns).map(({ dst, gw }) => ({ dst, ...(gw ? { gw } : {}) })); }
}

const IPAM_RESULT = { cniVersion: '1.0.0', ips: [{ address: '198.18.6.2/24', gateway: '198.18.6.1' }], routes: [{ dst: '0.0.0.0/0' }] };
const running: Daemon[] = [];
afterEach(async () => { for (const d of running.splice(0)) await d.stop(); });

async function rig() {
  const host = new FakeHost('m0');
  const d = await Daemon.start({ parent: 'm0', children: [], log: 'normal', busyPollUs: 0, maxGroups: 1024 }, host, new MemoryLog(),
    (t, o) => new FakeDatapath(t, o));
  running.push(d);
  const ns = new FakeNs();
  const runs: IpamRun[] = [];
  const answers: Record<string, { status: number; stdout: string }> = { ADD: { status: 0, stdout: JSON.stringify(IPAM_RESULT) } };
  const ctx: CniContext = {
    sys: ns, controlPath: '/nonexistent/ucd/d.sock',
    ipam: { baseEnv: { PATH: '/bin' }, run: async (r) => { runs.push(r); return answers[r.env.CNI_COMMAND] ?? { status: 0, stdout: '' }; } },
  };
  // the TAP the fake host makes is the link the namespace then has
  const openTap = host.openTap.bind(host);
  host.openTap = (name, mac, mtu, netns) => { const t = openTap(name, mac, mtu, netns); ns.links.set(`${netns}/${name}`, t.state().ifindex); return t; };
  const call = async (command: string, conf: Record<string, unknown>, env: Record<string, string> = {}) => {
    const a = await serveCni(d, ctx, { cmd: 'cni', env: { CNI_COMMAND: command, CNI_PATH: '/usr/lib/cni', ...env }, stdin: JSON.stringify(conf) });
    const out = a as { ok: boolean; exit: number; stdout: string };
    return { exit: out.exit, json: out.stdout ? JSON.parse(out.stdout) as Record<string, any> : null };
  };
  return { d, host, ns, runs, answers, call };
}

const conf = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ cniVersion: '1.0.0', name: 'net', type: 'umacvlan', master: 'm0', ipam: { type: 'host-local' }, ...extra });
const c1 = { CNI_CONTAINERID: 'A', CNI_NETNS: '/run/netns/c1', CNI_IFNAME: 'eth0' };

describe('CNI ADD', () => {
  test('the child in the namespace under CNI_IFNAME, its addresses and routes, the result in the version asked', async () => {
    const { d, ns, runs, call } = await rig();
    const r = await call('ADD', conf(), c1);
    expect(r.exit).toBe(0);
    const handle = cniHandle('net', 'A', 'eth0');
    const rt = d.children.get(handle)!;
    expect(rt.netns).toBe('/run/netns/c1');
    expect(rt.cfg.cni).toEqual({ network: 'net', containerId: 'A', ifname: 'eth0', ips: ['198.18.6.2/24'] });
    expect(r.json).toMatchObject({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/run/netns/c1' }], ips: [{ address: '198.18.6.2/24', interface: 0 }] });
    expect(r.json!.interfaces[0].mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(ns.notified).toEqual(['/run/netns/c1/eth0']);
    expect(ns.routes('/run/netns/c1')).toEqual([{ dst: '0.0.0.0/0', gw: '198.18.6.1' }]);
    expect(runs.map((x) => x.env.CNI_COMMAND)).toEqual(['ADD']);
    expect(runs[0].file).toBe('/usr/lib/cni/host-local');
    expect(d.book.of(handle)).toEqual(['198.18.6.2']);
  });

  test('a failure after the child was made undoes everything: the TAP closed, the lease released', async () => {
    const { d, ns, host, runs, call } = await rig();
    ns.failAddress = true;
    const r = await call('ADD', conf(), c1);
    expect([r.exit, r.json?.code]).toEqual([1, 999]);
    expect(r.json?.msg).toContain('EEXIST');
    expect(d.children.has(cniHandle('net', 'A', 'eth0'))).toBe(false);
    expect(host.taps.get('eth0')!.closed).toBe(true);
    expect(runs.map((x) => x.env.CNI_COMMAND)).toEqual(['ADD', 'DEL']);
  });

  test('the IPAM plugin\'s error is passed on with its code, and the child is gone', async () => {
    const { d, answers, call } = await rig();
    answers.ADD = { status: 1, stdout: '{"cniVersion":"1.0.0","code":11,"msg":"no addresses left"}' };
    const r = await call('ADD', conf(), c1);
    expect([r.json?.code, r.json?.msg]).toEqual([11, 'no addresses left']);
    expect(d.children.size).toBe(0);
  });

  test('twice, a name already in the namespace, a namespace that is not there, another master: errors', async () => {
    const { ns, call } = await rig();
    expect((await call('ADD', conf({ ipam: {} }), c1)).exit).toBe(0);
    expect((await call('ADD', conf({ ipam: {} }), c1)).json?.msg).toMatch(/already attached to network net/);
    expect((await call('ADD', conf({ ipam: {} }), { ...c1, CNI_CONTAINERID: 'B' })).json?.msg).toMatch(/\(eth0\) already exists/);
    expect((await call('ADD', conf(), { ...c1, CNI_NETNS: '/run/netns/none' })).json?.code).toBe(3);
    expect((await call('ADD', conf({ master: 'other0' }), c1)).json?.code).toBe(7);
    expect((await call('ADD', conf({ mtu: 1501 }), { ...c1, CNI_CONTAINERID: 'C', CNI_NETNS: '/run/netns/c2' })).json?.msg).toBe('invalid MTU 1501, must be [0, master MTU(1500)]');
    expect(ns.links.has('/run/netns/c2/eth0')).toBe(false);
  });
});

describe('CNI DEL, CHECK, STATUS, GC', () => {
  test('DEL removes the child and releases the lease; again, or of something never added, succeeds', async () => {
    const { d, runs, call } = await rig();
    await call('ADD', conf(), c1);
    expect(await call('DEL', conf(), c1)).toEqual({ exit: 0, json: null });
    expect(d.children.size).toBe(0);
    expect(d.book.of(cniHandle('net', 'A', 'eth0'))).toEqual([]);
    expect((await call('DEL', conf(), c1)).exit).toBe(0);
    expect((await call('DEL', conf(), { CNI_CONTAINERID: 'Z', CNI_IFNAME: 'eth0' })).exit).toBe(0);
    expect(runs.map((x) => x.env.CNI_COMMAND)).toEqual(['ADD', 'DEL', 'DEL', 'DEL']);
  });

  test('CHECK passes with the prevResult and fails when an address went; STATUS answers 0', async () => {
    const { ns, call } = await rig();
    const add = await call('ADD', conf(), c1);
    expect((await call('CHECK', conf({ prevResult: add.json }), c1)).exit).toBe(0);
    ns.addrs.clear();
    const bad = await call('CHECK', conf({ prevResult: add.json }), c1);
    expect(bad.json?.msg).toMatch(/Failed to match addr 198.18.6.2\/24/);
    expect((await call('STATUS', conf({ cniVersion: '1.1.0' }))).exit).toBe(0);
  });

  test('GC deletes only this network\'s stale CNI children, and asks IPAM\'s VERSION before its GC', async () => {
    const { d, runs, answers, call } = await rig();
    d.addChild({ name: 'plain', mac: 'auto', mode: 1, flags: 0, macaddr: [] });
    await call('ADD', conf({ cniVersion: '1.1.0' }), c1);
    await call('ADD', conf({ cniVersion: '1.1.0' }), { ...c1, CNI_CONTAINERID: 'B', CNI_NETNS: '/run/netns/c2' });
    await call('ADD', conf({ cniVersion: '1.1.0', name: 'other' }), { ...c1, CNI_IFNAME: 'eth1' });
    answers.VERSION = { status: 0, stdout: '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}' };
    const gc = await call('GC', conf({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'A', ifname: 'eth0' }] }));
    expect(gc.exit).toBe(0);
    expect([...d.children.keys()].sort()).toEqual([cniHandle('net', 'A', 'eth0'), cniHandle('other', 'A', 'eth1'), 'plain'].sort());
    expect(runs.slice(-2).map((x) => x.env.CNI_COMMAND)).toEqual(['VERSION', 'GC']);
  });

  test('STATUS asks a 1.1.0 IPAM plugin and passes its error on; an older one is not asked', async () => {
    const { runs, answers, call } = await rig();
    const v11 = conf({ cniVersion: '1.1.0' });
    expect((await call('STATUS', v11)).exit).toBe(0);
    expect(runs.map((x) => x.env.CNI_COMMAND)).toEqual(['VERSION']);
    answers.VERSION = { status: 0, stdout: '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}' };
    answers.STATUS = { status: 1, stdout: '{"cniVersion":"1.1.0","code":50,"msg":"no leases left"}' };
    const r = await call('STATUS', v11);
    expect([r.exit, r.json?.code, r.json?.msg]).toEqual([1, 50, 'no leases left']);
  });
});
