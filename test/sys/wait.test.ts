// How the engine waits (native/wait.cc), against real devices (root only): frames that come while poll() spins
// (adaptive, or --busy-poll-us) and frames that come after it went to sleep are all handed out, once, in order.
//
//   ext  usp<pid>e0 ──veth── usp<pid>p0  dp: the engine's parent and a TAP t1
//
// A sender process paces its frames with gaps inside the adaptive spin (0.1, 0.2 ms), just past it (1 ms) and long
// after it (30 ms), so the frames land in every state of the wait.

import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { isRoot, type Sandbox } from '../../support/sandbox.js';
import { macText, testMac, TEST_ETHERTYPE } from '../../support/addresses.js';
import { isNumberedFrame, numberOf } from '../support/frames.js';
import { openEngine, type Engine, type OpenEngineOptions } from '../../src/io/engine.js';
import type { Tap } from '../../src/io/tap.js';
import { IfaceError } from '../../src/io/errors.js';
import { makeEngineWire, rxBatch, type EngineWire } from '../support/engine-wire.js';

const root = isRoot();
const MAC_EXT = testMac(0x5f, 0x01), MAC_T1 = testMac(0x5f, 0x11);
const COUNT = 60;

// One raw frame per number (the tests' numbered-frame layout: the number after the header), paced by a gap cycle.
const SENDER = `
import socket, struct, sys, time
dev, dst, src, etype, count = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
gaps = [0.0001, 0.0002, 0.001, 0.03]
for n in range(count):
    s.send(dst + src + struct.pack('!H', etype) + struct.pack('!I', n) + bytes(42))
    time.sleep(gaps[n % len(gaps)])
`;

const hex = (mac: number): string => macText(mac).replace(/:/g, '');

describe.skipIf(!root)('engine wait (root)', () => {
  let wire: EngineWire;
  let sb: Sandbox;
  let ext: string, dp: string, e0: string, p0: string;
  let tap: Tap;

  beforeAll(() => {
    wire = makeEngineWire('usp', MAC_EXT, MAC_T1);
    ({ sb, ext, dp, e0, p0, tap } = wire);
  });
  afterAll(() => {
    wire?.close();
  });

  /** Starts a paced sender on `dev` in `ns`, polls until COUNT numbered frames came from `port`; their numbers. */
  async function paced(eng: Engine, ns: string, dev: string, dst: number, src: number, port: number): Promise<number[]> {
    const rx = rxBatch(64);
    const sender = sb.spawn(ns, ['python3', '-c', SENDER, dev, hex(dst), hex(src), String(TEST_ETHERTYPE), String(COUNT)]);
    const done = sb.wait(sender, 30_000);
    const seen: number[] = [];
    const end = Date.now() + 20_000;
    while (seen.length < COUNT && Date.now() < end) {
      const n = eng.poll(rx, 50);
      for (let i = 0; i < n; i++) {
        const b = eng.regions[rx.region[i]];
        if (rx.port[i] === port && isNumberedFrame(b, rx.at[i], rx.len[i])) seen.push(numberOf(b, rx.at[i]));
      }
      // let the event loop see the sender's exit between polls
      await new Promise((r) => setImmediate(r));
    }
    expect((await done).code).toBe(0);
    return seen;
  }

  const variants: Array<[string, Partial<OpenEngineOptions>]> = [
    ['adaptive spin (the default)', {}],
    ['no spin (spinUs 0)', { spinUs: 0 }],
    ['a fixed spin (busyPollUs 300)', { busyPollUs: 300 }],
  ];
  for (const [name, opts] of variants) {
    test(`${name}: paced frames from a TAP and from the wire all arrive, once, in order`, async () => {
      const eng = openEngine({ parent: p0, netns: dp, batch: 64, ...opts });
      try {
        eng.membership('promisc', true);
        eng.attachTap(1, tap.fd);
        const all = Array.from({ length: COUNT }, (_, i) => i);
        expect(await paced(eng, dp, tap.name, MAC_EXT, MAC_T1, 1)).toEqual(all);
        expect(await paced(eng, ext, e0, MAC_T1, MAC_EXT, 0)).toEqual(all);
        eng.detachTap(1);
      } finally {
        eng.close();
      }
    }, 60_000);
  }

  test('a spin time out of range is refused: EINVAL naming spinUs, no engine left open', () => {
    for (const spinUs of [-1, 1_000_001]) {
      let err: unknown;
      try { openEngine({ parent: p0, netns: dp, batch: 64, spinUs }).close(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(IfaceError);
      expect((err as IfaceError).op).toBe('spinUs');
      expect((err as IfaceError).code).toBe('EINVAL');
    }
  });
});
