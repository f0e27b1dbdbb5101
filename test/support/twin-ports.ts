// Two identical sandboxes side by side for the broadcast knobs: in one the children are the kernel's macvlan devices
// ('k'), in the other the daemon's TAPs ('u'). Each side offers the same operations, so a test says once what it does
// and runs it on both.
//
//   out ns: xa ──veth── pa (dp ns)  port A: a1 bridge, a2 vepa, a3 private   every child bcqueuelen 0
//           xb ──veth── pb (dp ns)  port B: t passthru nopromisc               and in a namespace of its own
//
// Port A's parent is a veth with children that add their MACs to it, so it is promiscuous (forwarding.md §3.1, M6);
// port B's passthru child adds none, so with nopromisc it stays non-promiscuous and held counts decide (M14). The
// kernel's side sets bclim with raw rtnetlink (macvlan-netlink.ts: iproute2 6.1 cannot) and bcqueuelen with `ip link`;
// the daemon's side through its control socket (one `umacvlan` exec per call costs ~0.3 s of node start-up).

import { macText, testMac } from '../../support/addresses.js';
import { startDaemon, type RunningDaemon } from '../../support/daemon.js';
import type { Sandbox } from '../../support/sandbox.js';
import { until } from '../../support/time.js';
import { request, type Answer } from '../../src/control/server.js';
import { macvlanKnobs, setBcCutoff } from './macvlan-netlink.js';
import { RawSocket } from './raw-socket.js';

export type Impl = 'k' | 'u';
export type PortKey = 'a' | 'b';
export interface KidDef { key: string; port: PortKey; mode: string; mac: number; opts?: string }

export const OUT_MAC = testMac(0x0c, 0x01);
export const PARENT_MAC: Record<PortKey, number> = { a: testMac(0x0c, 0x10), b: testMac(0x0c, 0x20) };
export const KIDS: readonly KidDef[] = [
  { key: 'a1', port: 'a', mode: 'bridge', mac: testMac(0x0b, 0x11) },
  { key: 'a2', port: 'a', mode: 'vepa', mac: testMac(0x0b, 0x12) },
  { key: 'a3', port: 'a', mode: 'private', mac: testMac(0x0b, 0x13) },
  { key: 't', port: 'b', mode: 'passthru', mac: PARENT_MAC.b, opts: 'nopromisc' },
];

/** What one side reports of a port: each child's bcqueuelen request, the port's queue and bclim */
export interface Knobs { kids: Record<string, number>; used: number; bclim: number }

export interface Side {
  readonly impl: Impl;
  readonly dp: string;
  readonly parent: Record<PortKey, string>;
  /** the outside host's end of each port's wire */
  readonly ext: Record<PortKey, RawSocket>;
  /** a raw socket on each child, labelled with its key */
  readonly eps: Map<string, RawSocket>;
  /** the daemon of each port (the daemon's side only) */
  readonly daemons: Partial<Record<PortKey, RunningDaemon>>;
  ns(key: string): string;
  ifname(key: string): string;
  setQueue(key: string, n: number): Promise<void>;
  setBclim(key: string, n: number): Promise<void>;
  /** the broadcast knobs of `port` as this side reports them (the kernel: every live child must agree on the port's) */
  knobs(port: PortKey): Promise<Knobs>;
  /** the parent's rx_dropped */
  rxDropped(port: PortKey): Promise<number>;
  /** `ip maddr add` in the child; the daemon's side waits until the daemon holds it */
  join(key: string, group: number): Promise<void>;
  /** `ip link set … allmulticast`; the daemon's side waits until the daemon saw it */
  allmulti(key: string, on: boolean): Promise<void>;
  del(key: string): Promise<void>;
  /** a new child of `port` with the defaults (bcqueuelen 1000), left in the daemon's namespace */
  add(key: string, port: PortKey, mode: string, mac: number): Promise<void>;
  close(): Promise<void>;
}

interface ChildView { name: string; mode: string; flags: string[]; counters: Record<string, number>; broadcast?: { bcqueuelen: number; bclim?: number }; groups?: { entries: Array<{ mac: string }> } }

/** Runs argv on a daemon through its control socket; throws its error text when it refuses. */
export async function exec(d: RunningDaemon, argv: readonly string[]): Promise<Answer & { ok: true }> {
  const a = await request(d.controlPath, { cmd: 'exec', argv });
  if (!a.ok) throw new Error(`umacvlan ${argv.join(' ')}: ${a.error}`);
  return a;
}

export async function build(sb: Sandbox, impl: Impl): Promise<Side> {
  const out = sb.addNs(`${impl}x`), dp = sb.addNs(`${impl}d`);
  const parent = {} as Record<PortKey, string>;
  const edge = {} as Record<PortKey, string>;
  for (const p of ['a', 'b'] as const) {
    [edge[p], parent[p]] = sb.addVeth(out, `${impl}x${p}`, dp, `${impl}p${p}`);
    sb.run(out, ['ip', 'link', 'set', edge[p], 'address', macText(OUT_MAC)]);
    sb.run(dp, ['ip', 'link', 'set', parent[p], 'address', macText(PARENT_MAC[p])]);
  }
  const names = new Map<string, { ns: string; ifname: string }>();
  for (const k of KIDS) names.set(k.key, { ns: sb.addNs(`${impl}${k.key}`), ifname: sb.name(`${impl}${k.key}`) });
  const ns = (key: string): string => names.get(key)!.ns;
  const ifname = (key: string): string => names.get(key)!.ifname;
  const daemons = {} as Record<PortKey, RunningDaemon>;
  const live: KidDef[] = [...KIDS];
  const portOf = (key: string): PortKey => live.find((k) => k.key === key)!.port;

  if (impl === 'k') {
    for (const k of KIDS) {
      const n = ifname(k.key);
      sb.run(dp, ['ip', 'link', 'add', n, 'link', parent[k.port], 'type', 'macvlan', 'mode', k.mode, ...(k.opts ? ['flag', k.opts] : []), 'bcqueuelen', '0']);
      if (k.mode !== 'passthru') sb.run(dp, ['ip', 'link', 'set', n, 'address', macText(k.mac)]);
      sb.run(dp, ['ip', 'link', 'set', n, 'netns', ns(k.key)]);
      sb.run(ns(k.key), ['ip', 'link', 'set', n, 'up']);
    }
  } else {
    for (const p of ['a', 'b'] as const) {
      const args = KIDS.filter((k) => k.port === p).flatMap((k) => [
        '--child', `${ifname(k.key)}:${macText(k.mac)}:${k.mode}${k.opts ? `:${k.opts}` : ''}:bcqueuelen=0`, '--netns', `${ifname(k.key)}=${ns(k.key)}`]);
      daemons[p] = await startDaemon(sb, dp, ['--parent', parent[p], ...args]);
    }
  }
  const eps = new Map(KIDS.map((k) => [k.key, RawSocket.open(ns(k.key), ifname(k.key), k.key)] as const));
  const ext = { a: RawSocket.open(out, edge.a, 'out'), b: RawSocket.open(out, edge.b, 'out') };

  const show = async (p: PortKey): Promise<ChildView[]> => (await exec(daemons[p], ['show', '--json'])).ports as ChildView[];
  const childView = async (key: string): Promise<ChildView> => (await show(portOf(key))).find((v) => v.name === ifname(key))!;

  return {
    impl, dp, parent, ext, eps, daemons, ns, ifname,
    async setQueue(key, n) {
      if (impl === 'k') sb.run(ns(key), ['ip', 'link', 'set', ifname(key), 'type', 'macvlan', 'bcqueuelen', String(n)]);
      else await exec(daemons[portOf(key)], ['set', ifname(key), 'bcqueuelen', String(n)]);
    },
    async setBclim(key, n) {
      if (impl === 'k') setBcCutoff(ns(key), ifname(key), n);
      else await exec(daemons[portOf(key)], ['set', ifname(key), 'bclim', String(n)]);
    },
    async knobs(port) {
      const keys = live.filter((k) => k.port === port).map((k) => k.key);
      if (impl === 'u') {
        const v = await show(port);
        const p = v.find((x) => x.mode === 'parent')!;
        const kids = Object.fromEntries(keys.map((key) => [key, v.find((x) => x.name === ifname(key))!.broadcast!.bcqueuelen]));
        return { kids, used: p.broadcast!.bcqueuelen, bclim: p.broadcast!.bclim! };
      }
      const each = keys.map((key) => [key, macvlanKnobs(ns(key), ifname(key))] as const);
      const port1 = new Set(each.map(([, k]) => `${k.bcQueueLenUsed}/${k.bcCutoff}`));
      if (port1.size !== 1) throw new Error(`the kernel's children of port ${port} disagree on the port's knobs: ${[...port1].join(', ')}`);
      return { kids: Object.fromEntries(each.map(([key, k]) => [key, k.bcQueueLen])), used: each[0][1].bcQueueLenUsed, bclim: each[0][1].bcCutoff };
    },
    async rxDropped(port) {
      if (impl === 'u') return (await show(port)).find((x) => x.mode === 'parent')!.counters.rx_dropped;
      const j = JSON.parse(sb.run(dp, ['ip', '-s', '-j', 'link', 'show', parent[port]])) as Array<{ stats64: { rx: { dropped: number } } }>;
      return j[0].stats64.rx.dropped;
    },
    async join(key, group) {
      sb.run(ns(key), ['ip', 'maddr', 'add', macText(group), 'dev', ifname(key)]);
      if (impl === 'k') return;
      const held = async (): Promise<boolean> => ((await childView(key)).groups?.entries ?? []).some((e) => e.mac === macText(group));
      if (!(await until(held, 3000, 50))) throw new Error(`the daemon did not see ${key} join ${macText(group)}`);
    },
    async allmulti(key, on) {
      sb.run(ns(key), ['ip', 'link', 'set', ifname(key), 'allmulticast', on ? 'on' : 'off']);
      if (impl === 'k') return;
      const seen = async (): Promise<boolean> => (await childView(key)).flags.includes('allmulti') === on;
      if (!(await until(seen, 3000, 50))) throw new Error(`the daemon did not see ${key} allmulticast ${on ? 'on' : 'off'}`);
    },
    async del(key) {
      eps.get(key)?.close();
      eps.delete(key);
      const port = portOf(key);
      live.splice(live.findIndex((k) => k.key === key), 1);
      if (impl === 'k') sb.run(ns(key), ['ip', 'link', 'del', ifname(key)]);
      else await exec(daemons[port], ['del', ifname(key)]);
    },
    async add(key, port, mode, mac) {
      const n = sb.name(`${impl}${key}`);
      names.set(key, { ns: dp, ifname: n });
      live.push({ key, port, mode, mac });
      if (impl === 'k') sb.run(dp, ['ip', 'link', 'add', n, 'link', parent[port], 'type', 'macvlan', 'mode', mode]);
      else await exec(daemons[port], ['add', `${n}:${macText(mac)}:${mode}`]);
    },
    async close() {
      for (const s of [...eps.values(), ext.a, ext.b]) s.close();
      for (const d of Object.values(daemons)) await d.stop();
    },
  };
}
