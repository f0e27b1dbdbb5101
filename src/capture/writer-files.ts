// src/capture/writer-files.ts — the files a CaptureWriter's chunks go to: each opened with its header and the
// declared ports' interfaces, written with errors counted and reported once, rotated, and closed with each
// interface's statistics. Between the chunk (writer-chunk.ts) and the loop (writer.ts).

import {
  capturePath, errCode, failingFile, nodeCaptureIo, openCaptureFile, rotatedName, UnsafeCaptureFile, type CaptureFile,
  type CaptureIo,
} from './capture-files.js';
import { CaptureError } from './errors.js';
import { identityStats } from './port-identity.js';
import type { CaptureRing } from './ring.js';
import { CaptureChunk, type WriterSettings } from './writer-chunk.js';
import type { CaptureWriterStats } from './writer-options.js';

const EAGAIN_RETRY_MS = 5;
/** how long a close waits for a write stuck on a reader that stopped reading */
export const CLOSE_WAIT_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const wallNs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e6);

export class CaptureFiles extends CaptureChunk {
  protected readonly io: CaptureIo;
  protected readonly base: string;
  /** declared ports, in declaration order (their interfaces open every file) */
  protected readonly declared: number[] = [];
  protected fileIndex = 0;
  protected readonly startNs: number;
  /** ports whose interface goes into the next chunk (named with setPort since the last one) */
  protected pendingIf: number[] = [];
  protected closingSince = 0;
  protected closing = false;
  protected failing = false;
  protected readonly st: CaptureWriterStats;
  /** when the last chunk was written (ms, Date.now()) */
  protected lastFlush = 0;

  protected constructor(ring: CaptureRing, o: WriterSettings) {
    super(ring, o);
    this.io = o.io ?? nodeCaptureIo;
    this.base = capturePath(o.file, o.cwd ?? process.cwd());
    this.startNs = wallNs();
    this.st = { file: this.base, filesOpened: 0, framesWritten: 0, framesLostWriting: 0, bytesWritten: 0, writeErrors: 0 };
  }

  // ---- writing ------------------------------------------------------------------------------------------------

  /** Writes the chunk; on failure its frames become writer losses. */
  protected async flush(): Promise<void> {
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
  protected async writeAll(b: Uint8Array, len: number): Promise<string | null> {
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

  protected closingTooLong(): boolean {
    if (!this.closing) return false;
    if (this.closingSince === 0) this.closingSince = Date.now();
    return Date.now() - this.closingSince > CLOSE_WAIT_MS;
  }

  protected noteError(e: CaptureError): void {
    this.st.lastError = e.message;
    if (this.failing) return;
    this.failing = true;
    this.o.onError?.(e);
  }

  // ---- files --------------------------------------------------------------------------------------------------

  protected async openFile(index: number, first: boolean): Promise<void> {
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
  protected async spill(need: number): Promise<string | null> {
    if (this.outLen + need <= this.out.length) return null;
    const bad = await this.writeAll(this.out, this.outLen);
    this.outLen = 0;
    return bad;
  }

  protected async rotate(): Promise<void> {
    this.rotateNext = false;
    await this.closeFile();
    await this.openFile((this.fileIndex + 1) % this.o.rotate!.files, false);
  }

  /** Each interface's statistics (pcapng ISBs; pcap keeps none), then close. */
  protected async closeFile(): Promise<void> {
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
