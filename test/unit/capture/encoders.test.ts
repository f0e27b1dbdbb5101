// pcapng and pcap encoders: exact bytes of small blocks (written out by hand from the pcapng draft), then a
// round trip through the independent reader in read-capture.ts.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  epbLength, idbLength, isbLength, shbLength, writeEpb, writeIdb, writeIsb, writeShb,
} from '../../../src/capture/pcapng.js';
import { pcapRecordLength, writePcapHeader, writePcapRecord } from '../../../src/capture/pcap.js';
import { tsHiLo } from '../../../src/capture/bytes.js';
import { encoderFor, type CaptureEncoder } from '../../../src/capture/encoder.js';
import { Dir } from '../../../src/core/direction.js';
import { readPcap, readPcapng } from './read-capture.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s|]/g, ''), 'hex'));

describe('pcapng blocks, byte for byte', () => {
  test('section header with shb_userappl', () => {
    const b = new Uint8Array(shbLength('uv')).fill(0xee);
    expect(writeShb(b, 0, 'uv')).toBe(40);
    expect(hex(b)).toBe(hex(unhex(`
      0a0d0d0a 28000000 | 4d3c2b1a | 0100 0000 | ffffffff ffffffff
      0400 0200 7576 0000 | 0000 0000 | 28000000`)));
  });

  test('interface description: if_name, if_tsresol=9, snaplen, LINKTYPE_ETHERNET', () => {
    const d = { name: 'c1', snaplen: 262144 };
    const b = new Uint8Array(idbLength(d)).fill(0xee);
    expect(writeIdb(b, 0, d)).toBe(40);
    expect(hex(b)).toBe(hex(unhex(`
      01000000 28000000 | 0100 0000 | 00000400
      0200 0200 6331 0000 | 0900 0100 09000000 | 0000 0000 | 28000000`)));
  });

  test('interface description with if_filter', () => {
    const d = { name: 'eth0', snaplen: 96, filter: 'arp' };
    const b = new Uint8Array(idbLength(d));
    expect(writeIdb(b, 0, d)).toBe(b.length);
    expect(hex(b)).toBe(hex(unhex(`
      01000000 30000000 | 0100 0000 | 60000000
      0200 0400 65746830 | 0900 0100 09000000 | 0b00 0400 00617270 | 0000 0000 | 30000000`)));
  });

  test('enhanced packet: interface id, ns timestamp, lengths, padding, epb_flags direction', () => {
    const data = unhex('ffff aabbcc ffff');
    const b = new Uint8Array(epbLength(3, Dir.OUT)).fill(0xee);
    expect(writeEpb(b, 0, 1, 1, 2, data, 2, 3, 60, Dir.OUT)).toBe(48);
    expect(hex(b)).toBe(hex(unhex(`
      06000000 30000000 | 01000000 | 00000000 02ca9a3b | 03000000 | 3c000000
      aabbcc00 | 0200 0400 02000000 | 00000000 | 30000000`)));
  });

  test('enhanced packet without direction has no options', () => {
    const b = new Uint8Array(epbLength(4, 0));
    expect(writeEpb(b, 0, 0, 0, 0, unhex('01020304'), 0, 4, 4, 0)).toBe(36);
    expect(hex(b)).toBe(hex(unhex(`
      06000000 24000000 | 00000000 | 00000000 00000000 | 04000000 | 04000000 | 01020304 | 24000000`)));
  });

  test('interface statistics: start/end time, ifrecv, ifdrop, filteraccept, usrdeliv', () => {
    const s = { sec: 2, nsec: 0, startSec: 1, startNsec: 0, received: 7, dropped: 0x1_0000_0002, filterAccepted: 5, delivered: 3 };
    const b = new Uint8Array(isbLength(s));
    expect(writeIsb(b, 0, 2, s)).toBe(100);
    expect(hex(b)).toBe(hex(unhex(`
      05000000 64000000 | 02000000 | 00000000 00943577
      0200 0800 00000000 00ca9a3b | 0300 0800 00000000 00943577
      0400 0800 07000000 00000000 | 0500 0800 02000000 01000000 | 0600 0800 05000000 00000000
      0800 0800 03000000 00000000 | 0000 0000 | 64000000`)));
  });
});

describe('timestamps', () => {
  test('sec/nsec become the exact 64-bit nanosecond count', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 999_999_999 }), (sec, nsec) => {
      const b = new Uint8Array(8);
      tsHiLo(b, 0, sec, nsec);
      const v = new DataView(b.buffer);
      const got = (BigInt(v.getUint32(0, true)) << 32n) | BigInt(v.getUint32(4, true));
      expect(got).toBe(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    }), { numRuns: 2000 });
  });
});

describe('round trip through an independent reader', () => {
  test('pcapng: section, interfaces, packets, statistics', () => {
    const frames = Array.from({ length: 20 }, (_, i) => Uint8Array.from({ length: 14 + i * 7 }, (_, j) => (i * 31 + j) & 0xff));
    const ifs = [{ name: 'eth9', snaplen: 64 }, { name: 'c1', snaplen: 64, filter: 'ether src 02:00:00:00:00:01' }];
    const b = new Uint8Array(1 << 16);
    let at = writeShb(b, 0, 'umacvlan test');
    for (const d of ifs) at += writeIdb(b, at, d);
    frames.forEach((f, i) => {
      const cap = Math.min(f.length, 64);
      at += writeEpb(b, at, i % 2, 1_700_000_000 + i, i * 1000, f, 0, cap, f.length, i % 3);
    });
    at += writeIsb(b, at, 1, { sec: 1_700_000_100, nsec: 5, startSec: 1_700_000_000, startNsec: 0, received: 10, dropped: 1, delivered: 9 });

    const r = readPcapng(b.subarray(0, at));
    expect(r.sections).toBe(1);
    expect(r.app).toBe('umacvlan test');
    expect(r.interfaces).toEqual([
      { linktype: 1, snaplen: 64, name: 'eth9', tsresol: 9 },
      { linktype: 1, snaplen: 64, name: 'c1', tsresol: 9, filter: 'ether src 02:00:00:00:00:01' },
    ]);
    expect(r.packets).toHaveLength(20);
    r.packets.forEach((p, i) => {
      expect(p.ifid).toBe(i % 2);
      expect(p.tsNs).toBe(BigInt(1_700_000_000 + i) * 1_000_000_000n + BigInt(i * 1000));
      expect(p.origLen).toBe(frames[i].length);
      expect(p.capLen).toBe(Math.min(frames[i].length, 64));
      expect(hex(p.data)).toBe(hex(frames[i].subarray(0, p.capLen)));
      expect(p.flags).toBe(i % 3 === 0 ? undefined : i % 3);
    });
    expect(r.stats).toEqual([{
      ifid: 1, tsNs: 1_700_000_100_000_000_005n, start: 1_700_000_000_000_000_000n, end: 1_700_000_100_000_000_005n,
      ifrecv: 10n, ifdrop: 1n, filteraccept: undefined, usrdeliv: 9n,
    }]);
  });

  test('pcap: nanosecond magic, snaplen, records', () => {
    const b = new Uint8Array(4096);
    expect(writePcapHeader(b, 0, 262144)).toBe(24);
    expect(hex(b.subarray(0, 24))).toBe(hex(unhex('4d3cb2a1 0200 0400 00000000 00000000 00000400 01000000')));
    let at = 24;
    const f = Uint8Array.from({ length: 100 }, (_, j) => j);
    at += writePcapRecord(b, at, 1_700_000_000, 999_999_999, f, 10, 50, 90);
    expect(pcapRecordLength(50)).toBe(66);
    const r = readPcap(b.subarray(0, at));
    expect(r).toEqual({
      snaplen: 262144, linktype: 1,
      packets: [{ tsNs: 1_700_000_000_999_999_999n, capLen: 50, origLen: 90, data: f.slice(10, 60) }],
    });
  });
});

describe('CaptureEncoder: the writer\'s one view of a format', () => {
  const desc = { name: 'c1', snaplen: 64, filter: 'ether src 02:00:00:00:00:01' };
  const stats = { sec: 1_700_000_100, nsec: 5, startSec: 1_700_000_000, startNsec: 0, received: 10, dropped: 1, filterAccepted: 4, delivered: 9 };
  const f = Uint8Array.from({ length: 100 }, (_, j) => j);
  /** What the encoder writes, header to statistics, as one byte string */
  function encode(e: CaptureEncoder): string {
    const b = new Uint8Array(4096);
    let at = e.writeHeader(b, 0);
    const idb = e.writeInterface(b, at, desc);
    expect(idb).toBe(e.interfaceLength(desc));
    at += idb;
    const rec = e.writeRecord(b, at, 0, 1_700_000_000, 999_999_999, f, 10, 50, 90, Dir.OUT);
    expect(rec).toBe(e.recordLength(50, Dir.OUT));
    at += rec;
    const isb = e.writeStats(b, at, 0, stats);
    expect(isb).toBe(e.statsLength);
    return hex(b.subarray(0, at + isb));
  }

  test('pcapng: SHB, IDB, EPB and ISB exactly as the block writers make them', () => {
    const b = new Uint8Array(4096);
    let at = writeShb(b, 0, 'app');
    at += writeIdb(b, at, desc);
    at += writeEpb(b, at, 0, 1_700_000_000, 999_999_999, f, 10, 50, 90, Dir.OUT);
    at += writeIsb(b, at, 0, stats);
    expect(encode(encoderFor('pcapng', { app: 'app', snaplen: 64, filtered: true }))).toBe(hex(b.subarray(0, at)));
    expect(encoderFor('pcapng', { app: 'app', snaplen: 64, filtered: false }).statsLength).toBe(isbLength({ ...stats, filterAccepted: undefined }));
  });

  test('pcap: header and records only; interfaces and statistics take no bytes', () => {
    const b = new Uint8Array(4096);
    let at = writePcapHeader(b, 0, 64);
    at += writePcapRecord(b, at, 1_700_000_000, 999_999_999, f, 10, 50, 90);
    const e = encoderFor('pcap', { app: 'app', snaplen: 64, filtered: true });
    expect([e.interfaceLength(desc), e.statsLength]).toEqual([0, 0]);
    expect(encode(e)).toBe(hex(b.subarray(0, at)));
  });
});
