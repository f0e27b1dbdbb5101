// The writer: ring → pcapng/pcap files in a temp dir, read back by the independent reader; rotation names and
// limits; errors at open and later (counted, reported once, never thrown at the producer).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureRing, ringLayout } from '../../../src/capture/ring.js';
import { capturePath, rotatedName, type CaptureFile, type CaptureIo } from '../../../src/capture/capture-files.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { CaptureError } from '../../../src/capture/errors.js';
import { Dir } from '../../../src/core/direction.js';
import { Op } from '../../../src/capture/bpf.js';
import { readPcap, readPcapng } from './read-capture.js';
import { sleep } from '../../../support/time.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'umc-writer-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const T0 = 1_700_000_000_000_000_000; // ns since the epoch as the worker gives them: doubles, exact to 256 ns here
const frame = (len: number, tag: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i < 4 ? tag >>> (8 * i) : i) & 0xff);
const tagOf = (d: Uint8Array): number => (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;

/** Waits until the writer has dealt with `n` frames (written or lost), so a test step starts after the last one. */
async function handled(w: CaptureWriter, n: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (w.stats().framesWritten + w.stats().framesLostWriting < n) {
    if (Date.now() > until) throw new Error(`the writer did not get to ${n} frames`);
    await sleep(2);
  }
}

function ringFor(o: { snaplen?: number; bytes?: number; maxPorts?: number } = {}): CaptureRing {
  const r = CaptureRing.create({ bytes: o.bytes ?? 1 << 20, snaplen: o.snaplen ?? 2000, maxPorts: o.maxPorts ?? 8 });
  r.setPorts(null);
  return r;
}

describe('file names', () => {
  test("tcpdump's -W scheme: number after the name, padded to the width of FILES - 1", () => {
    expect([0, 1, 2].map((n) => rotatedName('cap.pcapng', n, 3))).toEqual(['cap.pcapng0', 'cap.pcapng1', 'cap.pcapng2']);
    expect(rotatedName('c', 9, 10)).toBe('c9');
    expect([0, 10].map((n) => rotatedName('c', n, 11))).toEqual(['c00', 'c10']);
    expect(rotatedName('c', 7, 101)).toBe('c007');
    expect(rotatedName('c', 0, 1)).toBe('c');
  });
  test("a bare name goes to ./captures/, a path stays, '-' is standard output", () => {
    expect(capturePath('x.pcapng', '/w')).toBe('/w/captures/x.pcapng');
    expect(capturePath('./x.pcapng', '/w')).toBe('/w/x.pcapng');
    expect(capturePath('/tmp/x', '/w')).toBe('/tmp/x');
    expect(capturePath('-', '/w')).toBe('-');
  });
});

describe('pcapng', () => {
  test('interfaces by name, directions, lengths, timestamps; statistics at close', async () => {
    const ring = ringFor({ snaplen: 100 });
    const w = await CaptureWriter.open(ring, { file: 'a.pcapng', format: 'pcapng', cwd: dir, intervalMs: 1 });
    w.setPort(0, 'eth9');
    w.setPort(2, 'c1');
    w.setPort(3, 'c2');
    // a frame from c1 to c2: inbound on c1, outbound on c2; one from the wire to c1
    ring.offer(2, Dir.IN, frame(60, 1), 0, 60, T0 + 1024);
    ring.offer(3, Dir.OUT, frame(60, 1), 0, 60, T0 + 1024);
    ring.offer(0, Dir.IN, frame(300, 2), 0, 300, T0 + 2048);
    ring.offer(2, Dir.OUT, frame(300, 2), 0, 300, T0 + 2048);
    const st = await w.close();
    expect(st.framesWritten).toBe(4);
    expect(w.path).toBe(join(dir, 'captures', 'a.pcapng'));
    const r = readPcapng(readFileSync(w.path));
    expect(r.app).toBe('umacvlan');
    expect(r.interfaces.map((i) => [i.name, i.snaplen, i.tsresol, i.linktype])).toEqual([
      ['eth9', 100, 9, 1], ['c1', 100, 9, 1], ['c2', 100, 9, 1],
    ]);
    const names = r.interfaces.map((i) => i.name);
    expect(r.packets.map((p) => [names[p.ifid], p.flags, p.capLen, p.origLen, tagOf(p.data), p.tsNs])).toEqual([
      ['c1', 1, 60, 60, 1, BigInt(T0) + 1024n],
      ['c2', 2, 60, 60, 1, BigInt(T0) + 1024n],
      ['eth9', 1, 100, 300, 2, BigInt(T0) + 2048n],
      ['c1', 2, 100, 300, 2, BigInt(T0) + 2048n],
    ]);
    expect(r.stats.map((s) => [names[s.ifid], s.ifrecv, s.ifdrop, s.usrdeliv, s.filteraccept])).toEqual([
      ['eth9', 1n, 0n, 1n, undefined], ['c1', 2n, 0n, 2n, undefined], ['c2', 1n, 0n, 1n, undefined],
    ]);
    for (const s of r.stats) expect(s.end! >= s.start!).toBe(true);
  });

  test('ports named later get their IDB then; an unnamed port is port<N>; a renamed port is a new interface', async () => {
    const ring = ringFor();
    const w = await CaptureWriter.open(ring, { file: join(dir, 'b.pcapng'), format: 'pcapng', intervalMs: 1 });
    w.setPort(0, 'eth9');
    ring.offer(0, Dir.IN, frame(60, 1), 0, 60, T0);
    await handled(w, 1);
    w.setPort(4, 'c9');                             // added live
    ring.offer(4, Dir.OUT, frame(60, 2), 0, 60, T0 + 1);
    ring.offer(5, Dir.IN, frame(60, 3), 0, 60, T0 + 2); // nobody named port 5
    await handled(w, 3);
    w.setPort(4, 'c10');                            // port 4 now belongs to another child
    ring.offer(4, Dir.IN, frame(60, 4), 0, 60, T0 + 3);
    ring.offer(4, Dir.IN, frame(60, 5), 0, 60, T0 + 4);
    await w.close();
    const r = readPcapng(readFileSync(join(dir, 'b.pcapng')));
    const names = r.interfaces.map((i) => i.name);
    expect(names).toEqual(['eth9', 'c9', 'port5', 'c10']);
    expect(r.packets.map((p) => [names[p.ifid], tagOf(p.data)])).toEqual([['eth9', 1], ['c9', 2], ['port5', 3], ['c10', 4], ['c10', 5]]);
    expect(r.stats.map((s) => [names[s.ifid], s.ifrecv, s.usrdeliv])).toEqual([
      ['eth9', 1n, 1n], ['c9', 1n, 1n], ['port5', 1n, 1n], ['c10', 2n, 2n],
    ]);
  });

  test('the filter text is in every IDB; isb_filteraccept and ring drops are in the ISB', async () => {
    const ring = ringFor({ bytes: 4096, snaplen: 1000 });
    ring.setFilter([Op.LD_B_ABS, 0, 0, 4, Op.JEQ_K, 0, 1, 4, Op.RET_K, 0, 0, 0, Op.RET_K, 0, 0, 1000]); // byte 4 != 4
    const w = await CaptureWriter.open(ring, { file: join(dir, 'f.pcapng'), format: 'pcapng', filter: 'not ether[4] = 4', intervalMs: 1000 });
    w.setPort(1, 'c1');
    // the writer sleeps 1 s between drains: 4 records of 1024 fill the ring, the 5th and 6th are dropped
    const f = frame(1000, 0);
    f[4] = 7;
    for (let i = 0; i < 6; i++) ring.offer(1, Dir.IN, f, 0, 1000, T0 + i);
    f[4] = 4;
    ring.offer(1, Dir.IN, f, 0, 1000, T0 + 9);       // filtered out
    await w.close();
    const r = readPcapng(readFileSync(join(dir, 'f.pcapng')));
    expect(r.interfaces[0].filter).toBe('not ether[4] = 4');
    expect(r.packets).toHaveLength(4);
    expect(r.stats).toEqual([expect.objectContaining({ ifrecv: 7n, filteraccept: 6n, ifdrop: 2n, usrdeliv: 4n })]);
  });

  test('many ports with a small chunk: IDBs and ISBs are written in several pieces', async () => {
    const ring = ringFor({ snaplen: 100, maxPorts: 300 });
    const w = await CaptureWriter.open(ring, { file: join(dir, 'm.pcapng'), format: 'pcapng', chunkBytes: 1, intervalMs: 1 });
    for (let p = 0; p < 300; p++) w.setPort(p, `c${p}`);
    for (let p = 0; p < 300; p += 7) ring.offer(p, Dir.IN, frame(60, p), 0, 60, T0);
    await w.close();
    await w.close(); // twice is harmless
    const r = readPcapng(readFileSync(join(dir, 'm.pcapng')));
    expect(r.interfaces).toHaveLength(300);
    expect(r.stats).toHaveLength(300);
    expect(r.packets.map((p) => r.interfaces[p.ifid].name)).toEqual(Array.from({ length: 43 }, (_, k) => `c${k * 7}`));
    // a second file starts with every named port's IDB
    const w2 = await CaptureWriter.open(ring, { file: join(dir, 'm2.pcapng'), format: 'pcapng', chunkBytes: 1 });
    for (let p = 0; p < 300; p++) w2.setPort(p, `c${p}`);
    await w2.close();
    expect(readPcapng(readFileSync(join(dir, 'm2.pcapng'))).interfaces).toHaveLength(300);
  });

  test('timestamps are written exactly as given (integral ns doubles)', async () => {
    const ring = ringFor();
    const w = await CaptureWriter.open(ring, { file: join(dir, 't.pcapng'), format: 'pcapng', intervalMs: 1 });
    const ts = [T0, T0 + 256, 1_763_000_000_999_999_744, 2_000_000_000_000_000_000, 999_999_999];
    for (const t of ts) ring.offer(0, Dir.IN, frame(20, 0), 0, 20, t);
    await w.close();
    expect(readPcapng(readFileSync(join(dir, 't.pcapng'))).packets.map((p) => p.tsNs)).toEqual(ts.map((t) => BigInt(t)));
  });
});

describe('pcap', () => {
  test('one global header; frames of all ports merged, in ring order', async () => {
    const ring = ringFor({ snaplen: 64 });
    const w = await CaptureWriter.open(ring, { file: join(dir, 'p.pcap'), format: 'pcap', intervalMs: 1 });
    w.setPort(0, 'eth9');
    ring.offer(2, Dir.IN, frame(60, 1), 0, 60, T0 + 512);
    ring.offer(0, Dir.OUT, frame(100, 2), 0, 100, T0 + 1_000_000_512);
    await w.close();
    const r = readPcap(readFileSync(join(dir, 'p.pcap')));
    expect(r.snaplen).toBe(64);
    expect(r.packets.map((p) => [p.capLen, p.origLen, tagOf(p.data), p.tsNs])).toEqual([
      [60, 60, 1, BigInt(T0) + 512n], [64, 100, 2, BigInt(T0) + 1_000_000_512n],
    ]);
  });
});

describe('rotation', () => {
  test.each(['pcapng', 'pcap'] as const)('%s: at most FILES files of at most SIZE bytes, oldest overwritten, newest frames kept', async (format) => {
    const ring = ringFor({ bytes: 1 << 16, snaplen: 500 });
    const w = await CaptureWriter.open(ring, { file: 'r.cap', format, cwd: dir, rotate: { sizeMb: 0.01, files: 3 }, intervalMs: 1 });
    w.setPort(0, 'eth9');
    w.setPort(1, 'c1');
    const N = 200; // 200 × ~450 bytes ≈ 90 kB: nine files' worth, three kept
    for (let i = 0; i < N; i++) {
      while (!ring.offer(i % 2, Dir.IN, frame(400, i), 0, 400, T0 + i)) await sleep(1);
    }
    const st = await w.close();
    expect(st.filesOpened).toBeGreaterThanOrEqual(9);
    const files = readdirSync(join(dir, 'captures')).sort();
    expect(files).toEqual(['r.cap0', 'r.cap1', 'r.cap2']);
    const tags: number[][] = [];
    for (const f of files) {
      const bytes = readFileSync(join(dir, 'captures', f));
      expect(bytes.length).toBeLessThanOrEqual(10_000);
      if (format === 'pcapng') {
        const r = readPcapng(bytes);
        expect(r.interfaces.map((i) => i.name)).toEqual(['eth9', 'c1']);
        expect(r.stats).toHaveLength(2);
        tags.push(r.packets.map((p) => tagOf(p.data)));
      } else tags.push(readPcap(bytes).packets.map((p) => tagOf(p.data)));
    }
    // the newest file is the one the capture ended in; the three together are the last frames, in order
    const last = (st.filesOpened - 1) % 3;
    const order = [(last + 1) % 3, (last + 2) % 3, last].map((i) => tags[i]).flat();
    expect(order).toEqual(Array.from({ length: order.length }, (_, k) => N - order.length + k));
    expect(order.length).toBeGreaterThan(40);
    expect(st.framesWritten).toBe(N);
  });
});

describe('errors', () => {
  test('at open: a missing directory, a directory, a device (not a regular file: refused before any write)', async () => {
    const ring = ringFor();
    const open = (file: string): Promise<unknown> => CaptureWriter.open(ring, { file, format: 'pcapng' }).then(() => null, (e) => e);
    const e1 = await open(join(dir, 'no', 'such', 'x.pcapng')) as CaptureError;
    expect(e1).toBeInstanceOf(CaptureError);
    expect([e1.code, e1.errno]).toEqual(['UMV_ERR_CAPTURE_OPEN', 'ENOENT']);
    expect(e1.message).toBe(`cannot open capture file ${join(dir, 'no', 'such', 'x.pcapng')}: ENOENT`);
    const e2 = await open(dir) as CaptureError;
    expect([e2.code, e2.errno]).toEqual(['UMV_ERR_CAPTURE_OPEN', 'EISDIR']);
    if (existsSync('/dev/full')) {
      const e3 = await open('/dev/full') as CaptureError;
      expect([e3.code, e3.message]).toEqual(['UMV_ERR_CAPTURE_UNSAFE', 'capture file /dev/full refused: not a regular file']);
    }
  });

  test('later write failures lose that chunk only, counted per port and reported once; the producer never sees them', async () => {
    let failing = false;
    const written: Uint8Array[] = [];
    const io: CaptureIo = {
      mkdirs: async () => {},
      open: async (): Promise<CaptureFile> => ({
        write: async (b, at, len) => {
          if (failing) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
          written.push(Uint8Array.from(b.subarray(at, at + len))); // the writer reuses its buffer
          return len;
        },
        close: async () => {},
      }),
    };
    const errors: CaptureError[] = [];
    const ring = ringFor();
    const w = await CaptureWriter.open(ring, { file: '/x/y', format: 'pcapng', io, intervalMs: 1, onError: (e) => errors.push(e) });
    w.setPort(1, 'c1');
    ring.offer(1, Dir.IN, frame(60, 1), 0, 60, T0);
    await handled(w, 1);
    failing = true;
    for (let i = 0; i < 3; i++) { expect(ring.offer(1, Dir.IN, frame(60, 2), 0, 60, T0 + 1)).toBe(true); await handled(w, 2 + i); }
    failing = false;
    ring.offer(1, Dir.IN, frame(60, 3), 0, 60, T0 + 2);
    const st = await w.close();
    expect(errors).toHaveLength(1);
    expect([errors[0].code, errors[0].errno]).toEqual(['UMV_ERR_CAPTURE_WRITE', 'ENOSPC']);
    expect(st).toMatchObject({ framesWritten: 2, framesLostWriting: 3, writeErrors: 3 });
    const r = readPcapng(Buffer.concat(written));
    expect(r.packets.map((p) => tagOf(p.data))).toEqual([1, 3]);
    expect(r.stats).toEqual([expect.objectContaining({ ifrecv: 5n, ifdrop: 3n, usrdeliv: 2n })]);
  });

  test('a broken ring ends the capture with one error; close() still resolves', async () => {
    const ring = ringFor();
    const errors: CaptureError[] = [];
    const w = await CaptureWriter.open(ring, { file: join(dir, 'z.pcapng'), format: 'pcapng', intervalMs: 1, onError: (e) => errors.push(e) });
    ring.offer(0, Dir.IN, frame(60, 1), 0, 60, T0);
    await handled(w, 1);
    ring.offer(0, Dir.IN, frame(60, 2), 0, 60, T0);
    new Uint32Array(ring.sab, ringLayout(8).data)[88 / 4] = 3; // the second record's size word (after 24 + 60 → 88 bytes): garbage
    await sleep(50);
    await w.close();
    expect(errors.map((e) => e.message)).toEqual([`capture ${join(dir, 'z.pcapng')} stopped: capture ring: bad record size 3 at 88`]);
    expect(readPcapng(readFileSync(join(dir, 'z.pcapng'))).packets).toHaveLength(1);
  });

  test('EAGAIN (a non-blocking standard output that is full) is waited out, not lost', async () => {
    let again = 3;
    const written: Uint8Array[] = [];
    const io: CaptureIo = {
      mkdirs: async () => {},
      open: async () => ({
        write: async (b, at, len) => {
          if (written.length > 0 && again-- > 0) throw Object.assign(new Error('again'), { code: 'EAGAIN' });
          written.push(Uint8Array.from(b.subarray(at, at + Math.min(len, 50)))); // short writes too
          return Math.min(len, 50);
        },
        close: async () => {},
      }),
    };
    const ring = ringFor();
    const w = await CaptureWriter.open(ring, { file: '/x/y', format: 'pcap', io, intervalMs: 1 });
    for (let i = 0; i < 10; i++) ring.offer(0, Dir.IN, frame(120, i), 0, 120, T0 + i);
    const st = await w.close();
    expect(st).toMatchObject({ framesWritten: 10, framesLostWriting: 0, writeErrors: 0 });
    expect(readPcap(Buffer.concat(written)).packets.map((p) => tagOf(p.data))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("'-' writes to the standard output's fd; rotation of '-' is refused", async () => {
    const path = join(dir, 'stdout');
    writeFileSync(path, '');
    const fd = openSync(path, 'w');
    try {
      const ring = ringFor();
      const w = await CaptureWriter.open(ring, { file: '-', format: 'pcapng', stdoutFd: fd, intervalMs: 1 });
      expect(w.path).toBe('-');
      ring.offer(0, Dir.IN, frame(60, 7), 0, 60, T0);
      await w.close();
    } finally { closeSync(fd); }
    expect(readPcapng(readFileSync(path)).packets.map((p) => tagOf(p.data))).toEqual([7]);
    expect(statSync(path).size).toBeGreaterThan(0);
    await expect(CaptureWriter.open(ringFor(), { file: '-', format: 'pcap', rotate: { sizeMb: 1, files: 2 } })).rejects.toThrow(/cannot be rotated/);
  });
});
