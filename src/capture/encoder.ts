// src/capture/encoder.ts — what the writer asks of a file format, so that the writer holds no format branches.
//
// A file is a header, then records, with interface descriptions before a port's first record, and statistics at
// the close. pcapng (pcapng.ts) has all four. Classic pcap (pcap.ts) has no interfaces and no statistics: its
// encoder writes them as zero bytes, so the writer runs the same steps for both and a port's interface simply
// takes no room. Every write goes into caller-owned bytes the writer has checked for room with the xLength() calls.

import type { InterfaceDesc, InterfaceStats } from './pcapng.js';
import { PcapngEncoder } from './pcapng.js';
import { PcapEncoder } from './pcap.js';

export type CaptureFormat = 'pcapng' | 'pcap';

export interface CaptureEncoder {
  /** The file header; written at the start of every file (each rotated file stands alone). */
  writeHeader(b: Uint8Array, at: number): number;
  interfaceLength(d: InterfaceDesc): number;
  /** The description of a port; `ifid` in writeRecord() is its position among those written into the file. */
  writeInterface(b: Uint8Array, at: number, d: InterfaceDesc): number;
  recordLength(capLen: number, dir: number): number;
  /** One frame: capLen bytes of data[dataAt..], origLen long on the wire, seen at (sec, nsec), direction dir. */
  writeRecord(b: Uint8Array, at: number, ifid: number, sec: number, nsec: number,
    data: Uint8Array, dataAt: number, capLen: number, origLen: number, dir: number): number;
  /** Bytes of one interface's statistics at the close; 0 when the format keeps none. */
  readonly statsLength: number;
  writeStats(b: Uint8Array, at: number, ifid: number, s: InterfaceStats): number;
}

export interface EncoderOptions {
  /** the writing application, recorded in the pcapng section header */
  app: string;
  /** the longest captured part of a frame, recorded in the pcap header */
  snaplen: number;
  /** with a filter, pcapng statistics include how many frames it accepted */
  filtered: boolean;
}

export function encoderFor(format: CaptureFormat, o: EncoderOptions): CaptureEncoder {
  return format === 'pcapng' ? new PcapngEncoder(o.app, o.filtered) : new PcapEncoder(o.snaplen);
}
