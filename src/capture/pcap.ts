// src/capture/pcap.ts — classic libpcap files written into caller-owned bytes (no fs, no allocation per packet).
//
// A 24-byte global header, then per frame a 16-byte record header and the captured bytes. We use the
// nanosecond magic (0xa1b23c4d), so the record's second word is nanoseconds. Classic pcap has one link type and
// no interfaces: frames of several ports are merged and carry neither the port nor the direction.

import { copyBytes, u16le, u32le } from './bytes.js';
import type { CaptureEncoder } from './encoder.js';
import { LINKTYPE_ETHERNET } from './pcapng.js';

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HDR = 16;

export function writePcapHeader(b: Uint8Array, at: number, snaplen: number): number {
  u32le(b, at, PCAP_MAGIC_NS);
  u16le(b, at + 4, 2);          // version 2.4
  u16le(b, at + 6, 4);
  u32le(b, at + 8, 0);          // thiszone: timestamps are UTC
  u32le(b, at + 12, 0);         // sigfigs
  u32le(b, at + 16, snaplen);
  u32le(b, at + 20, LINKTYPE_ETHERNET);
  return PCAP_HEADER_LEN;
}

export const pcapRecordLength = (capLen: number): number => PCAP_RECORD_HDR + capLen;

export function writePcapRecord(b: Uint8Array, at: number, sec: number, nsec: number,
                                data: Uint8Array, dataAt: number, capLen: number, origLen: number): number {
  u32le(b, at, sec);
  u32le(b, at + 4, nsec);
  u32le(b, at + 8, capLen);
  u32le(b, at + 12, origLen);
  copyBytes(b, at + PCAP_RECORD_HDR, data, dataAt, capLen);
  return PCAP_RECORD_HDR + capLen;
}

/** Classic pcap as a CaptureEncoder: interfaces and statistics take no bytes, every port's frames are merged. */
export class PcapEncoder implements CaptureEncoder {
  readonly statsLength = 0;
  constructor(private readonly snaplen: number) {}
  writeHeader(b: Uint8Array, at: number): number { return writePcapHeader(b, at, this.snaplen); }
  interfaceLength(): number { return 0; }
  writeInterface(): number { return 0; }
  recordLength(capLen: number): number { return pcapRecordLength(capLen); }
  writeRecord(b: Uint8Array, at: number, _ifid: number, sec: number, nsec: number,
    data: Uint8Array, dataAt: number, capLen: number, origLen: number): number {
    return writePcapRecord(b, at, sec, nsec, data, dataAt, capLen, origLen);
  }
  writeStats(): number { return 0; }
}
