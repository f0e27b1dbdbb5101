// What the control socket does with a request. A client sends its argv; the daemon parses it again with the same
// parser as the command line (nothing a client sends is trusted), then acts on its own port table.

import { Mode, MODE_NAMES, PARENT, type ModeBit } from '../core/constants.js';
import { explain, traceFrame, EGRESS_NAMES } from '../core/trace.js';
import { ETHERTYPE_EXPERIMENTAL, formatMac } from '../wire/ethernet.js';
import { parseCommand, type Command } from './args.js';
import { FLAG_OPTIONS, flagBit } from '../values/child-flags.js';
import { setRefusal } from './client-commands.js';
import { UsageError } from './usage-error.js';
import type { Answer } from './server.js';
import { requestPathRefusal } from './capture-path.js';
import { codeOf } from '../errors/catalog.js';
import type { Daemon, SetRequest } from './daemon.js';
import { withEngineStats, type PortIoView, type RingView } from './engine-stats.js';
import { FLOOD_QUEUE_MAX } from '../datapath/flood-queue.js';
import type { HostPortView } from './host-port.js';
import { serveCni, type CniContext } from './cni-handler.js';
import type { CniAttachment } from './cni-attachment.js';
import { resolveCniRef } from './cni-ref.js';

export interface PortView {
  name: string;
  slot: number;
  mac: string;
  mode: string;
  state: string;
  mtu: number;
  flags: string[];
  netns: string | null;
  macaddr: string[];
  counters: Record<string, number>;
  /** read and write errors of the I/O layer, for a port it reads (engine-stats.ts) */
  io?: PortIoView;
  /** the parent only */
  ring?: RingView;
  /** the broadcast queue (forwarding.md §3.4): on a child what it asked for; on the parent the port's length, what
   *  the data path holds at most of it, and the port's bclim */
  broadcast?: { bcqueuelen: number; held?: number; bclim?: number };
  /** a child taken back from a previous daemon (--persist) */
  adopted?: true;
  /** the parent, after a restart that adopted children: an upper bound of the time without forwarding */
  restartGapMs?: number;
  /** a child's multicast state: its exact groups with the source that first reported each, or over the cap */
  groups?: GroupsView;
  /** the host port (host-port.ts): the host's own stack's port, its addresses and the host routes through it */
  kind?: 'host-port';
  hostPort?: HostPortView;
  /** a CNI child: the attachment it serves and its IPAM result's IPs */
  cni?: CniAttachment;
}

export interface GroupsView {
  /** over --max-groups: all-multicast, no exact groups kept */
  cap: boolean;
  entries: Array<{ mac: string; source: string }>;
}

export function portViews(d: Daemon, only?: string): PortView[] {
  const t = d.table;
  const views: PortView[] = [];
  const rows = d.counterRows();
  for (const r of rows) {
    if (only !== undefined && r.name !== only) continue;
    if (r.slot === PARENT) {
      views.push({
        name: r.name, slot: 0, mac: formatMac(t.mac[0]), mode: 'parent',
        state: t.parentUp ? (t.parentCarrier ? 'up' : 'no-carrier') : 'down', mtu: t.mtu[0], flags: [], netns: null, macaddr: [],
        counters: r.counters,
        broadcast: { bcqueuelen: t.bcQueueLimit, held: Math.min(t.bcQueueLimit, FLOOD_QUEUE_MAX), bclim: t.bcCutoff },
      });
      if (d.restartGapMs !== null) views[views.length - 1].restartGapMs = d.restartGapMs;
      continue;
    }
    const rt = d.children.get(r.name)!;
    const s = rt.slot;
    const gone = rt.state === 'gone';
    const flags: string[] = [];
    for (const f of FLAG_OPTIONS) if (!gone && t.flags[s] & f.bit) flags.push(f.name);
    if (!gone && t.promisc[s]) flags.push('promisc');
    // The child's own flag: the table's allmulti also stands for the group cap, reported under groups.
    if (!gone && rt.ownAllmulti) flags.push('allmulti');
    views.push({
      name: rt.name, slot: s, mac: formatMac(gone ? (rt.cfg.mac as number) : t.mac[s]),
      mode: MODE_NAMES[(gone ? rt.cfg.mode : t.mode[s]) as ModeBit], state: rt.state,
      mtu: gone ? 0 : t.mtu[s], flags, netns: rt.netns,
      macaddr: gone ? [] : t.sourceList(s).map(formatMac), counters: r.counters,
      ...(gone ? {} : { broadcast: { bcqueuelen: t.bcQueueLen[s] } }),

      groups: {
        cap: !gone && rt.groups.capped,
        entries: gone ? [] : rt.groups.entries().map((e) => ({ mac: formatMac(e.mac), source: e.source })),
      },
    });
    if (rt.adopted) views[views.length - 1].adopted = true;
    const hp = d.hostPortView;
    if (hp?.name === rt.name) Object.assign(views[views.length - 1], { kind: 'host-port', hostPort: { addrs: hp.addrs, routes: hp.routes } });
    if (rt.cfg.cni) views[views.length - 1].cni = rt.cfg.cni;
  }
  return views;
}

function toSetRequest(c: Extract<Command, { kind: 'set' }>['change']): SetRequest {
  if ('on' in c) return {}; // a flag: filled by the caller, which knows the current flags
  switch (c.what) {
    case 'mode': return { mode: c.mode };
    case 'mac': return { mac: c.mac };
    case 'mtu': return { mtu: c.mtu };
    case 'bcqueuelen': return { bcQueueLen: c.n };
    case 'bclim': return { bcCutoff: c.n };
    case 'macaddr':
      if (c.op === 'flush') return { sourceOp: 'flush', sourceMacs: [] };
      if (c.op === 'set') return { sourceOp: 'set', sourceMacs: c.macs };
      return { sourceOp: c.op, sourceMacs: [c.mac] };
  }
}

function portIndex(d: Daemon, name: string): number {
  if (name === 'parent' || name === d.cfg.parent) return PARENT;
  const rt = d.liveChild(name);
  return rt.slot;
}

function failure(e: unknown): Answer {
  // A SystemError's errno ('EBUSY') is not one of our codes: its message already names it.
  return { ok: false, error: (e as Error).message, code: codeOf(e) ?? 'UMV_ERR_RUNTIME' };
}

function withVlanTag(f: Uint8Array, vid: number): Uint8Array {
  const t = new Uint8Array(f.length + 4);
  t.set(f.subarray(0, 12), 0);
  t[12] = 0x81; t[13] = 0x00; t[14] = (vid >>> 8) & 0x0f; t[15] = vid & 0xff;
  t.set(f.subarray(12), 16);
  return t;
}

export interface ExtraHandlers {
  captureStart?: (c: Extract<Command, { kind: 'capture-start' }>) => Promise<Answer> | Answer;
  captureStop?: () => Promise<Answer> | Answer;
  /** ends the daemon after this answer (run.ts); removeChildren: its kept children and state file go too */
  stop?: (removeChildren: boolean) => Answer;
  /** serves CNI calls the shim hands over (cni-handler.ts) */
  cni?: CniContext;
}

export async function handleRequest(d: Daemon, req: Record<string, unknown>, extra: ExtraHandlers = {}): Promise<Answer> {
  if (req.cmd === 'ping') return { ok: true, pid: process.pid, parent: d.cfg.parent };
  if (req.cmd === 'cni') {
    return extra.cni ? serveCni(d, extra.cni, req) : { ok: false, error: 'the daemon is starting', code: 'UMV_ERR_STARTING' };
  }
  if (req.cmd !== 'exec' || !Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string')) {
    return { ok: false, error: 'malformed request: expected {"cmd":"exec","argv":[...]} or {"cmd":"ping"}', code: 'UMV_ERR_REQUEST' };
  }
  const cmd = parseCommand(req.argv as string[], () => new UsageError('--config', 'not accepted over the control socket'));
  if (cmd instanceof UsageError) return { ok: false, error: cmd.message, code: cmd.code };
  try {
    // --cni CONTAINERID/IFNAME: the child serving that attachment (cni-ref.ts)
    if ((cmd.kind === 'show' || cmd.kind === 'del' || cmd.kind === 'set') && cmd.cni) cmd.name = resolveCniRef(d.children.values(), cmd.cni);
    switch (cmd.kind) {
      case 'show': {
        if (cmd.name !== undefined && cmd.name !== d.cfg.parent && cmd.name !== 'parent' && !d.children.has(cmd.name)) {
          return { ok: false, error: `no port named ${cmd.name}`, code: 'UMV_ERR_NO_CHILD' };
        }
        const views = portViews(d, cmd.name === 'parent' ? d.cfg.parent : cmd.name);
        return { ok: true, ports: withEngineStats(views, await d.engineStats()) };
      }
      case 'add': {
        const rt = d.addChild(cmd.child);
        await d.settled();
        return { ok: true, name: rt.name, mac: formatMac(d.table.mac[rt.slot]) };
      }
      case 'del':
        await d.delChild(cmd.name);
        await d.settled();
        return { ok: true };
      case 'set': {
        const rt = d.liveChild(cmd.name);
        const refused = setRefusal(cmd.name, cmd.change, d.table.mode[rt.slot] as ModeBit);
        if (refused) return { ok: false, error: refused.message, code: refused.code };
        if (cmd.change.what === 'mode' && cmd.change.mode !== Mode.BRIDGE && d.hostPortView?.name === cmd.name) {
          return { ok: false, error: `${cmd.name} is the host port: it stays in bridge mode (del it, then add a child of that mode)`, code: 'UMV_ERR_HOST_PORT_MODE' };
        }
        const r = toSetRequest(cmd.change);
        if ('on' in cmd.change) {
          const bit = flagBit(cmd.change.what);
          const cur = d.table.flags[rt.slot];
          r.flags = cmd.change.on ? cur | bit : cur & ~bit;
        }
        d.setChild(cmd.name, r);
        await d.settled();
        return { ok: true };
      }
      case 'trace': {
        const from = portIndex(d, cmd.in);
        // Default source: the --in port's own MAC (a frame a child sends; from the parent, one the parent's MAC sent).
        const plain = traceFrame(cmd.dst, cmd.src ?? d.table.mac[from], ETHERTYPE_EXPERIMENTAL, cmd.len ?? 60);
        // An 802.1Q tag sits between the source MAC and the EtherType; the decision reads the frame as it is (F25).
        const frame = cmd.vlan === undefined ? plain : withVlanTag(plain, cmd.vlan);
        const tr = explain(d.table, from, frame);
        const name = (p: number): string => (p === PARENT ? `${d.cfg.parent} (wire)` : [...d.children.values()].find((c) => c.slot === p)?.name ?? `slot ${p}`);
        return {
          ok: true, rule: tr.rule, reason: tr.reasonName, toHost: tr.toHost,
          egress: tr.egress.map((e) => ({ port: name(e.port), kind: EGRESS_NAMES[e.kind], drop: e.drop ? e.drop : undefined })),
        };
      }
      case 'capture-start': {
        const why = requestPathRefusal(cmd.capture.file);
        if (why !== null) return { ok: false, error: why, code: 'UMV_ERR_USAGE' };
        return extra.captureStart ? await extra.captureStart(cmd) : { ok: false, error: 'the daemon is starting: capture is not ready yet', code: 'UMV_ERR_STARTING' };
      }
      case 'capture-stop':
        return extra.captureStop ? await extra.captureStop() : { ok: false, error: 'no capture is running', code: 'UMV_ERR_CAPTURE' };
      case 'stop':
        return extra.stop ? extra.stop(cmd.removeChildren) : { ok: false, error: 'the daemon is starting', code: 'UMV_ERR_STARTING' };
      default:
        return { ok: false, error: `${cmd.kind}: not a control-socket command`, code: 'UMV_ERR_REQUEST' };
    }
  } catch (e) {
    return failure(e);
  }
}

