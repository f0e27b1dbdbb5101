// Counted test frames for the daemon's system tests: inject them at any interface in any namespace, count them at
// any other, and tell exactly which frames arrived and how often.
//
//   const out = RawSocket.open(extNs, 'ume123o', 'outside');
//   const b1 = RawSocket.open(c1Ns, 'ume123b1', 'b1');
//   const tally = new Tally([out, b1]);
//   sendFrames(out, { row: 1, dst: B1_MAC, src: OUT_MAC, count: 50 });
//   await tally.drain();                                           // until nothing new has come for a while
//   tally.row(1).get('b1')   // { distinct: 50, copies: 50 }: each frame arrived once
//
// Every frame carries the test EtherType (nothing else in a sandbox sends it), a magic word, this process's run id,
// a row number and a sequence number, so frames from another test, a previous row, or a late broadcast-queue flush
// are never miscounted.

import { TEST_ETHERTYPE } from '../../support/addresses.js';
import { sleep, sleepSync } from '../../support/time.js';
import { ethFrame, getMac } from './frames.js';
import type { RawSocket } from './raw-socket.js';

const MAGIC = 0x554d5654; // "UMVT"
/** Distinguishes this process's frames from any other test's, should two ever share a wire. */
export const RUN_ID = (process.pid * 2654435761) >>> 0;
/** Minimum Ethernet frame without FCS; the kernel pads shorter ones anyway. */
export const MIN_FRAME = 60;
// offsets in the payload (after the 14-byte header)
const P_MAGIC = 14, P_RUN = 18, P_ROW = 22, P_SEQ = 24, P_END = 28;
const ENOBUFS = 105, EAGAIN = 11;

/** A counted frame: dst, src, test EtherType, magic, run id, row, seq, then a pattern up to `len` bytes. */
export function rowFrame(dst: number, src: number, row: number, seq: number, len = MIN_FRAME): Uint8Array {
  const f = ethFrame({ dst, src, len: Math.max(len, P_END), fill: (i) => (i * 31 + seq) & 0xff });
  const dv = new DataView(f.buffer);
  dv.setUint32(P_MAGIC, MAGIC);
  dv.setUint32(P_RUN, RUN_ID);
  dv.setUint16(P_ROW, row);
  dv.setUint16(P_SEQ, seq);
  return f;
}

/** What a received buffer is, if it is one of ours: its row and seq (else null). */
export function parseRowFrame(b: Uint8Array, len: number): { row: number; seq: number; src: number; dst: number } | null {
  if (len < P_END) return null;
  const dv = new DataView(b.buffer, b.byteOffset, len);
  if (dv.getUint16(12) !== TEST_ETHERTYPE || dv.getUint32(P_MAGIC) !== MAGIC || dv.getUint32(P_RUN) !== RUN_ID) return null;
  return { row: dv.getUint16(P_ROW), seq: dv.getUint16(P_SEQ), src: getMac(b, 6), dst: getMac(b, 0) };
}

export interface SendSpec {
  row: number;
  dst: number;
  src: number;
  /** frames numbered 0..count-1 */
  count: number;
  /** bytes per frame, header included (default 60) */
  len?: number;
}

/** Sends one frame out of the socket's interface; throws if the kernel refuses it. */
export function sendFrame(from: RawSocket, f: Uint8Array): void {
  const rc = from.send(f);
  if (rc !== f.length) throw new Error(`${from.label}: send: ${rc}`);
}

/** Sends `count` distinct frames out of the socket's interface; throws if the kernel refuses one. */
export function sendFrames(from: RawSocket, s: SendSpec): void {
  for (let seq = 0; seq < s.count; seq++) {
    const f = rowFrame(s.dst, s.src, s.row, seq, s.len);
    let rc = from.send(f);
    // A full device queue (ENOBUFS, EAGAIN) is the sender's problem, not the thing under test: retry briefly.
    for (let tries = 0; (rc === -ENOBUFS || rc === -EAGAIN) && tries < 50; tries++) {
      sleepSync(2);
      rc = from.send(f);
    }
    if (rc !== f.length) throw new Error(`${from.label}: send row ${s.row} seq ${seq}: ${rc}`);
  }
}

/** How one endpoint received one row: how many distinct sequence numbers, how many frames in all. */
export interface Seen {
  distinct: number;
  copies: number;
}

/** Counts our frames at a set of endpoints, per row and per endpoint. */
export class Tally {
  /** row → endpoint label → seq → times seen */
  private readonly seen = new Map<number, Map<string, Map<number, number>>>();
  private readonly buf = new Uint8Array(70_000);

  constructor(readonly endpoints: readonly RawSocket[]) {}

  /** Reads whatever is queued on every endpoint, without waiting; returns how many of our frames it found. */
  poll(): number {
    let found = 0;
    for (const e of this.endpoints) {
      for (;;) {
        const n = e.recvInto(this.buf, 0);
        if (n < 0) break;
        const t = parseRowFrame(this.buf, n);
        if (t === null) continue;
        found++;
        let byEp = this.seen.get(t.row);
        if (!byEp) this.seen.set(t.row, (byEp = new Map()));
        let bySeq = byEp.get(e.label);
        if (!bySeq) byEp.set(e.label, (bySeq = new Map()));
        bySeq.set(t.seq, (bySeq.get(t.seq) ?? 0) + 1);
      }
    }
    return found;
  }

  /** Polls until nothing new has arrived for quietMs (or maxMs passed), sleeping between rounds so the daemon
   *  under test keeps the CPU it needs. */
  async drain(quietMs = 400, maxMs = 5000): Promise<void> {
    const end = Date.now() + maxMs;
    let lastNew = Date.now();
    while (Date.now() < end) {
      if (this.poll() > 0) lastNew = Date.now();
      else if (Date.now() - lastNew >= quietMs) return;
      await sleep(10);
    }
  }

  /** Per endpoint label, how the row was received (endpoints that saw nothing are left out). */
  row(row: number): Map<string, Seen> {
    const out = new Map<string, Seen>();
    for (const [label, bySeq] of this.seen.get(row) ?? []) {
      let copies = 0;
      for (const c of bySeq.values()) copies += c;
      out.set(label, { distinct: bySeq.size, copies });
    }
    return out;
  }

  /** The labels that got every one of `count` frames exactly once, sorted; anything else is reported in `odd`. */
  receivers(row: number, count: number): { exact: string[]; odd: string[] } {
    const exact: string[] = [];
    const odd: string[] = [];
    for (const [label, s] of this.row(row)) {
      if (s.distinct === count && s.copies === count) exact.push(label);
      else odd.push(`${label}(${s.distinct}/${count} distinct, ${s.copies} copies)`);
    }
    return { exact: exact.sort(), odd: odd.sort() };
  }

  /** Forgets what was counted (frames still in flight for old rows are ignored by using new row numbers). */
  clear(): void {
    this.seen.clear();
  }
}

/** Sends each spec from its endpoint, draining the receivers after each so no socket buffer overflows, then waits
 *  until the wire is quiet. */
export async function sendAndCount(tally: Tally, sends: ReadonlyArray<{ from: RawSocket } & SendSpec>): Promise<void> {
  for (const s of sends) {
    sendFrames(s.from, s);
    await sleep(20);
    tally.poll();
  }
  await tally.drain();
}
