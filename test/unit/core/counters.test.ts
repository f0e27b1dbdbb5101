// counters.ts: layout, one test per counting rule of lifecycle.md §9 (deviations C3/C5 pinned), failed copies,
// drop-reason columns on the ingress port.

import { describe, expect, it } from 'vitest';
import { DROP_NAMES, Drop, Egress, PARENT } from '../../../src/core/constants.js';
import {
  COUNTER_COLUMNS, COUNTER_NAMES, Col, clearRow, countTxResult, countVerdict, counterBytes, dropColumn, makeCounters, readRow,
} from '../../../src/core/counters.js';
import { Verdict } from '../../../src/core/verdict.js';

/** A hand-made verdict: rows of [port, kind, drop] */
function verdict(rows: Array<[number, number, number?]>, reason = 0, extra: Partial<Pick<Verdict, 'toHost' | 'parentRxDropped'>> = {}): Verdict {
  const v = new Verdict(16);
  rows.forEach(([p, k, d], i) => { v.port[i] = p; v.kind[i] = k; v.drop[i] = d ?? 0; });
  v.n = rows.length;
  v.reason = reason;
  v.toHost = extra.toHost ?? false;
  v.parentRxDropped = extra.parentRxDropped ?? false;
  return v;
}
const at = (c: Float64Array, port: number, col: number) => c[port * COUNTER_COLUMNS + col];
/** the non-zero cells as 'port.name=value' */
function nonZero(c: Float64Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) out.push(`${Math.floor(i / COUNTER_COLUMNS)}.${COUNTER_NAMES[i % COUNTER_COLUMNS]}=${c[i]}`);
  return out;
}

describe('layout', () => {
  it('kernel columns first, then one drop_<reason> column per Drop reason, then the MAC-NAT\'s two', () => {
    expect(COUNTER_NAMES.slice(0, 8)).toEqual(['rx_packets', 'rx_bytes', 'rx_multicast', 'tx_packets', 'tx_bytes', 'rx_errors', 'rx_dropped', 'tx_dropped']);
    expect(COUNTER_NAMES.length).toBe(COUNTER_COLUMNS);
    expect(COUNTER_COLUMNS).toBe(8 + DROP_NAMES.length - 1 + 2);
    expect(COUNTER_NAMES.slice(-2)).toEqual(['nat_rewritten', 'nat_unowned']);
    for (const [name, r] of Object.entries(Drop)) {
      if (r === 0) continue;
      expect(COUNTER_NAMES[dropColumn(r)]).toBe(`drop_${DROP_NAMES[r]}`);
      expect(name.toLowerCase()).toBe(DROP_NAMES[r]);
    }
  });

  it('makeCounters over a SharedArrayBuffer of counterBytes(ports); readRow / clearRow', () => {
    const sab = new SharedArrayBuffer(counterBytes(3));
    const c = makeCounters(3, sab);
    expect(c.length).toBe(3 * COUNTER_COLUMNS);
    c[2 * COUNTER_COLUMNS + Col.TX_BYTES] = 42;
    expect(new Float64Array(sab)[2 * COUNTER_COLUMNS + Col.TX_BYTES]).toBe(42);
    expect(readRow(c, 2).tx_bytes).toBe(42);
    expect(Object.keys(readRow(c, 2))).toEqual([...COUNTER_NAMES]);
    clearRow(c, 2);
    expect(readRow(c, 2).tx_bytes).toBe(0);
    expect(makeCounters(2).length).toBe(2 * COUNTER_COLUMNS);
  });
});

describe('countVerdict (lifecycle.md §9)', () => {
  it('I11 unicast: receiver rx +1/+L, no multicast', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[2, Egress.UNICAST]]), PARENT, 100);
    expect(nonZero(c)).toEqual(['2.rx_packets=1', '2.rx_bytes=100']);
  });

  it('I6 flood: every receiver rx +1/+L, multicast +1', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[1, Egress.FLOOD], [3, Egress.FLOOD]], 0, { toHost: true }), PARENT, 60);
    expect(nonZero(c)).toEqual(['1.rx_packets=1', '1.rx_bytes=60', '1.rx_multicast=1', '3.rx_packets=1', '3.rx_bytes=60', '3.rx_multicast=1']);
  });

  it('C3 deviation: a bridge-local flood copy counts +L bytes (the kernel shows +L+14); sender tx +1/+L', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[2, Egress.LOCAL_FLOOD], [0, Egress.WIRE]]), 1, 100);
    expect(nonZero(c)).toEqual(['1.tx_packets=1', '1.tx_bytes=100', '2.rx_packets=1', '2.rx_bytes=100', '2.rx_multicast=1']);
  });

  it('C5 deviation: an origin-only copy counts +L bytes (the kernel shows +0), multicast +0', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[3, Egress.ORIGIN_ONLY]]), PARENT, 100);
    expect(nonZero(c)).toEqual(['3.rx_packets=1', '3.rx_bytes=100']);
  });

  it('source copy: rx +1/+L, multicast +0 even for a group frame', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[1, Egress.SOURCE_COPY], [2, Egress.FLOOD]], 0, { toHost: true }), PARENT, 80);
    expect([at(c, 1, Col.RX_PACKETS), at(c, 1, Col.RX_BYTES), at(c, 1, Col.RX_MULTICAST)]).toEqual([1, 80, 0]);
    expect(at(c, 2, Col.RX_MULTICAST)).toBe(1);
  });

  it('C4 X2: sender tx +1/+L, receiver rx +1/+L, parent row untouched', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[2, Egress.LOCAL_UNICAST]]), 1, 100);
    expect(nonZero(c)).toEqual(['1.tx_packets=1', '1.tx_bytes=100', '2.rx_packets=1', '2.rx_bytes=100']);
  });

  it('X2 refused by P (down / over MTU): sender counted as sent, P rx_dropped +1, reason on the sender', () => {
    for (const r of [Drop.PARENT_DOWN, Drop.MTU_EXCEEDED]) {
      const c = makeCounters(4);
      countVerdict(c, verdict([], r, { parentRxDropped: true }), 1, 100);
      expect(nonZero(c)).toEqual(['0.rx_dropped=1', '1.tx_packets=1', '1.tx_bytes=100', `1.drop_${DROP_NAMES[r]}=1`]);
    }
  });

  it('X2 consumed by NODST: sender counted as sent, the source copy counted, no parent drop', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[3, Egress.SOURCE_COPY]], Drop.NODST), 1, 100);
    expect(nonZero(c)).toEqual(['1.tx_packets=1', '1.tx_bytes=100', '1.drop_nodst=1', '3.rx_packets=1', '3.rx_bytes=100']);
  });

  it('C6: an X1 copy over the receiver\'s MTU: rx_errors +1, rx_dropped +2; the others delivered', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[2, Egress.LOCAL_FLOOD, Drop.MTU_EXCEEDED], [3, Egress.LOCAL_FLOOD], [0, Egress.WIRE]]), 1, 1200);
    expect(nonZero(c)).toEqual([
      '1.tx_packets=1', '1.tx_bytes=1200', '1.drop_mtu_exceeded=1',
      '2.rx_errors=1', '2.rx_dropped=2',
      '3.rx_packets=1', '3.rx_bytes=1200', '3.rx_multicast=1',
    ]);
  });

  it('C7 queue full: P rx_dropped +1, no child counter; the reason on the parent\'s row', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([], Drop.QUEUE_FULL, { toHost: true, parentRxDropped: true }), PARENT, 100);
    expect(nonZero(c)).toEqual(['0.rx_dropped=1', '0.drop_queue_full=1']);
  });

  it('C8 / X0: a child without carrier (or a runt, oversize, a bad GSO header): tx_dropped +1, tx_packets +0', () => {
    for (const r of [Drop.LINK_DOWN, Drop.RUNT, Drop.OVERSIZE, Drop.BAD_GSO]) {
      const c = makeCounters(4);
      countVerdict(c, verdict([], r), 2, 100);
      expect(nonZero(c)).toEqual(['2.tx_dropped=1', `2.drop_${DROP_NAMES[r]}=1`]);
    }
  });

  it('I10 passthru down and I2/I7 NODST from outside: nothing counted but our reason column', () => {
    for (const r of [Drop.PASSTHRU_DOWN, Drop.NODST, Drop.NO_DESTINATION, Drop.MODE_FORBIDS, Drop.RUNT]) {
      const c = makeCounters(4);
      countVerdict(c, verdict([], r), PARENT, 100);
      expect(nonZero(c)).toEqual([`0.drop_${DROP_NAMES[r]}=1`]);
    }
  });

  it('accumulates over frames', () => {
    const c = makeCounters(4);
    const v = verdict([[2, Egress.UNICAST]]);
    for (let k = 0; k < 5; k++) countVerdict(c, v, PARENT, 100 + k);
    expect([at(c, 2, Col.RX_PACKETS), at(c, 2, Col.RX_BYTES)]).toEqual([5, 510]);
  });
});

describe('countTxResult: copies the I/O layer could not deliver', () => {
  it('ok is a no-op', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[2, Egress.UNICAST]]), PARENT, 100);
    const before = c.slice();
    countTxResult(c, 2, Egress.UNICAST, 100, true);
    expect(c).toEqual(before);
  });

  it('a receiver copy: its success undone, rx_errors +1, rx_dropped +1 (multicast undone for floods)', () => {
    for (const kind of [Egress.UNICAST, Egress.FLOOD, Egress.LOCAL_FLOOD, Egress.ORIGIN_ONLY, Egress.SOURCE_COPY, Egress.LOCAL_UNICAST]) {
      const c = makeCounters(4);
      countVerdict(c, verdict([[2, kind]]), kind === Egress.LOCAL_FLOOD || kind === Egress.LOCAL_UNICAST ? 1 : PARENT, 100);
      countTxResult(c, 2, kind, 100, false);
      expect([at(c, 2, Col.RX_PACKETS), at(c, 2, Col.RX_BYTES), at(c, 2, Col.RX_MULTICAST), at(c, 2, Col.RX_ERRORS), at(c, 2, Col.RX_DROPPED)], String(kind))
        .toEqual([0, 0, 0, 1, 1]);
    }
  });

  it('a wire copy: the sender\'s tx undone and tx_dropped +1 (macvlan_start_xmit)', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[0, Egress.WIRE]]), 3, 100);
    countTxResult(c, PARENT, Egress.WIRE, 100, false, 3);
    expect(nonZero(c)).toEqual(['3.tx_dropped=1']);
  });

  it('a wire copy without a sender: only the parent row\'s tx_dropped', () => {
    const c = makeCounters(4);
    countTxResult(c, PARENT, Egress.WIRE, 100, false);
    expect(nonZero(c)).toEqual(['0.tx_dropped=1']);
  });

  it('a bridge-local copy that fails after X2 leaves the sender counted as sent', () => {
    const c = makeCounters(4);
    countVerdict(c, verdict([[2, Egress.LOCAL_UNICAST]]), 1, 100);
    countTxResult(c, 2, Egress.LOCAL_UNICAST, 100, false);
    expect(nonZero(c)).toEqual(['1.tx_packets=1', '1.tx_bytes=100', '2.rx_errors=1', '2.rx_dropped=1']);
  });
});

