// src/capture/port-identity.ts — one captured port under one name, and what the capture has cost and delivered it:
// the figures of its interface statistics (pcapng ISB) when a file closes.
//
// A port index can change hands (a child deleted, another added in its place): the new name is a new identity,
// its counters from zero, and the old one keeps the counters frozen at the rename for the files still open.

import type { InterfaceStats } from './pcapng.js';

/** A port's totals in the ring (CaptureRing.counters) */
export interface RingCounts { seen: number; accepted: number; dropped: number }

export interface PortIdentity {
  port: number;
  name: string;
  /** ring counters when this identity began */
  base: RingCounts;
  delivered: number;
  lostWriting: number;
  /** frames of this identity in the chunk being written */
  inChunk: number;
  /** counters frozen when the port was renamed; the statistics of files still open use them */
  final: RingCounts | null;
}

export function newIdentity(port: number, name: string, base: RingCounts): PortIdentity {
  return { port, name, base, delivered: 0, lostWriting: 0, inChunk: 0, final: null };
}

const NS_PER_S = 1e9;

/**
 * The statistics of `id` at `nowNs` in a capture started at `startNs`, `ring` its port's ring totals now:
 * received/accepted/dropped since the identity began (the writer's own losses count as dropped), frames written.
 */
export function identityStats(id: PortIdentity, ring: RingCounts, nowNs: number, startNs: number, filtered: boolean): InterfaceStats {
  const c = id.final ?? ring;
  const sec = Math.floor(nowNs / NS_PER_S);
  const startSec = Math.floor(startNs / NS_PER_S);
  const s: InterfaceStats = {
    sec, nsec: nowNs - sec * NS_PER_S, startSec, startNsec: startNs - startSec * NS_PER_S,
    received: c.seen - id.base.seen,
    dropped: c.dropped - id.base.dropped + id.lostWriting,
    delivered: id.delivered,
  };
  if (filtered) s.filterAccepted = c.accepted - id.base.accepted;
  return s;
}
