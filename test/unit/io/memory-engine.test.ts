// The in-memory engine must look like the real one to the datapath: same layout, same results for bad sends.
import { describe, test, expect } from 'vitest';
import { MemoryEngine, VNET_LEN } from '../../support/memory-engine.js';
import type { RxBatch, TxList } from '../../../src/io/contract.js';
import { IfaceError } from '../../../src/io/errors.js';

const rxBatch = (n: number): RxBatch => ({ count: 0, port: new Int16Array(n), region: new Uint8Array(n), at: new Uint32Array(n), len: new Uint32Array(n) });
const txList = (n: number): TxList => ({ count: 0, port: new Int16Array(n), region: new Uint8Array(n), at: new Uint32Array(n), len: new Uint32Array(n), result: new Int32Array(n) });
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('MemoryEngine', () => {
  test('poll lays frames out as [vnet 10][frame]: parent in region 0, TAPs in region 1, in injection order', () => {
    const e = new MemoryEngine();
    e.attachTap(3, 42);
    const vnet = Uint8Array.from([1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0]);
    e.inject(0, bytes(60, 1));
    e.inject(3, bytes(1514, 2), { vnet });
    e.inject(0, bytes(6, 3));  // a runt is delivered: the datapath's checks are what is under test
    const rx = rxBatch(8);
    expect(e.poll(rx, 0)).toBe(3);
    expect(rx.count).toBe(3);
    expect(Array.from(rx.port.subarray(0, 3))).toEqual([0, 3, 0]);
    expect(Array.from(rx.region.subarray(0, 3))).toEqual([0, 1, 0]);
    expect(Array.from(rx.len.subarray(0, 3))).toEqual([60, 1514, 6]);
    const r1 = e.regions[1];
    expect(r1.slice(rx.at[1], rx.at[1] + 1514)).toEqual(bytes(1514, 2));
    expect(r1.slice(rx.at[1] - VNET_LEN, rx.at[1])).toEqual(vnet);
    expect(e.regions[0].slice(rx.at[2], rx.at[2] + 6)).toEqual(bytes(6, 3));
    expect(e.poll(rx, 0)).toBe(0);
  });

  test('a batch holds at most rx.length frames; the rest come with the next poll', () => {
    const e = new MemoryEngine();
    for (let i = 0; i < 5; i++) e.inject(0, bytes(64, i));
    const rx = rxBatch(2);
    expect([e.poll(rx, 0), e.poll(rx, 0), e.poll(rx, 0), e.poll(rx, 0)]).toEqual([2, 2, 1, 0]);
  });

  test('truncated frames are counted, never delivered; frames for unattached TAPs are not read', () => {
    const e = new MemoryEngine();
    e.inject(0, bytes(100, 0), { truncated: true });
    e.inject(5, bytes(100, 0));
    expect(e.poll(rxBatch(4), 0)).toBe(0);
    expect(e.stats()).toEqual({ ringDrops: 0, rxErrors: 1, rxTruncated: 1, poolEmpty: 0, skipped: 0, ringTruncated: 1, ringTooBig: 0 });
  });

  test('send records copies and answers per frame as the kernel would: runt EINVAL, no TAP ENXIO, injected failures', () => {
    const e = new MemoryEngine();
    e.attachTap(1, 10);
    e.attachTap(2, 11);
    e.failPort(2, 5);  // EIO: TAP down
    e.inject(0, bytes(100, 9));
    const rx = rxBatch(4);
    e.poll(rx, 0);
    const tx = txList(8);
    const add = (port: number, region: number, at: number, len: number) => {
      const j = tx.count++; tx.port[j] = port; tx.region[j] = region; tx.at[j] = at; tx.len[j] = len;
    };
    add(1, rx.region[0], rx.at[0], rx.len[0]);
    add(2, rx.region[0], rx.at[0], rx.len[0]);
    add(7, rx.region[0], rx.at[0], rx.len[0]);
    add(0, rx.region[0], rx.at[0], 10);
    add(0, 2, 0, 60);  // no room for a vnet header before it
    expect(e.send(tx)).toBe(1);
    expect(Array.from(tx.result.subarray(0, 5))).toEqual([100, -5, -6, -22, -14]);
    expect(e.sentTo(1)).toHaveLength(1);
    expect(e.sentTo(1)[0].frame).toEqual(bytes(100, 9));
    e.failPort(2, 0);
    tx.count = 0;
    add(2, rx.region[0], rx.at[0], rx.len[0]);
    expect(e.send(tx)).toBe(1);
  });

  test('attach twice is EBUSY, detach of nothing ENOENT, memberships are recorded, closed engine refuses', () => {
    const e = new MemoryEngine();
    e.attachTap(1, 3);
    expect(() => e.attachTap(1, 4)).toThrow(IfaceError);
    expect(() => e.detachTap(9)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    e.membership('unicast', true, 0x02_00_00_00_00_01);
    e.membership('promisc', true);
    expect(e.memberships).toEqual([{ kind: 'unicast', add: true, mac: 0x02_00_00_00_00_01 }, { kind: 'promisc', add: true }]);
    e.close();
    e.close();
    expect(() => e.poll(rxBatch(1), 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
