// The client side of `umacvlan show | add | del | set | trace | capture`: find the daemon, send argv, print the answer.

import type { Command, DaemonTarget } from './args.js';
import { answerExit, EXIT, exitOf } from '../errors/catalog.js';
import { request, probeLive, type Answer } from './server.js';
import { defaultControlPath, listControlSockets } from './socket-path.js';
import type { PortView } from './requests.js';
import { engineLines } from './engine-stats.js';
import { absoluteCaptureArgv } from './capture-path.js';
import { DEFAULT_BC_QUEUE_LEN } from '../core/constants.js';

async function findDaemon(t: DaemonTarget): Promise<string> {
  if (t.control) return t.control;
  if (t.parent) return defaultControlPath(t.parent);
  const live: string[] = [];
  for (const p of listControlSockets()) if ((await probeLive(p)) !== null) live.push(p);
  if (live.length === 1) return live[0];
  if (live.length === 0) throw new Error('no umacvlan daemon is running (none answers under /run/umacvlan)');
  throw new Error(`more than one daemon is running; name one with --parent NAME or --control PATH: ${live.join(', ')}`);
}

function showTable(ports: PortView[]): string {
  const lines: string[] = [];
  for (const p of ports) {
    const c = p.counters;
    lines.push(`${p.name}: ${p.kind ? `${p.kind} ` : ''}${p.mode} ${p.mac} mtu ${p.mtu} state ${p.state}${p.flags.length ? ' ' + p.flags.join(' ') : ''}${p.netns ? ` netns ${p.netns}` : ''}${p.adopted ? ' adopted' : ''}`);
    if (p.cni) lines.push(`  cni: network ${p.cni.network} container ${p.cni.containerId} ifname ${p.cni.ifname}${p.cni.ips.length ? ` ips ${p.cni.ips.join(',')}` : ''}`);
    if (p.restartGapMs !== undefined) lines.push(`    restart: forwarding gap at most ${p.restartGapMs} ms`);
    if (p.macaddr.length) lines.push(`    macaddr ${p.macaddr.join(',')}`);
    if (p.hostPort) lines.push(`    host port: addresses ${p.hostPort.addrs.join(', ') || 'none'}; routes ${p.hostPort.routes.join(', ') || 'none'}`);
    if (p.groups?.cap) lines.push('    groups: allmulti (cap)');
    else if (p.groups?.entries.length) lines.push(`    groups: ${p.groups.entries.map((g) => `${g.mac} (${g.source})`).join(', ')}`);
    lines.push(...broadcastLines(p));
    lines.push(`    RX: packets ${c.rx_packets} bytes ${c.rx_bytes} multicast ${c.rx_multicast} errors ${c.rx_errors} dropped ${c.rx_dropped}`);
    lines.push(`    TX: packets ${c.tx_packets} bytes ${c.tx_bytes} dropped ${c.tx_dropped}`);
    const drops = Object.entries(c).filter(([k, v]) => k.startsWith('drop_') && v > 0).map(([k, v]) => `${k.slice(5)} ${v}`);
    if (drops.length) lines.push(`    drops: ${drops.join(', ')}`);
    if (c.nat_rewritten > 0 || c.nat_unowned > 0) lines.push(`    nat: rewritten ${c.nat_rewritten} unowned ${c.nat_unowned}`);
    lines.push(...engineLines(p));
  }
  return lines.join('\n');
}

function print(cmd: Command, a: Answer & { ok: true }): void {
  const r = a as Record<string, unknown>;
  switch (cmd.kind) {
    case 'show':
      process.stdout.write((cmd.json ? JSON.stringify(r.ports, null, 2) : showTable(r.ports as PortView[])) + '\n');
      break;
    case 'add':
      process.stdout.write(`${String(r.name)} ${String(r.mac)}\n`);
      break;
    case 'trace': {
      const eg = r.egress as Array<{ port: string; kind: string; drop?: number }>;
      process.stdout.write(`rule: ${String(r.rule)}\n`);
      if (eg.length === 0) process.stdout.write(`egress: none (${String(r.reason)})\n`);
      for (const e of eg) process.stdout.write(`egress: ${e.port} as ${e.kind}${e.drop ? ' (dropped: too large for its MTU)' : ''}\n`);
      process.stdout.write(`parent's own stack: ${r.toHost ? 'yes' : 'no'} (the kernel's view; a userspace daemon cannot hide frames from it)\n`);
      break;
    }
    default:
      if (typeof r.message === 'string') process.stdout.write(r.message + '\n');
  }
}

export async function clientMain(cmd: Exclude<Command, { kind: 'run' | 'help' | 'version' | 'cni-install' }>, argv: readonly string[]): Promise<number> {
  let path: string;
  try { path = await findDaemon(cmd.target); } catch (e) {
    process.stderr.write(`umacvlan: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  }
  let a: Answer;
  try {
    const words = cmd.kind === 'capture-start' ? absoluteCaptureArgv(argv, process.cwd()) : [...argv];
    a = await request(path, { cmd: 'exec', argv: words });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EACCES' ? 'permission denied (the control socket is root\'s)'
      : err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'no daemon answers there' : err.message;
    process.stderr.write(`umacvlan: ${path}: ${why}\n`);
    return exitOf(e);
  }
  if (!a.ok) {
    process.stderr.write(`umacvlan: ${a.error}\n`);
    return answerExit(a.code);
  }
  print(cmd, a);
  return EXIT.OK;
}

/** The parent's broadcast queue and bclim; a child's bcqueuelen only when it asked for another than the default */
function broadcastLines(p: PortView): string[] {
  const b = p.broadcast;
  if (b === undefined) return [];
  if (b.bclim !== undefined) return [`    broadcast queue: bcqueuelen ${b.bcqueuelen} (held at most ${b.held}) bclim ${b.bclim}`];
  return b.bcqueuelen === DEFAULT_BC_QUEUE_LEN ? [] : [`    bcqueuelen ${b.bcqueuelen}`];
}
