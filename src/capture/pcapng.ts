// src/capture/pcapng.ts — pcapng blocks written into caller-owned bytes (no fs, no allocation per packet).
//
// Layouts from the pcapng specification (draft-ietf-opsawg-pcapng): every block is
//   [type u32][total length u32][body][options][total length u32]
// and every option is [code u16][length u16][value, padded to 4]. We write one section, little-endian:
//   SHB  section header, once per file
//   IDB  one per port, in the order ports appear; its index in the section is the EPBs' interface id
//   EPB  one per captured frame
//   ISB  one per interface when the file is closed (counters since the start of the capture)
// Each writeX() returns the number of bytes it wrote; xLength() says how many it will write, so the caller can
// check the room first. Timestamps are (sec, nsec) since the Unix epoch; IDBs declare if_tsresol = 9 (ns).

import { copyBytes, pad4, tsHiLo, u16le, u32le, u64le } from './bytes.js';
import type { CaptureEncoder } from './encoder.js';

export const BlockType = { SHB: 0x0a0d0d0a, IDB: 0x00000001, ISB: 0x00000005, EPB: 0x00000006 } as const;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** LINKTYPE_ETHERNET (tcpdump.org link-layer header types) */
export const LINKTYPE_ETHERNET = 1;

/** Option codes we write. */
export const Opt = {
  END: 0,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_FILTER: 11,
  EPB_FLAGS: 2,
  ISB_STARTTIME: 2,
  ISB_ENDTIME: 3,
  ISB_IFRECV: 4,
  ISB_IFDROP: 5,
  ISB_FILTERACCEPT: 6,
  ISB_USRDELIV: 8,
} as const;

/** if_tsresol value: 10^-9 s. */
const TSRESOL_NS = 9;
const utf8 = new TextEncoder();

/** Block header (type, length) plus the trailing length copy. */
const FRAME = 12;
const OPT_HDR = 4;

const optLen = (valueLen: number): number => OPT_HDR + pad4(valueLen);

function putOpt(b: Uint8Array, at: number, code: number, len: number): number {
  u16le(b, at, code);
  u16le(b, at + 2, len);
  return at + OPT_HDR;
}

/** Writes the value bytes and zeroes the padding after them; returns the offset after the padding. */
function putOptBytes(b: Uint8Array, at: number, code: number, v: Uint8Array): number {
  const p = putOpt(b, at, code, v.length);
  b.set(v, p);
  const end = p + pad4(v.length);
  b.fill(0, p + v.length, end);
  return end;
}

function closeBlock(b: Uint8Array, start: number, end: number, type: number): number {
  const total = end + 4 - start;
  u32le(b, start, type);
  u32le(b, start + 4, total);
  u32le(b, end, total);
  return total;
}

// ---- Section Header Block --------------------------------------------------------------------------------------

export function shbLength(app: string): number {
  return FRAME + 16 + optLen(utf8.encode(app).length) + OPT_HDR;
}

/** Section header: byte-order magic, version 1.0, section length unknown (-1), shb_userappl. */
export function writeShb(b: Uint8Array, at: number, app: string): number {
  u32le(b, at + 8, BYTE_ORDER_MAGIC);
  u16le(b, at + 12, 1);
  u16le(b, at + 14, 0);
  u32le(b, at + 16, 0xffffffff);           // section length -1: we never go back to fill it in
  u32le(b, at + 20, 0xffffffff);
  let p = putOptBytes(b, at + 24, Opt.SHB_USERAPPL, utf8.encode(app));
  p = putOpt(b, p, Opt.END, 0);
  return closeBlock(b, at, p, BlockType.SHB);
}

// ---- Interface Description Block -------------------------------------------------------------------------------

export interface InterfaceDesc {
  /** the port's name: the parent's interface name or the child's, shown by tshark as frame.interface_name */
  name: string;
  snaplen: number;
  /** the capture filter expression, recorded as if_filter (libpcap filter string) */
  filter?: string;
}

function filterBytes(filter: string): Uint8Array {
  const text = utf8.encode(filter);
  const v = new Uint8Array(text.length + 1); // first byte 0: "libpcap filter string"
  v.set(text, 1);
  return v;
}

export function idbLength(d: InterfaceDesc): number {
  let n = FRAME + 8 + optLen(utf8.encode(d.name).length) + optLen(1) + OPT_HDR;
  if (d.filter !== undefined) n += optLen(utf8.encode(d.filter).length + 1);
  return n;
}

export function writeIdb(b: Uint8Array, at: number, d: InterfaceDesc): number {
  u16le(b, at + 8, LINKTYPE_ETHERNET);
  u16le(b, at + 10, 0);
  u32le(b, at + 12, d.snaplen);
  let p = putOptBytes(b, at + 16, Opt.IF_NAME, utf8.encode(d.name));
  p = putOptBytes(b, p, Opt.IF_TSRESOL, Uint8Array.of(TSRESOL_NS));
  if (d.filter !== undefined) p = putOptBytes(b, p, Opt.IF_FILTER, filterBytes(d.filter));
  p = putOpt(b, p, Opt.END, 0);
  return closeBlock(b, at, p, BlockType.IDB);
}

// ---- Enhanced Packet Block (per frame: no allocation) ----------------------------------------------------------

/** Fixed part: header 8, interface id 4, timestamp 8, captured length 4, original length 4, trailing length 4. */
const EPB_FIXED = 32;
/** epb_flags option (4 + 4) and the end-of-options marker. */
const EPB_FLAGS_OPTS = 12;

/** The last EPB timestamp, encoded: the worker stamps a whole batch with one reading, so consecutive records share it
 *  and the 64-bit arithmetic of tsHiLo runs once per batch, not per record. */
const lastTs = { sec: -1, nsec: -1, bytes: new Uint8Array(8) };

function putTs(b: Uint8Array, at: number, sec: number, nsec: number): void {
  const t = lastTs;
  if (sec !== t.sec || nsec !== t.nsec) {
    tsHiLo(t.bytes, 0, sec, nsec);
    t.sec = sec;
    t.nsec = nsec;
  }
  const x = t.bytes;
  b[at] = x[0]; b[at + 1] = x[1]; b[at + 2] = x[2]; b[at + 3] = x[3];
  b[at + 4] = x[4]; b[at + 5] = x[5]; b[at + 6] = x[6]; b[at + 7] = x[7];
}

export const epbLength = (capLen: number, dir: number): number =>
  EPB_FIXED + pad4(capLen) + (dir !== 0 ? EPB_FLAGS_OPTS : 0);

/**
 * One captured frame: capLen bytes of data[dataAt..], origLen its length on the wire, dir 1 (inbound) or 2
 * (outbound) as epb_flags, 0 for no flags option.
 */
export function writeEpb(b: Uint8Array, at: number, ifid: number, sec: number, nsec: number,
                         data: Uint8Array, dataAt: number, capLen: number, origLen: number, dir: number): number {
  u32le(b, at + 8, ifid);
  putTs(b, at + 12, sec, nsec);
  u32le(b, at + 20, capLen);
  u32le(b, at + 24, origLen);
  copyBytes(b, at + 28, data, dataAt, capLen);
  let p = at + 28 + capLen;
  const padded = at + 28 + pad4(capLen);
  while (p < padded) b[p++] = 0;
  if (dir !== 0) {
    p = putOpt(b, p, Opt.EPB_FLAGS, 4);
    u32le(b, p, dir & 3);
    p = putOpt(b, p + 4, Opt.END, 0);
  }
  return closeBlock(b, at, p, BlockType.EPB);
}

// ---- Interface Statistics Block --------------------------------------------------------------------------------

export interface InterfaceStats {
  /** when the statistics were taken (the close of the file) */
  sec: number;
  nsec: number;
  startSec: number;
  startNsec: number;
  /** frames the port carried while the capture ran (both directions) */
  received: number;
  /** frames the capture lost: ring full, or a failed write */
  dropped: number;
  /** frames the filter accepted; omitted when there is no filter */
  filterAccepted?: number;
  /** frames written to the capture files */
  delivered: number;
}

export const isbLength = (s: InterfaceStats): number =>
  FRAME + 12 + 5 * optLen(8) + (s.filterAccepted !== undefined ? optLen(8) : 0) + OPT_HDR;

export function writeIsb(b: Uint8Array, at: number, ifid: number, s: InterfaceStats): number {
  u32le(b, at + 8, ifid);
  tsHiLo(b, at + 12, s.sec, s.nsec);
  let p = putOpt(b, at + 20, Opt.ISB_STARTTIME, 8);
  tsHiLo(b, p, s.startSec, s.startNsec);
  p = putOpt(b, p + 8, Opt.ISB_ENDTIME, 8);
  tsHiLo(b, p, s.sec, s.nsec);
  p = putOpt(b, p + 8, Opt.ISB_IFRECV, 8);
  u64le(b, p, s.received);
  p = putOpt(b, p + 8, Opt.ISB_IFDROP, 8);
  u64le(b, p, s.dropped);
  if (s.filterAccepted !== undefined) {
    p = putOpt(b, p + 8, Opt.ISB_FILTERACCEPT, 8);
    u64le(b, p, s.filterAccepted);
  }
  p = putOpt(b, p + 8, Opt.ISB_USRDELIV, 8);
  u64le(b, p, s.delivered);
  p = putOpt(b, p + 8, Opt.END, 0);
  return closeBlock(b, at, p, BlockType.ISB);
}

// ---- as a CaptureEncoder ---------------------------------------------------------------------------------------

export class PcapngEncoder implements CaptureEncoder {
  readonly statsLength: number;
  constructor(private readonly app: string, filtered: boolean) {
    this.statsLength = isbLength({ sec: 0, nsec: 0, startSec: 0, startNsec: 0, received: 0, dropped: 0, delivered: 0,
      ...(filtered ? { filterAccepted: 0 } : {}) });
  }
  writeHeader(b: Uint8Array, at: number): number { return writeShb(b, at, this.app); }
  interfaceLength(d: InterfaceDesc): number { return idbLength(d); }
  writeInterface(b: Uint8Array, at: number, d: InterfaceDesc): number { return writeIdb(b, at, d); }
  recordLength(capLen: number, dir: number): number { return epbLength(capLen, dir); }
  writeRecord(b: Uint8Array, at: number, ifid: number, sec: number, nsec: number,
    data: Uint8Array, dataAt: number, capLen: number, origLen: number, dir: number): number {
    return writeEpb(b, at, ifid, sec, nsec, data, dataAt, capLen, origLen, dir);
  }
  writeStats(b: Uint8Array, at: number, ifid: number, s: InterfaceStats): number { return writeIsb(b, at, ifid, s); }
}
