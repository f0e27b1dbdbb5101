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

import {
  capturePath, errCode, failingFile, nodeCaptureIo, openCaptureFile, rotatedName, UnsafeCaptureFile, type CaptureFile,
  type CaptureIo,
} from './capture-files.js';
import { Dir } from '../core/direction.js';
import { encoderFor, type CaptureEncoder } from './encoder.js';
import { CaptureError } from './errors.js';
import type { InterfaceDesc } from './pcapng.js';
import { identityStats, newIdentity, type PortIdentity } from './port-identity.js';
import type { CaptureRing, CaptureSink } from './ring.js';
import type { CaptureWriterOptions, CaptureWriterStats } from './writer-options.js';

export type { CaptureWriterOptions, CaptureWriterStats } from './writer-options.js';

const DEFAULT_INTERVAL_MS = 10;
const DEFAULT_CHUNK = 1 << 20;
const EAGAIN_RETRY_MS = 5;
const CLOSE_WAIT_MS = 5000;
/** ring counters are folded in at least this often (they are 32-bit words in the ring) */
const REFRESH_MS = 1000;
const MAX_CLOSING_PASSES = 64;

interface OpenFile {
  path: string;
  h: CaptureFile;
  bytes: number;
  packets: number;
  /** interface id → identity, in the order their interfaces went into the file */
  ifs: PortIdentity[];
  /** port → interface id in this file, -1 = none yet */
  ifidOf: Int32Array;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const wallNs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e6);

export class CaptureWriter implements CaptureSink {
  private readonly ring: CaptureRing;
  private readonly o: Required<Pick<CaptureWriterOptions, 'format' | 'intervalMs' | 'app'>> & CaptureWriterOptions;
  private readonly io: CaptureIo;
  private readonly enc: CaptureEncoder;
  private readonly base: string;
  private readonly limit: number;
  private readonly out: Buffer;
  private outLen = 0;
  private readonly ident: (PortIdentity | undefined)[];
  /** declared ports, in declaration order (their interfaces open every file) */
  private readonly declared: number[] = [];
  private f!: OpenFile;
  private fileIndex = 0;
  private readonly startNs: number;
  /** ports whose interface goes into the next chunk (named with setPort since the last one) */
  private pendingIf: number[] = [];
  /** identities with frames in the chunk being built, and how many frames it holds */
  private chunkIdents: PortIdentity[] = [];
  private chunkPackets = 0;
  private closingPasses = 0;
  private closingSince = 0;
  private rotateNext = false;
  private closing = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private lastRefresh = 0;
  private failing = false;
  private readonly st: CaptureWriterStats;
  /** when the last chunk was written (ms, Date.now()) */
  private lastFlush = 0;

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
    this.ring = ring;
    this.o = { intervalMs: DEFAULT_INTERVAL_MS, app: 'umacvlan', ...o };
    this.io = o.io ?? nodeCaptureIo;
    this.base = capturePath(o.file, o.cwd ?? process.cwd());
    this.limit = o.rotate ? o.rotate.sizeMb * 1e6 : Infinity;
    this.enc = encoderFor(this.o.format, { app: this.o.app, snaplen: ring.snaplen, filtered: o.filter !== undefined });
    const biggest = this.enc.recordLength(ring.snaplen, Dir.IN | Dir.OUT)
      + 2 * this.enc.interfaceLength({ name: 'x'.repeat(255), snaplen: 0, filter: o.filter ?? '' });
    this.out = Buffer.alloc(Math.max(o.chunkBytes ?? DEFAULT_CHUNK, 2 * biggest));
    this.ident = new Array(ring.maxPorts);
    this.startNs = wallNs();
    this.st = { file: this.base, filesOpened: 0, framesWritten: 0, framesLostWriting: 0, bytesWritten: 0, writeErrors: 0 };
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

  /** CaptureSink: one record into the chunk, or false when the chunk or the file is full. */
  record(port: number, dir: number, bytes: Uint8Array, at: number, capLen: number, origLen: number, sec: number, nsec: number): boolean {
    let id = this.ident[port];
    if (id === undefined) id = this.implicitPort(port);
    const need = this.enc.recordLength(capLen, dir);
    const newIf = !this.hasInterface(id);
    const ifBytes = newIf ? this.enc.interfaceLength(this.desc(id)) : 0;
    if (this.outLen + ifBytes + need > this.out.length) return false;
    if (this.limit !== Infinity) {
      const stats = (this.f.ifs.length + (newIf ? 1 : 0)) * this.enc.statsLength;
      const packets = this.f.packets + this.chunkPackets;
      if (packets > 0 && this.f.bytes + this.outLen + ifBytes + need + stats > this.limit) { this.rotateNext = true; return false; }
    }
    if (newIf) this.addInterface(id);
    this.outLen += this.enc.writeRecord(this.out, this.outLen, this.f.ifidOf[port], sec, nsec, bytes, at, capLen, origLen, dir);
    if (id.inChunk++ === 0) this.chunkIdents.push(id);
    this.chunkPackets++;
    return true;
  }

  private desc(id: PortIdentity): InterfaceDesc {
    const d: InterfaceDesc = { name: id.name, snaplen: this.ring.snaplen };
    if (this.o.filter !== undefined) d.filter = this.o.filter;
    return d;
  }

  /** Whether the current file has described this identity already */
  private hasInterface(id: PortIdentity): boolean {
    const ifid = this.f.ifidOf[id.port];
    return ifid >= 0 && this.f.ifs[ifid] === id;
  }

  private addInterface(id: PortIdentity): void {
    this.outLen += this.enc.writeInterface(this.out, this.outLen, this.desc(id));
    this.f.ifidOf[id.port] = this.f.ifs.length;
    this.f.ifs.push(id);
  }

  /** A frame from a port nobody named: it is still captured, under the name port<N>. */
  private implicitPort(port: number): PortIdentity {
    this.ring.refresh();
    // counted from the start: the frames before this one were this port's too
    const id = newIdentity(port, `port${port}`, { seen: 0, accepted: 0, dropped: 0 });
    this.ident[port] = id;
    return id;
  }

  /** Writes the chunk; on failure its frames become writer losses. */
  private async flush(): Promise<void> {
    this.lastFlush = Date.now();
    const ok = (await this.writeAll(this.out, this.outLen)) === null;
    for (const id of this.chunkIdents) {
      if (ok) id.delivered += id.inChunk; else id.lostWriting += id.inChunk;
      id.inChunk = 0;
    }
    if (ok) { this.st.framesWritten += this.chunkPackets; this.f.packets += this.chunkPackets; }
    else this.st.framesLostWriting += this.chunkPackets;
    this.chunkIdents = [];
    this.chunkPackets = 0;
    this.outLen = 0;
  }

  /** null when every byte went out, else the error code (already counted and reported) */
  private async writeAll(b: Uint8Array, len: number): Promise<string | null> {
    let at = 0;
    while (at < len) {
      try {
        const n = await this.f.h.write(b, at, len - at);
        at += n;
        this.f.bytes += n;
        this.st.bytesWritten += n;
      } catch (e) {
        const code = errCode(e);
        if (code === 'EAGAIN' && !this.closingTooLong()) { await sleep(EAGAIN_RETRY_MS); continue; }
        this.st.writeErrors++;
        this.noteError(new CaptureError('UMV_ERR_CAPTURE_WRITE', `capture ${this.f.path}: write failed: ${code}; its frames are counted as dropped`, this.f.path, code));
        return code;
      }
    }
    this.failing = false;
    return null;
  }

  private closingTooLong(): boolean {
    if (!this.closing) return false;
    if (this.closingSince === 0) this.closingSince = Date.now();
    return Date.now() - this.closingSince > CLOSE_WAIT_MS;
  }

  private noteError(e: CaptureError): void {
    this.st.lastError = e.message;
    if (this.failing) return;
    this.failing = true;
    this.o.onError?.(e);
  }

  // ---- files --------------------------------------------------------------------------------------------------

  private async openFile(index: number, first: boolean): Promise<void> {
    const path = this.base === '-' ? '-' : this.o.rotate ? rotatedName(this.base, index, this.o.rotate.files) : this.base;
    let h: CaptureFile;
    try {
      h = await openCaptureFile(path, this.io, this.o.stdoutFd ?? 1, first && !this.o.file.includes('/'));
    } catch (e) {
      const code = errCode(e);
      const unsafe = e instanceof UnsafeCaptureFile;
      const err = new CaptureError(!first ? 'UMV_ERR_CAPTURE_WRITE' : unsafe ? 'UMV_ERR_CAPTURE_UNSAFE' : 'UMV_ERR_CAPTURE_OPEN',
        unsafe ? `capture file ${path} refused: ${e.reason}` : `cannot open capture file ${path}: ${code}`, path, code);
      if (first) throw err;
      // a later file that cannot be opened: keep writing to nowhere, counting every frame as lost
      this.noteError(err);
      h = failingFile(code);
    }
    this.f = { path, h, bytes: 0, packets: 0, ifs: [], ifidOf: new Int32Array(this.ring.maxPorts).fill(-1) };
    this.fileIndex = index;
    this.st.file = path;
    this.st.filesOpened++;
    // at open, a failure is the caller's to report: not passed to onError
    if (first) this.failing = true;
    // the header, and the interfaces of every port named so far
    this.outLen = this.enc.writeHeader(this.out, 0);
    let bad: string | null = null;
    for (const port of this.declared) {
      bad ??= await this.spill(this.enc.interfaceLength(this.desc(this.ident[port]!)));
      this.addInterface(this.ident[port]!);
    }
    this.pendingIf = [];
    bad ??= await this.writeAll(this.out, this.outLen);
    this.outLen = 0;
    if (first) {
      this.failing = false;
      if (bad !== null) {
        await h.close().catch(() => {});
        throw new CaptureError('UMV_ERR_CAPTURE_OPEN', `cannot write capture file ${path}: ${bad}`, path, bad);
      }
    }
  }

  /** Makes room for `need` bytes of header or statistics blocks by writing out what the chunk holds. */
  private async spill(need: number): Promise<string | null> {
    if (this.outLen + need <= this.out.length) return null;
    const bad = await this.writeAll(this.out, this.outLen);
    this.outLen = 0;
    return bad;
  }

  private async rotate(): Promise<void> {
    this.rotateNext = false;
    await this.closeFile();
    await this.openFile((this.fileIndex + 1) % this.o.rotate!.files, false);
  }

  /** Each interface's statistics (pcapng ISBs; pcap keeps none), then close. */
  private async closeFile(): Promise<void> {
    if (this.enc.statsLength > 0 && this.f.ifs.length > 0) {
      this.ring.refresh();
      const now = wallNs();
      this.outLen = 0;
      for (let ifid = 0; ifid < this.f.ifs.length; ifid++) {
        const id = this.f.ifs[ifid];
        const s = identityStats(id, this.ring.counters(id.port), now, this.startNs, this.o.filter !== undefined);
        await this.spill(this.enc.statsLength);
        this.outLen += this.enc.writeStats(this.out, this.outLen, ifid, s);
      }
      await this.writeAll(this.out, this.outLen);
      this.outLen = 0;
    }
    await this.f.h.close().catch((e: unknown) => this.noteError(new CaptureError('UMV_ERR_CAPTURE_WRITE',
      `capture ${this.f.path}: close failed: ${errCode(e)}`, this.f.path, errCode(e))));
  }
}
