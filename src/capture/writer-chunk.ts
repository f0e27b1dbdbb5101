// src/capture/writer-chunk.ts — the output chunk a CaptureWriter builds: records and interface blocks encoded into
// one Buffer, each record checked against the room left in the chunk and, with rotation, in the current file. The
// base of CaptureWriter (writer.ts), under the files it writes the chunk to (writer-files.ts).

import { Dir } from '../core/direction.js';
import type { CaptureFile } from './capture-files.js';
import { encoderFor, type CaptureEncoder } from './encoder.js';
import type { InterfaceDesc } from './pcapng.js';
import { newIdentity, type PortIdentity } from './port-identity.js';
import type { CaptureRing, CaptureSink } from './ring.js';
import type { CaptureWriterOptions } from './writer-options.js';

const DEFAULT_CHUNK = 1 << 20;

/** The options with their defaults filled in (writer.ts) */
export type WriterSettings = Required<Pick<CaptureWriterOptions, 'format' | 'intervalMs' | 'app'>>
  & CaptureWriterOptions;

/** The file being written and the interfaces it holds */
export interface OpenFile {
  path: string;
  h: CaptureFile;
  bytes: number;
  packets: number;
  /** interface id → identity, in the order their interfaces went into the file */
  ifs: PortIdentity[];
  /** port → interface id in this file, -1 = none yet */
  ifidOf: Int32Array;
}

export class CaptureChunk implements CaptureSink {
  protected readonly ring: CaptureRing;
  protected readonly o: WriterSettings;
  protected readonly enc: CaptureEncoder;
  /** bytes a file may reach (SIZE_MB × 10^6), Infinity without rotation */
  protected readonly limit: number;
  protected readonly out: Buffer;
  protected outLen = 0;
  protected readonly ident: (PortIdentity | undefined)[];
  protected f!: OpenFile;
  /** identities with frames in the chunk being built, and how many frames it holds */
  protected chunkIdents: PortIdentity[] = [];
  protected chunkPackets = 0;
  protected rotateNext = false;

  protected constructor(ring: CaptureRing, o: WriterSettings) {
    this.ring = ring;
    this.o = o;
    this.limit = o.rotate ? o.rotate.sizeMb * 1e6 : Infinity;
    this.enc = encoderFor(o.format, { app: o.app, snaplen: ring.snaplen, filtered: o.filter !== undefined });
    const biggest = this.enc.recordLength(ring.snaplen, Dir.IN | Dir.OUT)
      + 2 * this.enc.interfaceLength({ name: 'x'.repeat(255), snaplen: 0, filter: o.filter ?? '' });
    this.out = Buffer.alloc(Math.max(o.chunkBytes ?? DEFAULT_CHUNK, 2 * biggest));
    this.ident = new Array(ring.maxPorts);
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

  protected desc(id: PortIdentity): InterfaceDesc {
    const d: InterfaceDesc = { name: id.name, snaplen: this.ring.snaplen };
    if (this.o.filter !== undefined) d.filter = this.o.filter;
    return d;
  }

  /** Whether the current file has described this identity already */
  protected hasInterface(id: PortIdentity): boolean {
    const ifid = this.f.ifidOf[id.port];
    return ifid >= 0 && this.f.ifs[ifid] === id;
  }

  protected addInterface(id: PortIdentity): void {
    this.outLen += this.enc.writeInterface(this.out, this.outLen, this.desc(id));
    this.f.ifidOf[id.port] = this.f.ifs.length;
    this.f.ifs.push(id);
  }

  /** A frame from a port nobody named: it is still captured, under the name port<N>. */
  protected implicitPort(port: number): PortIdentity {
    this.ring.refresh();
    // counted from the start: the frames before this one were this port's too
    const id = newIdentity(port, `port${port}`, { seen: 0, accepted: 0, dropped: 0 });
    this.ident[port] = id;
    return id;
  }
}
