// src/capture/session.ts — one running capture, as control sees it: ring + writer + which ports, in one object.
//
// Order of a start, which the session keeps: compile the filter (an error before any file is made), make the ring
// (filter and port selection inside it), open the writer (an unwritable path fails here), name the ports. Only
// then does control hand ring.sab to the worker (CaptureRing.attach there) — so every frame finds its port named.
// Stop is the reverse: control tells the worker to drop the ring first, then calls stop(), which drains what is
// left and writes the statistics.

import { compileFilter, type BpfNative } from './filter.js';
import { CaptureRing, DEFAULT_RING_BYTES } from './ring.js';
import type { CaptureFormat } from './encoder.js';
import { CaptureWriter, type CaptureWriterStats } from './writer.js';
import type { CaptureError } from './errors.js';

/** The parent's port index (core/constants.ts PARENT; capture does not import core). */
const PARENT_PORT = 0;

/** What `run --capture…` and `capture start` say: the same fields as control's CaptureConfig. */
export interface CaptureSettings {
  file: string;
  /** a child's name, 'parent' or 'all' (names 'parent' and 'all' are refused for children, so never ambiguous) */
  port: string;
  filter?: string;
  format: CaptureFormat;
  snaplen: number;
  rotate?: { sizeMb: number; files: number };
}

export interface CaptureEnv {
  /** the parent's interface name: the name its frames carry in the file */
  parentName: string;
  /** the children now: port index → name */
  children: readonly { port: number; name: string }[];
  /** MAX_CHILDREN + 1 */
  maxPorts: number;
  /** the addon, asked for only when there is a filter: () => loadAddon<BpfNative>() */
  native: () => BpfNative;
  ringBytes?: number;
  cwd?: string;
  onError?: (e: CaptureError) => void;
}

export interface CaptureStatus extends CaptureWriterStats {
  /** frames the worker could not put in the ring (it was full), all ports */
  ringDrops: number;
}

export class CaptureSession {
  readonly ring: CaptureRing;
  private constructor(readonly settings: CaptureSettings, ring: CaptureRing, private readonly writer: CaptureWriter,
    private readonly maxPorts: number) {
    this.ring = ring;
  }

  /** Throws CaptureError (UMV_ERR_NO_LIBPCAP, UMV_ERR_CAPTURE_FILTER, UMV_ERR_CAPTURE_OPEN) or RangeError. */
  static async start(s: CaptureSettings, env: CaptureEnv): Promise<CaptureSession> {
    const prog = s.filter !== undefined ? compileFilter(s.filter, s.snaplen, env.native()) : null;
    const ring = CaptureRing.create({ bytes: env.ringBytes ?? DEFAULT_RING_BYTES, snaplen: s.snaplen, maxPorts: env.maxPorts });
    if (prog !== null) ring.setFilter(prog);
    ring.setPorts(s.port === 'all' ? null : []);
    const writer = await CaptureWriter.open(ring, {
      file: s.file, format: s.format,
      ...(s.rotate ? { rotate: s.rotate } : {}),
      ...(s.filter !== undefined ? { filter: s.filter } : {}),
      ...(env.cwd !== undefined ? { cwd: env.cwd } : {}),
      ...(env.onError ? { onError: env.onError } : {}),
    });
    const session = new CaptureSession(s, ring, writer, env.maxPorts);
    session.portAdded(PARENT_PORT, env.parentName, true);
    for (const c of env.children) session.portAdded(c.port, c.name);
    return session;
  }

  /** A port exists now (at start, or a child added live). Captured if the settings select it. */
  portAdded(port: number, name: string, isParent = port === PARENT_PORT): void {
    const sel = this.settings.port;
    const wanted = sel === 'all' || (sel === 'parent' ? isParent : !isParent && sel === name);
    if (!wanted) return;
    this.writer.setPort(port, name);
    if (sel !== 'all') this.ring.setPorts([port]);
  }

  /** A child was deleted: a capture of just that child stops receiving frames (its file stays open). */
  portRemoved(port: number, name: string): void {
    if (this.settings.port === name) this.ring.setPorts([]);
  }

  status(): CaptureStatus {
    this.ring.refresh();
    let ringDrops = 0;
    for (let p = 0; p < this.maxPorts; p++) ringDrops += this.ring.counters(p).dropped;
    return { ...this.writer.stats(), ringDrops };
  }

  /** Drains the ring, writes the statistics, closes the file. Call after the worker has let go of the ring. */
  async stop(): Promise<CaptureStatus> {
    await this.writer.close();
    return this.status();
  }
}
