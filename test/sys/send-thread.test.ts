// The engine's sender thread (native/parent-send.cc), against real devices (root only): frames handed to it are
// sent whole, once and in order although their ring frames and pool slots are given back only after the thread sent
// them; a send that fails on the thread is reported at the next poll(); close() with sends in flight joins the
// thread and leaves nothing behind, and so does a daemon's SIGTERM during a TCP transfer.
//
//   ext  ust<pid>e0 ──veth── ust<pid>p0  dp: the engine's parent and a TAP t1 (port 1)
//
// sendThreadBytes 0 hands every send() for the parent to the thread; the ring (270 frames) and the pool (128 slots)
// wrap several times over while frames are held.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { isRoot, type Sandbox } from '../../support/sandbox.js';
import { testMac } from '../../support/addresses.js';
import { RawSocket } from '../support/raw-socket.js';
import { isNumberedFrame, numberedFrame, numberOf } from '../support/frames.js';
import { openEngine, type Engine } from '../../src/io/engine.js';
import { PortIo } from '../../src/io/contract.js';
import { Tx } from '../../src/datapath/tx-list.js';
import type { Tap } from '../../src/io/tap.js';
import { makeEngineWire, rxBatch, type EngineWire } from '../support/engine-wire.js';
import { makeLab } from '../support/lab.js';
import { startDaemon } from '../../support/daemon.js';
import { sleep } from '../../support/time.js';

const root = isRoot();
const MAC_EXT = testMac(0x5d, 0x01), MAC_T1 = testMac(0x5d, 0x11);
const FROM_WIRE = 100_000;  // numbers of the frames the far end sends; the TAP's count from 0
const ENETDOWN = 100;

describe.skipIf(!root)('sender thread (root)', () => {
  let wire: EngineWire;
  let sb: Sandbox;
  let ext: string, dp: string, e0: string, p0: string;
  let tap: Tap;
  let extSock: RawSocket;
  let tapSock: RawSocket;
  const rx = rxBatch(64);

  beforeAll(() => {
    wire = makeEngineWire('ust', MAC_EXT, MAC_T1);
    ({ sb, ext, dp, e0, p0, tap } = wire);
    extSock = RawSocket.open(ext, e0);
    tapSock = RawSocket.open(dp, tap.name);
  });
  afterAll(() => {
    extSock?.close();
    tapSock?.close();
    wire?.close();
  });

  const open = (): Engine => {
    const eng = openEngine({ parent: p0, netns: dp, batch: 64, ringFrames: 256, tapBuffers: 128, sendThreadBytes: 0 });
    eng.membership('promisc', true);
    eng.attachTap(1, tap.fd);
    return eng;
  };

  /** Polls and sends every numbered frame out of the parent again (tagged `tag`) until `want` were relayed. */
  function relay(eng: Engine, tx: Tx, want: number, tag: number): number {
    let relayed = 0;
    const end = Date.now() + 5000;
    while (relayed < want && Date.now() < end) {
      const n = eng.poll(rx, 20);
      tx.count = 0;
      for (let i = 0; i < n; i++) {
        if (!isNumberedFrame(eng.regions[rx.region[i]], rx.at[i], rx.len[i])) continue;
        const j = tx.count++;
        tx.port[j] = 0; tx.region[j] = rx.region[i]; tx.at[j] = rx.at[i]; tx.len[j] = rx.len[i]; tx.sender[j] = tag;
      }
      if (tx.count > 0) expect(eng.send(tx)).toBe(tx.count);
      relayed += tx.count;
    }
    return relayed;
  }

  test('frames from a TAP (pool slots) and from the wire (ring frames) leave whole, once, in order', () => {
    const eng = open();
    const tx = new Tx(4096);
    const got: number[] = [];
    try {
      const ROUNDS = 30, EACH = 50;
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < EACH; k++) {
          const n = r * EACH + k;
          expect(tapSock.send(numberedFrame(MAC_EXT, MAC_T1, 60 + (n * 37) % 1455, n))).toBeGreaterThan(0);
          expect(extSock.send(numberedFrame(MAC_T1, MAC_EXT, 60 + (n * 53) % 1455, FROM_WIRE + n))).toBeGreaterThan(0);
        }
        expect(relay(eng, tx, 2 * EACH, 1)).toBe(2 * EACH);
        for (const f of extSock.collect(2 * EACH, 3000, (b, len) => isNumberedFrame(b, 0, len))) {
          const n = numberOf(f, 0);
          // whole: its length is the one it was sent with (a slot given back too early would show another frame)
          expect(f.length).toBe(n >= FROM_WIRE ? 60 + ((n - FROM_WIRE) * 53) % 1455 : 60 + (n * 37) % 1455);
          got.push(n);
        }
      }
      const all = Array.from({ length: ROUNDS * EACH }, (_, i) => i);
      expect(got.filter((n) => n < FROM_WIRE)).toEqual(all);
      expect(got.filter((n) => n >= FROM_WIRE)).toEqual(all.map((n) => FROM_WIRE + n));
      const io = new Float64Array(PortIo.LENGTH);
      expect(eng.portStats(0, io, 0)).toBe(true);
      expect(io[PortIo.WRITE_ERRORS]).toBe(0);
      expect(eng.stats().ringDrops).toBe(0);
    } finally {
      eng.close();
    }
  }, 60_000);

  test('a send that fails on the thread (parent down) is reported at a later poll with its tag, and counted', () => {
    const eng = open();
    const tx = new Tx(4096);
    try {
      sb.run(dp, ['ip', 'link', 'set', p0, 'down']);
      for (let n = 0; n < 20; n++) expect(tapSock.send(numberedFrame(MAC_EXT, MAC_T1, 200 + n, n))).toBeGreaterThan(0);
      const late: Array<[number, number, number]> = [];
      const end = Date.now() + 5000;
      let relayed = 0;
      while (late.length < 20 && Date.now() < end) {
        if (relayed < 20) relayed += relay(eng, tx, 1, 7);
        else eng.poll(rx, 20);
        const l = tx.late;
        for (let i = 0; i < l.count[0]; i++) late.push([l.sender[i], l.len[i], l.err[i]]);
        l.count[0] = 0;
      }
      // handed over: send() said sent; the thread's ENETDOWN comes back per frame, with the sender and length given
      expect(relayed).toBe(20);
      expect(late).toEqual(Array.from({ length: 20 }, (_, n) => [7, 200 + n, -ENETDOWN]));
      const io = new Float64Array(PortIo.LENGTH);
      expect(eng.portStats(0, io, 0)).toBe(true);
      expect([io[PortIo.WRITE_ERRORS], io[PortIo.WRITE_ERRNO]]).toEqual([20, ENETDOWN]);
    } finally {
      sb.run(dp, ['ip', 'link', 'set', p0, 'up']);
      eng.close();
    }
  }, 30_000);

  test('the thread is chosen per sender: a small sender beside a large one goes inline, each sender in its order', () => {
    // 1,000 bytes: sender 7's frames of one send() carry more, sender 9's less
    const eng = openEngine({ parent: p0, netns: dp, batch: 64, ringFrames: 256, tapBuffers: 128, sendThreadBytes: 1000 });
    eng.membership('promisc', true);
    eng.attachTap(1, tap.fd);
    const tx = new Tx(4096);
    const bySender = (n: number): number => (n % 3 === 0 ? 9 : 7);
    const sizeOf = (n: number): number => (bySender(n) === 9 ? 60 : 1400);
    const read = (want: number): number => {
      let n = 0;
      const end = Date.now() + 5000;
      while (n < want && Date.now() < end) n += eng.poll(rx, 20);
      return n;
    };
    try {
      // parent down: a frame sent inline fails in send() itself; one handed over fails later, at a poll
      sb.run(dp, ['ip', 'link', 'set', p0, 'down']);
      for (let n = 0; n < 4; n++) expect(tapSock.send(numberedFrame(MAC_EXT, MAC_T1, sizeOf(n), n))).toBeGreaterThan(0);
      expect(read(4)).toBe(4);
      tx.count = 0;
      for (let i = 0; i < 4; i++) {
        const n = numberOf(eng.regions[rx.region[i]], rx.at[i]);
        const j = tx.count++;
        tx.port[j] = 0; tx.region[j] = rx.region[i]; tx.at[j] = rx.at[i]; tx.len[j] = rx.len[i]; tx.sender[j] = bySender(n);
      }
      eng.send(tx);
      const results = Array.from({ length: 4 }, (_, j) => [tx.sender[j], tx.result[j] < 0 ? tx.result[j] : 'sent']).sort();
      // frames 0 and 3 are sender 9's (120 bytes): inline, ENETDOWN at once; 1 and 2 are sender 7's 2,800: the thread
      expect(results).toEqual([[7, 'sent'], [7, 'sent'], [9, -ENETDOWN], [9, -ENETDOWN]]);
      const late: number[] = [];
      const end = Date.now() + 5000;
      while (late.length < 2 && Date.now() < end) {
        eng.poll(rx, 20);
        for (let i = 0; i < tx.late.count[0]; i++) late.push(tx.late.sender[i]);
        tx.late.count[0] = 0;
      }
      expect(late).toEqual([7, 7]);
      sb.run(dp, ['ip', 'link', 'set', p0, 'up']);

      // parent up: the two senders' frames mixed in every send(); each sender's arrive in the order they were sent
      const TOTAL = 600;
      extSock.collect(10_000, 200, () => false);
      let next = 0, relayed = 0;
      const got: number[] = [];
      const stop = Date.now() + 20_000;
      while (relayed < TOTAL && Date.now() < stop) {
        for (let k = 0; k < 30 && next < TOTAL; k++, next++) {
          expect(tapSock.send(numberedFrame(MAC_EXT, MAC_T1, sizeOf(next), 1000 + next))).toBeGreaterThan(0);
        }
        const n = eng.poll(rx, 20);
        tx.count = 0;
        for (let i = 0; i < n; i++) {
          if (!isNumberedFrame(eng.regions[rx.region[i]], rx.at[i], rx.len[i])) continue;
          const num = numberOf(eng.regions[rx.region[i]], rx.at[i]) - 1000;
          const j = tx.count++;
          tx.port[j] = 0; tx.region[j] = rx.region[i]; tx.at[j] = rx.at[i]; tx.len[j] = rx.len[i]; tx.sender[j] = bySender(num);
        }
        if (tx.count > 0) expect(eng.send(tx)).toBe(tx.count);
        relayed += tx.count;
        for (const f of extSock.collect(tx.count, 50, (b, len) => isNumberedFrame(b, 0, len))) got.push(numberOf(f, 0) - 1000);
      }
      for (const f of extSock.collect(TOTAL - got.length, 3000, (b, len) => isNumberedFrame(b, 0, len))) got.push(numberOf(f, 0) - 1000);
      expect(relayed).toBe(TOTAL);
      const all = Array.from({ length: TOTAL }, (_, i) => i);
      expect(got.filter((n) => bySender(n) === 9)).toEqual(all.filter((n) => bySender(n) === 9));
      expect(got.filter((n) => bySender(n) === 7)).toEqual(all.filter((n) => bySender(n) === 7));
    } finally {
      sb.run(dp, ['ip', 'link', 'set', p0, 'up']);
      eng.close();
    }
  }, 60_000);

  test('more sends than the queue holds wait for room; close() with sends in flight joins the thread, no hang', () => {
    const tx = new Tx(4096);
    for (let round = 0; round < 3; round++) {
      const eng = open();
      try {
        for (let n = 0; n < 8; n++) expect(tapSock.send(numberedFrame(MAC_EXT, MAC_T1, 1514, n))).toBeGreaterThan(0);
        let n = 0;
        const end = Date.now() + 5000;
        while (n === 0 && Date.now() < end) n = eng.poll(rx, 20);
        expect(n).toBeGreaterThan(0);
        // 4096 copies of the frames read (the queue holds 256): send() waits for room, the last ones are in flight
        tx.count = 4096;
        for (let j = 0; j < tx.count; j++) {
          const i = j % n;
          tx.port[j] = 0; tx.region[j] = rx.region[i]; tx.at[j] = rx.at[i]; tx.len[j] = rx.len[i]; tx.sender[j] = 1;
        }
        expect(eng.send(tx)).toBe(4096);
      } finally {
        eng.close();  // the thread is still sending: close() stops and joins it before the socket goes
      }
    }
    // the parent's socket and memberships went with each engine: a new one works as before
    const eng = open();
    try {
      expect(tapSock.send(numberedFrame(MAC_EXT, MAC_T1, 100, 77))).toBeGreaterThan(0);
      extSock.collect(10_000, 300, () => false);  // drain the copies of the rounds above
      expect(relay(eng, new Tx(64), 1, 1)).toBe(1);
      const seen = extSock.collect(1, 2000, (b, len) => isNumberedFrame(b, 0, len) && numberOf(b, 0) === 77);
      expect(seen.length).toBe(1);
    } finally {
      eng.close();
    }
  }, 60_000);

  test('the daemon stopped by SIGTERM in the middle of a TCP transfer out (GSO frames on the thread): exit 0', async () => {
    const lab = makeLab(sb, 'd', [{ short: 'k1', mode: 'bridge' }]);
    const d = await startDaemon(sb, lab.dp, ['--parent', lab.p0, ...lab.childArgs()]);
    const k = lab.kid('k1');
    lab.configure(k);
    const srv = sb.spawn(lab.ext, ['iperf3', '-s', '-1', '-B', lab.extIp, '-p', '5299']);
    await sleep(300);
    const cli = sb.spawn(k.ns, ['iperf3', '-c', lab.extIp, '-p', '5299', '-t', '4', '--connect-timeout', '3000']);
    await sleep(1500);  // the transfer is under way: the thread has frames queued and in flight
    const end = await d.stop('SIGTERM');
    expect(end.code, end.stderr).toBe(0);
    expect(end.stderr).toMatch(/counters at exit/);
    // the client's connection died with the child: both are ended (killed by pid) after a moment
    await Promise.all([sb.wait(cli, 2000), sb.wait(srv, 2000)]);
  }, 60_000);
});
