// Child changes asked for by the user (run's children, add, del, set), with the kernel's rules asked first
// (core/rules.ts), and the two that TAP events share with them: moving a MAC and dropping a child.

import { Mode, MODE_NAMES, type ModeBit } from '../core/constants.js';
import { checkAdd, checkUp, checkSetMac, checkSetMtu, checkChange, withDefaults, type ChangeRequest } from '../core/rules.js';
import { clearRow } from '../core/counters.js';
import { formatMac } from '../wire/ethernet.js';
import type { ChildConfig } from './child-spec.js';
import { DaemonError, describeError, ruleFailure } from './daemon-error.js';
import { releaseMemberships, syncMemberships } from './group-memberships.js';
import type { ChildTap, TapEvent } from './host.js';
import type { ChildRt, PortState } from './port-state.js';

/** A changelink request plus the two changes `ip link set` makes outside it */
export type SetRequest = ChangeRequest & { mac?: number; mtu?: number };

/**
 * Creates a child: checks the kernel's rules, creates, configures, moves and brings up its TAP, then watches it.
 * With `existing` (a kept TAP a restarted daemon adopts) nothing is made or brought up: the watch's first report
 * brings the table in line with the TAP as it is now, as any change from inside would be.
 */
export function addChild(p: PortState, c: ChildConfig, onTapEvent: (rt: ChildRt, ev: TapEvent) => void, existing?: ChildTap): ChildRt {
  if (p.children.has(c.name) && p.children.get(c.name)!.state !== 'gone') {
    throw new DaemonError(`child ${c.name}: a child of that name exists`, 'UMV_ERR_DUP_NAME');
  }
  const t = p.table;
  const slot = t.freeSlot();
  // withDefaults picks what the kernel picks: the parent's MAC for passthru, a random one for 'auto'.
  const mac = c.mac === 'auto' ? undefined : c.mac;
  const sources = c.macaddr.length ? c.macaddr : undefined;
  const bad = checkAdd(t, { mac, mode: c.mode, flags: c.flags, mtu: c.mtu, bcQueueLen: c.bcQueueLen, sourceOp: c.mode === Mode.SOURCE && sources ? 'set' : undefined, sourceMacs: sources });
  if (bad) throw ruleFailure(c.name, bad);
  const spec = withDefaults(t, { mac, mode: c.mode, flags: c.flags, mtu: c.mtu, bcQueueLen: c.bcQueueLen });
  // a CNI child's link is CNI_IFNAME in the container's namespace; its handle stays the child's name
  const link = c.cni?.ifname ?? c.name;
  if (!existing && c.netns && p.host.linkExistsIn(c.netns, link)) {
    throw new DaemonError(`child ${c.name}: namespace ${c.netns} already has a link named ${link}`, 'UMV_ERR_TAP');
  }
  p.mutate('addChild', slot, spec);
  for (const m of c.macaddr) p.mutate('sourceAdd', slot, m);
  const busy = checkUp(t, slot);
  if (busy) {
    p.mutate('removeChild', slot);
    existing?.close();
    throw ruleFailure(c.name, busy);
  }
  let tap: ChildTap;
  try {
    tap = existing ?? p.host.openTap(link, spec.mac, spec.mtu, c.netns);
  } catch (e) {
    p.mutate('removeChild', slot);
    throw new DaemonError(`child ${c.name}: ${describeError(e)}`, 'UMV_ERR_TAP');
  }
  const rt = p.newChild(c.name, slot, { ...c, mac: spec.mac }, tap, spec.mtu);
  clearRow(p.counters, slot);
  try {
    tap.setCarrier(p.parent.up && p.parent.carrier);
    if (!existing) tap.setUp(true);
  } catch (e) {
    void dropChild(p, rt);
    p.children.delete(c.name);
    throw new DaemonError(`child ${c.name}: ${describeError(e)}`, 'UMV_ERR_TAP');
  }
  // the port's cutoff, set through this child (IFLA_MACVLAN_BC_CUTOFF at creation); it stays when the child goes
  if (c.bcCutoff !== undefined) p.mutate('setBcCutoff', c.bcCutoff);
  p.mutate('setUp', slot, true);
  rt.state = 'up';
  syncMemberships(p, rt);
  p.post({ op: 'attach', port: slot, fd: tap.fd });
  tap.groupReads(rt.groups.max, false);
  rt.unwatch = tap.watch((ev) => onTapEvent(rt, ev));
  p.log.info(`child ${c.name}:${existing ? ' adopted,' : ''} ${MODE_NAMES[spec.mode]} ${formatMac(spec.mac)} mtu ${spec.mtu}${c.netns ? ` in ${c.netns}` : ''}`);
  return rt;
}

/** Deletes a child: its TAP goes, its MAC is free again. Out of the table and the children at once (an `add` of
 *  the same name may follow before the TAP is closed: it must find the name free and keep it); `closed` resolves
 *  once the worker has let go of the TAP and it is closed. */
export function delChild(p: PortState, name: string): { rt: ChildRt; closed: Promise<void> } {
  const rt = p.children.get(name);
  if (!rt) throw new DaemonError(`no child named ${name}`, 'UMV_ERR_NO_CHILD');
  const closed = dropChild(p, rt);
  p.children.delete(name);
  p.log.info(`child ${name}: deleted`);
  return { rt, closed };
}

/** A child that still has its TAP, or the request's failure */
export function liveChild(p: PortState, name: string): ChildRt {
  const rt = p.children.get(name);
  if (!rt) throw new DaemonError(`no child named ${name}`, 'UMV_ERR_NO_CHILD');
  if (rt.state === 'gone' || rt.tap === null) throw new DaemonError(`child ${name}: its TAP is gone (deleted outside umacvlan): add it again or del it`, 'UMV_ERR_CHILD_GONE');
  return rt;
}

/** Applies a change request with the kernel's rules (lifecycle.md §3, §4). */
export function setChild(p: PortState, name: string, req: SetRequest): void {
  const rt = liveChild(p, name);
  const t = p.table;
  const s = rt.slot;
  const bad = checkChange(t, s, req)
    ?? (req.mtu !== undefined ? checkSetMtu(t, s, req.mtu) : null)
    ?? (req.mac !== undefined && t.mode[s] !== Mode.PASSTHRU ? checkSetMac(t, s, req.mac) : null);
  if (bad) throw ruleFailure(name, bad);
  if (req.mode !== undefined) p.mutate('setMode', s, req.mode as ModeBit);
  if (req.flags !== undefined) p.mutate('setFlags', s, req.flags);
  if (req.bcQueueLen !== undefined) p.mutate('setBcQueueLen', s, req.bcQueueLen);
  if (req.bcCutoff !== undefined) p.mutate('setBcCutoff', req.bcCutoff);
  if (req.mtu !== undefined) {
    rt.tap!.setMtu(req.mtu);
    rt.ownMtu = req.mtu;
    p.mutate('setMtu', s, req.mtu);
  }
  if (req.sourceOp !== undefined) {
    if (req.sourceOp === 'flush' || req.sourceOp === 'set') p.mutate('sourceFlush', s);
    for (const m of req.sourceMacs ?? []) {
      if (req.sourceOp === 'del') p.mutate('sourceDel', s, m); else p.mutate('sourceAdd', s, m);
    }
  }
  if (req.mac !== undefined && req.mac !== t.mac[s]) {
    if (t.mode[s] === Mode.PASSTHRU) {
      // A3: a passthru child's MAC is the parent's; the kernel sets the parent's and the child follows.
      throw new DaemonError(`child ${name}: set the parent's MAC instead (passthru children follow their parent)`, 'UMV_ERR_PASSTHRU_MAC');
    }
    rt.tap!.setMac(req.mac);
    moveMac(p, rt, req.mac);
  }
  syncMemberships(p, rt);
}

/** A child's MAC changed (asked for, or set from inside its namespace): a duplicate takes it out of the address table. */
export function moveMac(p: PortState, rt: ChildRt, mac: number): void {
  const t = p.table;
  const old = t.mac[rt.slot];
  const bad = checkSetMac(t, rt.slot, mac);
  if (bad) {
    // The kernel refuses a duplicate; here it was already set from inside the child's namespace.
    p.log.warn(`child ${rt.name}: MAC ${formatMac(mac)} is in use (${bad.message}); the child leaves the address table`);
    if (t.up[rt.slot]) p.mutate('setUp', rt.slot, false);
    p.mutate('setMac', rt.slot, mac);
    rt.state = 'dup-mac';
  } else {
    p.mutate('setMac', rt.slot, mac);
    if (rt.state === 'dup-mac') rt.state = t.up[rt.slot] ? 'up' : 'down';
  }
  rt.cfg = { ...rt.cfg, mac };
  // Its old MAC may be the one a dup-mac sibling waits for.
  if (old !== mac) recheckDupMacs(p);
}

/**
 * A MAC left the address table (its child deleted, down, or given another MAC): a child kept out as dup-mac whose
 * MAC is now unique among the UP children comes back, as `ip link set up` would now succeed (lifecycle.md §3 A4).
 * A dup-mac child's TAP is up (a down one is `down`), so only the rule is asked. Lowest slot first: the one that
 * the address table would answer for anyway.
 */
export function recheckDupMacs(p: PortState): void {
  for (const rt of [...p.children.values()].sort((a, b) => a.slot - b.slot)) {
    if (rt.state !== 'dup-mac' || p.table.used[rt.slot] === 0 || checkUp(p.table, rt.slot)) continue;
    p.mutate('setUp', rt.slot, true);
    rt.state = 'up';
    p.log.info(`child ${rt.name}: its MAC ${formatMac(p.table.mac[rt.slot])} is unique again; back in the address table`);
    syncMemberships(p, rt);
  }
}

/** Takes a child out of the table and the worker, then closes its TAP; it stays listed as gone. */
export function dropChild(p: PortState, rt: ChildRt): Promise<void> {
  rt.unwatch?.();
  rt.unwatch = null;
  if (rt.state !== 'gone' && p.table.used[rt.slot]) {
    p.post({ op: 'detach', port: rt.slot });
    releaseMemberships(p, rt);
    p.mutate('removeChild', rt.slot);
  }
  const tap = rt.tap;
  rt.tap = null;
  p.bySlot[rt.slot] = null;
  rt.state = 'gone';
  recheckDupMacs(p);
  if (!tap) return Promise.resolve();
  // The worker must let go of the fd (detach) before it is closed, or its pending reads pin the TAP.
  const close = (): void => { try { tap.close(); } catch { /* already gone */ } };
  return p.datapath ? p.datapath.settled().then(close, close) : Promise.resolve(close());
}
