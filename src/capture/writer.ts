// src/capture/writer.ts — drains the capture ring into pcapng or pcap files (or standard output), with rotation.
//
// DOC: Theory of operation
// One async loop in the control thread: drain the ring into an output chunk (encoding as it goes), and write the
// chunk once it is half full or has waited `intervalMs` (and at rotation and close); when a pass leaves the chunk
// unwritten, sleep until then — a write per pass would be a write per handful of records under a steady stream.
// Exactly one write is in flight at a time;
// while it is, the ring is the buffer, and when the ring is full the worker counts drops (ring.ts) — the datapath
// never waits for the disk and the writer never blocks the control thread (fs writes run on libuv's pool).
//
// Errors. Opening the first file and writing its header happen in open(): a missing directory, a read-only
// path, a full disk there is a CaptureError (UMV_ERR_CAPTURE_OPEN) before the capture starts; a path that is not
// safe to open as root (a symlink, a FIFO, someone else's file: capture-files.ts) is UMV_ERR_CAPTURE_UNSAFE. A
// rotated file refused for either reason is a write error: its frames are lost and counted, nothing else is opened. Later a failed
// write (ENOSPC, EPIPE when the reader of '-' went away, EIO) loses that chunk: its frames are counted as dropped
// for their ports, onError hears about it once (until a write succeeds again), and the loop goes on. EAGAIN on a
// non-blocking standard output is not an error: the chunk is retried a moment later.
//
// Files (names and opening: capture-files.ts). With rotation (SIZE_MB:FILES, as tcpdump -C SIZE -W FILES) no file
// grows past SIZE_MB × 10^6 bytes (a single frame larger than that still gets a file of its own); after the last
// number the writer starts again at 0, truncating the oldest file.
//
// Formats. One CaptureEncoder (encoder.ts), picked at the start, and the same steps for every format: each file
// stands alone — header; an interface per port, declared ones (setPort) at once, others with their first frame;
// records; at the close each interface's statistics (port-identity.ts). A renamed port gets a new interface.
//
// Layers, one file each: the chunk and its encoding (writer-chunk.ts), the files it goes to — open, write, rotate,
// close — (writer-files.ts), and here the loop and what the capture session calls.

import { CaptureError } from './errors.js';
import { newIdentity } from './port-identity.js';
import type { CaptureRing } from './ring.js';
import { CaptureFiles, CLOSE_WAIT_MS } from './writer-files.js';
import type { CaptureWriterOptions, CaptureWriterStats } from './writer-options.js';

export type { CaptureWriterOptions, CaptureWriterStats } from './writer-options.js';

const DEFAULT_INTERVAL_MS = 10;
/** ring counters are folded in at least this often (they are 32-bit words in the ring) */
const REFRESH_MS = 1000;
const MAX_CLOSING_PASSES = 64;

export class CaptureWriter extends CaptureFiles {
  private closingPasses = 0;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private lastRefresh = 0;

  /** Opens the first file and writes its header; throws CaptureError (UMV_ERR_CAPTURE_OPEN) if it cannot. */
  static async open(ring: CaptureRing, o: CaptureWriterOptions): Promise<CaptureWriter> {
    const w = new CaptureWriter(ring, o);
    await w.openFile(0, true);
    w.loopDone = w.loop();
    return w;
  }

  private constructor(ring: CaptureRing, o: CaptureWriterOptions) {
    if (o.rotate && o.file === '-') throw new RangeError('the standard output cannot be rotated');
    if (o.rotate && !(Number.isInteger(o.rotate.files) && o.rotate.files >= 1 && o.rotate.sizeMb > 0)) {
      throw new RangeError(`bad rotation ${o.rotate.sizeMb}:${o.rotate.files}`);
    }
    super(ring, { intervalMs: DEFAULT_INTERVAL_MS, app: 'umacvlan', ...o });
    this.ring.refresh();
    this.lastRefresh = Date.now();
  }

  /**
   * Names port `port` (the parent's interface name, a child's name). The port gets its interface in the current
   * file with the next write, and in every later file up front. A new name for a known port starts a new interface
   * (its counters from zero); the same name again changes nothing.
   */
  setPort(port: number, name: string): void {
    if (!Number.isInteger(port) || port < 0 || port >= this.ring.maxPorts) throw new RangeError(`port ${port} is not in 0..${this.ring.maxPorts - 1}`);
    const old = this.ident[port];
    if (old !== undefined && old.name === name) return;
    this.ring.refresh();
    if (old !== undefined) old.final = this.ring.counters(port);
    this.ident[port] = newIdentity(port, name, this.ring.counters(port));
    if (!this.declared.includes(port)) this.declared.push(port);
    this.f.ifidOf[port] = -1;
    this.pendingIf.push(port);
  }

  stats(): CaptureWriterStats {
    return { ...this.st };
  }

  /** The current file's path ('-' for standard output). */
  get path(): string {
    return this.f.path;
  }

  /**
   * Drains what the ring holds (stop the producer first), writes the statistics blocks, closes the file.
   * Waits at most 5 s for a write stuck on a reader that stopped reading.
   */
  async close(): Promise<CaptureWriterStats> {
    this.closing = true;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), CLOSE_WAIT_MS); });
    const r = await Promise.race([this.loopDone.then(() => 'done' as const), gaveUp]);
    clearTimeout(timer);
    if (r === 'timeout') this.noteError(new CaptureError('UMV_ERR_CAPTURE_WRITE', `capture ${this.f.path}: a write did not finish in ${CLOSE_WAIT_MS} ms; closed without statistics`, this.f.path, 'ETIMEDOUT'));
    return this.stats();
  }

  // ---- the loop -----------------------------------------------------------------------------------------------

  private async loop(): Promise<void> {
    try {
      await this.pump();
    } catch (e) {
      // a bug, not a disk problem: say so once and end the capture; forwarding goes on without it
      this.failing = false;
      this.noteError(new CaptureError('UMV_ERR_CAPTURE_WRITE', `capture ${this.f.path} stopped: ${(e as Error).message}`, this.f.path));
    }
    await this.closeFile().catch(() => {});
  }

  private async pump(): Promise<void> {
    for (;;) {
      const closing = this.closing;
      const n = this.fill();
      // A write per pass would be a write per handful of records under a steady stream (a pass takes as long as a
      // write): the chunk is written when half full, when it has waited intervalMs, and at rotation and close.
      // (pendingIf still holding a port here: its interface did not fit in the chunk)
      const since = Date.now() - this.lastFlush;
      const write = this.outLen > 0 && (closing || this.rotateNext || this.pendingIf.length > 0
        || this.outLen >= this.out.length >>> 1 || since >= this.o.intervalMs);
      if (write) await this.flush();
      if (this.rotateNext) { await this.rotate(); continue; }
      const more = n > 0 || this.pendingIf.length > 0;
      // closing: drain what the ring holds, but not for ever if a producer still runs
      if (closing && (!more || (n > 0 && ++this.closingPasses > MAX_CLOSING_PASSES))) break;
      // after a write, look again at once (the ring filled meanwhile); else the ring was drained and the chunk waits
      if (more && write) continue;
      const wait = this.outLen > 0 ? Math.max(1, this.o.intervalMs - since) : this.o.intervalMs;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, wait);
      });
      this.wake = null;
    }
  }

  /** Encodes pending interfaces and ring records into the chunk; returns how many records it took. */
  private fill(): number {
    if (Date.now() - this.lastRefresh >= REFRESH_MS) { this.ring.refresh(); this.lastRefresh = Date.now(); }
    while (this.pendingIf.length > 0) {
      const port = this.pendingIf[0];
      const id = this.ident[port]!;
      if (!this.hasInterface(id)) {
        const len = this.enc.interfaceLength(this.desc(id));
        if (this.outLen + len > this.out.length) return 0;
        this.addInterface(id);
      }
      this.pendingIf.shift();
    }
    return this.ring.drain(this);
  }
}
