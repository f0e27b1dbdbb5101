// The engine's statistics from the worker's engine to what show, show --json and /metrics say: the block the worker
// fills (datapath/engine-stats.ts), the port views (control/engine-stats.ts) and the exposition (metrics.ts), over
// the in-memory engine driven by the real datapath loop.
import { describe, test, expect } from 'vitest';
import { MemoryEngine } from '../../support/memory-engine.js';
import { collectEngineStats, engineStatsBytes, readEngineStats } from '../../../src/datapath/engine-stats.js';
import { forwardBatch, type BatchState } from '../../../src/datapath/forward.js';
import { Rx, Tx } from '../../../src/datapath/tx-list.js';
import { PortTable } from '../../../src/core/port-table.js';
import { Verdict } from '../../../src/core/verdict.js';
import { makeCounters } from '../../../src/core/counters.js';
import { Mode, PARENT } from '../../../src/core/constants.js';
import { withEngineStats, engineLines, errnoName } from '../../../src/control/engine-stats.js';
import { expositionOf } from '../../../src/control/metrics.js';
import type { PortView } from '../../../src/control/requests.js';
import { frame, m, E } from '../helpers/frames.js';

const MAX = 4;
const EIO = 5, EBADFD = 77;
const P = m('02:aa:00:00:00:01'), A = m('02:aa:00:00:00:0a'), B = m('02:aa:00:00:00:0b');

/** Parent and two bridge children (slots 1 = a, 2 = b), all up, attached to a memory engine. */
function rig() {
  const t = new PortTable(MAX);
  t.setParent({ mac: P, mtu: 1500, up: true, carrier: true, promisc: true });
  for (const mac of [A, B]) {
    const i = t.freeSlot();
    t.addChild(i, { mac, mode: Mode.BRIDGE, flags: 0, mtu: 1500 });
    t.setUp(i, true);
  }
  const eng = new MemoryEngine({ regionBytes: 1 << 20 });
  eng.attachTap(1, 101);
  eng.attachTap(2, 102);
  const s: BatchState = {
    table: t, verdict: new Verdict(Verdict.capacityFor(MAX)), tx: new Tx(256), counters: makeCounters(MAX + 1),
    regions: eng.regions, capture: null,
  };
  const rx = new Rx(32);
  const pump = (): void => { while (eng.poll(rx, 0) > 0) forwardBatch(s, rx, eng, 0); };
  /** what the worker copies on a 'stats' message, read back as the control thread does */
  const snapshot = () => {
    const block = new Float64Array(new SharedArrayBuffer(engineStatsBytes(MAX + 1)));
    collectEngineStats(eng, block);
    return readEngineStats(block);
  };
  return { eng, pump, snapshot };
}

const view = (name: string, slot: number, mode: string, state: string): PortView => ({
  name, slot, mac: '02:aa:00:00:00:00', mode, state, mtu: 1500, flags: [], netns: null, macaddr: [], counters: {},
});
const views = (): PortView[] => [
  view('p0', PARENT, 'parent', 'up'), view('a', 1, 'bridge', 'up'), view('b', 2, 'bridge', 'up'),
  view('old', 2, 'bridge', 'gone'),  // deleted earlier: its slot is b's now
];

describe('engine statistics: worker block → port views → show and /metrics', () => {
  test('ring drops and truncations on the parent; write errors on the port that refused; nothing else', () => {
    const r = rig();
    r.eng.dropOnRing(7);
    r.eng.inject(PARENT, frame({ dst: A, src: E, len: 1514 }), { truncated: true });
    r.eng.inject(PARENT, frame({ dst: A, src: E, len: 1514 }), { truncated: true, tooBig: true });
    r.eng.failPort(2, EIO);
    for (let i = 0; i < 3; i++) r.eng.inject(PARENT, frame({ dst: B, src: E, len: 100 }));
    r.eng.inject(PARENT, frame({ dst: A, src: E, len: 100 }));
    r.pump();
    const snap = r.snapshot();
    expect(snap.engine).toMatchObject({ ringDrops: 7, ringTruncated: 1, ringTooBig: 1, rxTruncated: 2 });
    expect([...snap.ports.keys()]).toEqual([0, 1, 2]);
    expect(snap.ports.get(2)).toEqual({ readErrors: 0, writeErrors: 3, readErrno: 0, writeErrno: EIO });
    expect(snap.ports.get(1)).toEqual({ readErrors: 0, writeErrors: 0, readErrno: 0, writeErrno: 0 });
    expect(snap.ports.get(0)).toMatchObject({ readErrors: 2, writeErrors: 0 });

    const v = withEngineStats(views(), snap);
    expect(v[0].ring).toEqual({ drops: 7, truncated: 1, tooBig: 1 });
    expect(v[2]).toMatchObject({ state: 'up', io: { readErrors: 0, writeErrors: 3, readError: null, writeError: 'EIO' } });
    expect(v[1].ring).toBeUndefined();
    expect(v[3].io).toBeUndefined();  // a gone child is not given its slot's successor's numbers
    expect(JSON.parse(JSON.stringify(v[2]))).toMatchObject({ io: { writeErrors: 3, writeError: 'EIO' } });  // show --json

    expect(engineLines(v[0])).toEqual(['    ring: drops 7 truncated 1 too-big 1', '    I/O errors: read 2 write 0']);
    expect(engineLines(v[1])).toEqual([]);  // no errors: show says nothing more
    expect(engineLines(v[2])).toEqual(['    I/O errors: read 0 write 3 (last: EIO)']);

    const text = expositionOf(v);
    expect(text).toContain('# TYPE umacvlan_ring_drops_total counter\numacvlan_ring_drops_total{port="p0",mode="parent"} 7\n');
    expect(text).toContain('umacvlan_ring_truncated_total{port="p0",mode="parent"} 1\n');
    expect(text).toContain('umacvlan_ring_too_big_total{port="p0",mode="parent"} 1\n');
    expect(text).toContain('# TYPE umacvlan_write_errors_total counter\n');
    expect(text).toContain('umacvlan_write_errors_total{port="b",mode="bridge"} 3\n');
    expect(text).toContain('umacvlan_read_errors_total{port="a",mode="bridge"} 0\n');
    expect(text).toContain('umacvlan_port_error{port="b",mode="bridge"} 0\n');
    expect(text).not.toMatch(/umacvlan_(read|write)_errors_total\{port="old"/);
  });

  test('a child whose reads fail for good is in state error: show, show --json and /metrics say so', () => {
    const r = rig();
    r.eng.failReads(1, EBADFD);
    r.eng.inject(1, frame({ dst: E, src: A, len: 100 }));  // never read any more
    r.eng.inject(2, frame({ dst: E, src: B, len: 100 }));
    r.pump();
    expect(r.eng.sent.map((x) => x.port)).toEqual([PARENT]);  // only b's frame went out
    const v = withEngineStats(views(), r.snapshot());
    expect(v[1]).toMatchObject({ state: 'error', io: { readErrors: 1, readError: 'EBADFD', writeErrors: 0, writeError: null } });
    expect(v[2].state).toBe('up');
    expect(engineLines(v[1])).toEqual(['    I/O errors: read 1 (reads stopped: EBADFD) write 0']);
    const text = expositionOf(v);
    expect(text).toContain('# TYPE umacvlan_port_error gauge\n');
    expect(text).toContain('umacvlan_port_error{port="a",mode="bridge"} 1\n');
    expect(text).toContain('umacvlan_port_up{port="a",mode="bridge"} 0\n');
    expect(text).toContain('umacvlan_read_errors_total{port="a",mode="bridge"} 1\n');
  });

  test('the parent\'s socket error is shown but never makes the parent state error; a re-attached TAP starts clean', () => {
    const r = rig();
    r.eng.failReads(2, EBADFD);
    r.eng.detachTap(2);
    r.eng.attachTap(2, 103);
    const snap = r.snapshot();
    expect(snap.ports.get(2)).toEqual({ readErrors: 0, writeErrors: 0, readErrno: 0, writeErrno: 0 });
    snap.ports.set(PARENT, { readErrors: 0, writeErrors: 0, readErrno: 100, writeErrno: 0 });  // ENETDOWN
    const v = withEngineStats(views(), snap);
    expect(v[0]).toMatchObject({ state: 'up', io: { readError: 'ENETDOWN' } });
    expect(engineLines(v[0])[1]).toBe('    I/O errors: read 0 (ENETDOWN) write 0');
  });

  test('without a datapath (stopping) the views stay as they were', () => {
    expect(withEngineStats(views(), null)).toEqual(views());
    expect(errnoName(0)).toBeNull();
    expect(errnoName(EIO)).toBe('EIO');
    expect(errnoName(EBADFD)).toBe('EBADFD');
    expect(errnoName(200)).toBe('errno 200');  // no such errno
  });
});
