// Many TAPs deleted at once. Closing a TAP's last fd unregisters its netdev alone, each waiting for RCU grace periods
// under RTNL (~18 ms): thousands take a minute. One RTM_DELLINK by IFLA_GROUP unregisters every link of the group in
// one unregister_netdevice_many() (512 TAPs: 9.7 s one by one, 0.18 s as a group). So, per namespace holding the
// TAPs: read its links, put the TAPs in a group no other link there carries, delete the group; the caller closes the
// fds after (cheap once the devices are gone, and the one-by-one removal for any TAP the group missed).

import { randomInt } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { loadAddon } from './native.js';
import { IfaceError } from './errors.js';
import { ackRequest, roundTrip } from './rtnetlink.js';
import { buildGetLinkDump, parseMessages } from './rtnetlink-codec.js';
import { buildDelGroup, buildSetGroups, freeGroup, parseGroupLinks, type GroupLink } from './link-group-codec.js';

/** SETLINKs per datagram: their ACKs (one skb each, ~1 KiB of receive buffer) all queue before the first is read */
const CHUNK = 512;
const ENODEV = 19;

let seqCounter = 1;
function seqs(n: number): number { const s = seqCounter; seqCounter = (seqCounter + n) % 0x4000_0000; return s; }

export interface GroupDelete {
  /** TAPs deleted by a group delete; the others go one by one when their fd is closed */
  deleted: number;
  /** group deletes done: one per namespace that held some of the TAPs */
  deletes: number;
  /** one line per namespace where the group path failed or left TAPs out: `netns inode N: OP: ERRNO` */
  problems: string[];
}

interface NsTaps { nsfd: number; ino: number; names: string[] }

/**
 * Deletes the TAPs open on `fds` (none of them persistent any more), one RTM_DELLINK per namespace they are in now.
 * Never throws; touches only links it found by a TAP's own name (TUNGETIFF) in that TAP's namespace (TUNGETDEVNETNS)
 * that are TAPs there. A TAP already gone, or detached, is left to its close.
 */
export function deleteTapsByGroup(fds: readonly number[]): GroupDelete {
  const addon = loadAddon();
  const spaces = new Map<string, NsTaps>();
  const out: GroupDelete = { deleted: 0, deletes: 0, problems: [] };
  try {
    for (const fd of fds) {
      const nsfd = addon.tapNetnsFd(fd);
      if (nsfd < 0) continue;
      const name = addon.tapIfname(fd);
      let st: { dev: number; ino: number } | null = null;
      try { st = fstatSync(nsfd); } catch { st = null; }
      const key = st ? `${st.dev}:${st.ino}` : '';
      const known = spaces.get(key);
      if (typeof name !== 'string' || !st || known) addon.closeFd(nsfd);
      if (typeof name !== 'string' || !st) continue;
      if (known) known.names.push(name); else spaces.set(key, { nsfd, ino: st.ino, names: [name] });
    }
    for (const ns of spaces.values()) {
      const what = `netns inode ${ns.ino}`;
      try {
        const n = deleteInNs(ns, what, out.problems);
        if (n > 0) { out.deleted += n; out.deletes++; }
      } catch (e) {
        // an IfaceError names the namespace already (`what: OP: ERRNO`)
        const m = (e as Error).message;
        out.problems.push(m.startsWith(what) ? m : `${what}: ${m}`);
      }
    }
  } finally {
    for (const ns of spaces.values()) addon.closeFd(ns.nsfd);
  }
  return out;
}

/** Every link of the namespace with its group and kind (RTM_GETLINK dump). */
function groupLinks(nsfd: number, what: string): GroupLink[] {
  const seq = seqs(1);
  const links: GroupLink[] = [];
  let error = 0;
  roundTrip(nsfd, buildGetLinkDump(seq), what, (buf, n) => {
    let done = false;
    parseGroupLinks(buf, n, (l, s) => { if (s === seq) links.push(l); });
    parseMessages(buf, n, () => {}, (a) => { if (a.seq === seq) { error = a.error; done = true; } }, (s) => { if (s === seq) done = true; });
    return done;
  });
  if (error < 0) throw new IfaceError(what, 'RTM_GETLINK', -error);
  return links;
}

/** Puts `ifindexes` in `group`, CHUNK per datagram; returns how many the kernel refused, and the first errno. */
function setGroups(nsfd: number, what: string, ifindexes: readonly number[], group: number): { refused: number; errno: number } {
  let refused = 0, errno = 0;
  for (let i = 0; i < ifindexes.length; i += CHUNK) {
    const part = ifindexes.slice(i, i + CHUNK);
    const seq0 = seqs(part.length);
    let acked = 0;
    roundTrip(nsfd, buildSetGroups(seq0, part, group), what, (buf, n) => {
      parseMessages(buf, n, () => {}, (a) => {
        if (a.seq < seq0 || a.seq >= seq0 + part.length) return;
        acked++;
        if (a.error < 0) { refused++; errno ||= -a.error; }
      });
      return acked >= part.length;
    });
    // refused from the first (EPERM, a kernel without groups): the rest would be too
    if (i === 0 && refused === part.length) return { refused: ifindexes.length, errno };
  }
  return { refused, errno };
}

/** The group delete in one namespace; returns how many TAPs it deleted, pushes a problem when it left some out. */
function deleteInNs(ns: NsTaps, what: string, problems: string[]): number {
  const links = groupLinks(ns.nsfd, what);
  const byName = new Map(links.map((l) => [l.ifname, l]));
  const ours: number[] = [];
  for (const name of ns.names) {
    const l = byName.get(name);
    if (l?.kind === 'tun') ours.push(l.ifindex);
  }
  if (ours.length === 0) return 0;
  const group = freeGroup(new Set(links.map((l) => l.group)), () => randomInt(0x1_0000_0000));
  const { refused, errno } = setGroups(ns.nsfd, what, ours, group);
  if (refused === ours.length) throw new IfaceError(what, 'RTM_SETLINK IFLA_GROUP', errno);
  try {
    ackRequest((seq) => buildDelGroup(seq, group), what, 'RTM_DELLINK IFLA_GROUP', { netnsFd: ns.nsfd });
  } catch (e) {
    // ENODEV: none of them is there any more (deleted or moved meanwhile): nothing was left for the group
    if ((e as IfaceError).errno !== ENODEV) throw e;
    return 0;
  }
  if (refused > 0) problems.push(`${what}: RTM_SETLINK IFLA_GROUP refused for ${refused} of ${ours.length}: ${new IfaceError(what, '', errno).code}`);
  return ours.length - refused;
}
