// cni-commands.ts — ADD, DEL, CHECK and GC as the daemon performs them (the contract: README, "Containers").
//
// DOC: naming. A CNI child's handle in the daemon is cniHandle(network, container, interface) (`c` + 12 hex digits:
// the name `show`, `del` and the state file use); its TAP is created directly inside CNI_NETNS under CNI_IFNAME
// (child-changes.ts opens it there by that name), so nothing is renamed and a runtime sees its interface at once.
// A --persist daemon finds it again by its alias, whatever its name.

import { CNI_CODE, CniError } from '../cni/cni-error.js';
import type { CniEnv } from '../cni/cni-env.js';
import { checkMtu, type NetConf } from '../cni/netconf.js';
import { macvlanResult, type Result } from '../cni/result.js';
import { cniHandle } from '../cni/identity.js';
import { Flag, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { formatMac } from '../wire/ethernet.js';
import type { ChildConfig } from './child-config.js';
import { clearTombstone, tombstoneDir } from './cni-tombstones.js';
import { ipamAdd, runIpam, type IpamContext } from './cni-ipam.js';
import { ipamSpeaksGc, staleChildren } from './cni-gc.js';
import type { CniCall } from './cni-request.js';
import type { Daemon } from './daemon.js';
import type { CniSys } from './netns-config.js';
import { parseMode } from '../values/macs-modes.js';
import { checkAgainst } from '../cni/check.js';

export interface CniContext { sys: CniSys; ipam: IpamContext; controlPath: string }

const exists = (d: Daemon, handle: string): boolean => { const rt = d.children.get(handle); return rt !== undefined && rt.state !== 'gone'; };

function childOf(handle: string, env: CniEnv, conf: NetConf): ChildConfig {
  const mode = parseMode(conf.mode);
  if (typeof mode !== 'number') throw new CniError(CNI_CODE.INVALID_CONFIG, `unknown macvlan mode: ${conf.mode}`);
  const c: ChildConfig = {
    name: handle, mac: conf.mac ?? 'auto', mode, flags: conf.nodst ? Flag.NODST : 0, macaddr: [...conf.macaddr], netns: env.netns,
    cni: { network: conf.name, containerId: env.containerId, ifname: env.ifname, ips: [] },
  };
  if (conf.mtu > 0) c.mtu = conf.mtu;
  if (conf.bcqueuelen !== null) c.bcQueueLen = conf.bcqueuelen;
  return c;
}

/** Addresses, notify sysctls and routes inside the namespace, as the reference's ConfigureIface. */
function configure(sys: CniSys, env: CniEnv, ipam: Result | null): void {
  const idx = sys.linkIndex(env.netns, env.ifname);
  if (idx < 0) throw new CniError(CNI_CODE.INTERNAL, `failed to lookup ${JSON.stringify(env.ifname)} in ${env.netns}`);
  sys.setNotify(env.netns, env.ifname);
  for (const ip of ipam?.ips ?? []) sys.addAddress(env.netns, idx, ip.address);
  for (const r of ipam?.routes ?? []) {
    const v6 = r.dst.includes(':');
    const gw = r.gw ?? ipam?.ips?.find((i) => i.gateway && i.gateway.includes(':') === v6)?.gateway;
    sys.addRoute(env.netns, idx, r.dst, gw);
  }
}

export async function cniAdd(d: Daemon, ctx: CniContext, call: CniCall, env: CniEnv, conf: NetConf): Promise<string> {
  if (!ctx.sys.netnsExists(env.netns)) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `failed to open netns ${JSON.stringify(env.netns)}`);
  const handle = cniHandle(conf.name, env.containerId, env.ifname);
  if (exists(d, handle)) {
    throw new CniError(CNI_CODE.INTERNAL, `${env.containerId}/${env.ifname} is already attached to network ${conf.name} (child ${handle})`);
  }
  if (ctx.sys.linkIndex(env.netns, env.ifname) >= 0) {
    throw new CniError(CNI_CODE.INTERNAL, `container veth name provided (${env.ifname}) already exists`);
  }
  checkMtu(conf, d.table.mtu[0]);
  const child = childOf(handle, env, conf);
  clearTombstone(tombstoneDir(ctx.controlPath), env.containerId, env.ifname);
  let rt;
  try { rt = d.addChild(child); } catch (e) {
    throw new CniError(CNI_CODE.INTERNAL, `failed to create macvlan: ${(e as Error).message}`);
  }
  await d.settled();
  let ipam: Result | null = null;
  try {
    if (conf.ipam) ipam = await ipamAdd(ctx.ipam, call, conf);
    configure(ctx.sys, env, ipam);
    const out = JSON.stringify(macvlanResult(ipam, env.ifname, formatMac(d.table.mac[rt.slot]), env.netns, conf.cniVersion, conf.dns));
    d.cniAttached(handle, (ipam?.ips ?? []).map((i) => i.address));
    return out + '\n';
  } catch (e) {
    // everything undone: the link (its TAP) and the lease
    try { await d.delChild(handle); } catch { /* already gone */ }
    if (ipam) { try { await runIpam(ctx.ipam, call, conf, 'DEL'); } catch { /* the first failure is the one to report */ } }
    throw e;
  }
}

export async function cniDel(d: Daemon, ctx: CniContext, call: CniCall, env: CniEnv, conf: NetConf): Promise<void> {
  const handle = cniHandle(conf.name, env.containerId, env.ifname);
  if (conf.ipam) await runIpam(ctx.ipam, call, conf, 'DEL');
  if (d.children.has(handle)) await d.delChild(handle);
}

export async function cniCheck(d: Daemon, ctx: CniContext, call: CniCall, env: CniEnv, conf: NetConf): Promise<void> {
  if (conf.ipam) await runIpam(ctx.ipam, call, conf, 'CHECK');
  if (!ctx.sys.netnsExists(env.netns)) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `failed to open netns ${JSON.stringify(env.netns)}`);
  const handle = cniHandle(conf.name, env.containerId, env.ifname);
  const rt = d.children.get(handle);
  if (!rt || rt.state === 'gone' || !rt.tap) throw new CniError(CNI_CODE.INTERNAL, `no attachment ${env.containerId}/${env.ifname} on network ${conf.name}`);
  if (rt.state !== 'up') throw new CniError(CNI_CODE.INTERNAL, `${env.ifname}: umacvlan does not forward it (${rt.state})`);
  const idx = ctx.sys.linkIndex(env.netns, env.ifname);
  if (idx < 0) throw new CniError(CNI_CODE.INTERNAL, `failed to lookup ${JSON.stringify(env.ifname)} in ${env.netns}`);
  const link = rt.tap.state();
  if (!conf.prevResult) throw new CniError(CNI_CODE.INVALID_CONFIG, 'CHECK needs a prevResult');
  checkAgainst(conf.prevResult, {
    ifname: env.ifname, mac: formatMac(link.mac), mode: MODE_NAMES[d.table.mode[rt.slot] as ModeBit],
    addrs: ctx.sys.addresses(env.netns, idx), routes: ctx.sys.routes(env.netns, idx),
  }, { sandbox: env.netns, mode: conf.mode });
}

export async function cniGc(d: Daemon, ctx: CniContext, call: CniCall, conf: NetConf): Promise<void> {
  const stale = staleChildren(conf.name, [...d.children.values()].map((rt) => ({ name: rt.name, cni: rt.cfg.cni })), conf.validAttachments ?? []);
  for (const name of stale) {
    d.log.info(`CNI GC: child ${name} (${d.children.get(name)?.cfg.cni?.containerId}) is not a valid attachment; deleting it`);
    await d.delChild(name);
  }
  await delegate11(ctx, call, conf, 'GC');
}

/** STATUS: the daemon answers, so it can serve ADD; an IPAM plugin that speaks 1.1.0 is asked too. */
export async function cniStatus(ctx: CniContext, call: CniCall, conf: NetConf): Promise<void> {
  await delegate11(ctx, call, conf, 'STATUS');
}

/** GC and STATUS go to the IPAM plugin only when its VERSION lists 1.1.0: an older one does not know them. */
async function delegate11(ctx: CniContext, call: CniCall, conf: NetConf, command: 'GC' | 'STATUS'): Promise<void> {
  if (!conf.ipam) return;
  const version = await runIpam(ctx.ipam, call, conf, 'VERSION').catch(() => '');
  if (ipamSpeaksGc(version)) await runIpam(ctx.ipam, call, conf, command);
}
