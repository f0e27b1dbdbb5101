// Per-port counters: one row of Float64 per port (0 = parent), written by the datapath per frame from a verdict.
// The columns are what `ip -s link` reports for a macvlan child (lifecycle.md §9) plus our drop reasons.

/*
 * Theory of operation
 *
 * The kernel counts while it delivers; we count from the verdict right after deciding, assuming every copy that is
 * not marked dropped will be delivered, and the I/O layer reports the few copies it could not deliver with
 * countTxResult(…, false), which turns that copy's success into the failure the kernel would have counted. So a
 * reader on another thread may briefly see a success that becomes a failure; totals are exact once the batch is
 * flushed. Float64 holds integers exactly up to 2^53, far beyond any realistic packet or byte count. The block may
 * live in a SharedArrayBuffer the control thread reads without locks: the language does not promise tear-free
 * 8-byte reads, but on x86-64 and arm64 an aligned 8-byte load is one instruction, and a reader that wants certainty
 * reads twice and compares.
 *
 * rx_dropped is stored as the *reported* value, Σ rx_errors + the core's rx_dropped, as macvlan_dev_get_stats64
 * reports it: a failed copy adds 1 to both rx_errors and rx_dropped; a bridge-local copy refused by the receiver's
 * MTU adds rx_errors +1 and rx_dropped +2 (the core counts its own drop too, case C6).
 *
 * Our deviations from §9, on purpose (the README's deviations table): a bridge-local flood copy counts +L bytes, not the
 * kernel's +L+14 (C3), and an origin-only copy counts +L bytes, not +0 (C5). Both kernel values are artefacts of
 * where the kernel reads the length, not meaningful sizes.
 *
 * Drop-reason columns are ours: every verdict reason, and every per-copy drop, adds 1 to the ingress port's column
 * for that reason, so `umacvlan show` can say why a port's frames went nowhere.
 */

import { DROP_NAMES, Drop, Egress, PARENT } from './constants.js';
import type { VerdictApi } from './contract.js';

export const Col = {
  RX_PACKETS: 0,
  RX_BYTES: 1,
  RX_MULTICAST: 2,
  TX_PACKETS: 3,
  TX_BYTES: 4,
  RX_ERRORS: 5,
  RX_DROPPED: 6,
  TX_DROPPED: 7,
  /** column of Drop reason r (r >= 1) is DROP_BASE + r - 1 */
  DROP_BASE: 8,
} as const;

/** --mac-nat, after the drop columns: frames rewritten on their way to or from this port; frames from the wire to
 *  the parent's MAC whose destination no child owns (left to the parent's stack, counted on the parent) */
export const NAT_REWRITTEN = Col.DROP_BASE + DROP_NAMES.length - 1;
export const NAT_UNOWNED = NAT_REWRITTEN + 1;

/** Number of Float64 columns per port */
export const COUNTER_COLUMNS = NAT_UNOWNED + 1;

/** Column names, in column order: the kernel's names, then drop_<reason>, then the MAC-NAT's */
export const COUNTER_NAMES: readonly string[] = [
  'rx_packets', 'rx_bytes', 'rx_multicast', 'tx_packets', 'tx_bytes', 'rx_errors', 'rx_dropped', 'tx_dropped',
  ...DROP_NAMES.slice(1).map((n) => `drop_${n}`),
  'nat_rewritten', 'nat_unowned',
];

export const dropColumn = (reason: number): number => Col.DROP_BASE + reason - 1;

/** Bytes a counter block for `ports` ports needs (ports = maxChildren + 1) */
export const counterBytes = (ports: number): number => ports * COUNTER_COLUMNS * Float64Array.BYTES_PER_ELEMENT;

/** A counter block, optionally over a SharedArrayBuffer the control thread also reads */
export function makeCounters(ports: number, buffer?: ArrayBufferLike): Float64Array {
  return buffer === undefined ? new Float64Array(ports * COUNTER_COLUMNS) : new Float64Array(buffer, 0, ports * COUNTER_COLUMNS);
}

/** Control path: one port's counters by name */
export function readRow(c: Float64Array, port: number): Record<string, number> {
  const out: Record<string, number> = {};
  const row = port * COUNTER_COLUMNS;
  for (let k = 0; k < COUNTER_COLUMNS; k++) out[COUNTER_NAMES[k]] = c[row + k];
  return out;
}

/** Control path: zero one port's row (a child slot reused by a new child starts from zero) */
export function clearRow(c: Float64Array, port: number): void {
  c.fill(0, port * COUNTER_COLUMNS, (port + 1) * COUNTER_COLUMNS);
}

/** Kinds whose delivery the kernel counts as multicast (macvlan_broadcast_one): flood copies only */
function isMulticastKind(kind: number): boolean {
  return kind === Egress.FLOOD || kind === Egress.LOCAL_FLOOD;
}

/**
 * Counts one decided frame of length `len` (Ethernet header included) that arrived on `from`. Call once per
 * decide(), before any copy is sent.
 */
export function countVerdict(c: Float64Array, v: VerdictApi, from: number, len: number): void {
  const fromRow = from * COUNTER_COLUMNS;
  const reason = v.reason;
  if (reason !== Drop.NONE) c[fromRow + Col.DROP_BASE + reason - 1] += 1;
  // Queue full (I4) or bridge-local unicast refused by P (X2): the parent's rx_dropped, no child counter
  if (v.parentRxDropped) c[PARENT * COUNTER_COLUMNS + Col.RX_DROPPED] += 1;
  if (from !== PARENT) {
    if (reason === Drop.RUNT || reason === Drop.OVERSIZE || reason === Drop.LINK_DOWN || reason === Drop.BAD_GSO
      || reason === Drop.NAT_CONFLICT) {
      // Never handed to macvlan's transmit (X0: the child's qdisc drops it; L21/C8; a header the wire may not get;
      // another child's address under --mac-nat)
      c[fromRow + Col.TX_DROPPED] += 1;
    } else {
      // Handed to P (X4) or re-injected (X2: counted as sent even if P or NODST drops it later)
      c[fromRow + Col.TX_PACKETS] += 1;
      c[fromRow + Col.TX_BYTES] += len;
    }
  }
  const n = v.n;
  const ports = v.port;
  const kinds = v.kind;
  const drops = v.drop;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    if (kind === Egress.WIRE) continue; // the sender's tx above; P's own counters are the NIC's
    const row = ports[i] * COUNTER_COLUMNS;
    const drop = drops[i];
    if (drop !== Drop.NONE) {
      // X1 copy refused by __dev_forward_skb: macvlan's rx_errors and the core's rx_dropped (C6: +1, +2)
      c[row + Col.RX_ERRORS] += 1;
      c[row + Col.RX_DROPPED] += 2;
      c[fromRow + Col.DROP_BASE + drop - 1] += 1;
      continue;
    }
    c[row + Col.RX_PACKETS] += 1;
    c[row + Col.RX_BYTES] += len; // C3 and C5 deviations: +L for LOCAL_FLOOD and ORIGIN_ONLY too
    if (isMulticastKind(kind)) c[row + Col.RX_MULTICAST] += 1;
  }
}

/**
 * A copy the I/O layer could not deliver, after countVerdict counted it as delivered. `ok` = true is a no-op, so
 * the datapath may call this for every result. For a receiver copy, `port` is the receiver: its rx success is
 * undone and it gets rx_errors +1, rx_dropped +1 (macvlan_count_rx with success = false). For a WIRE copy, pass
 * the *sending child* as `sender` (the kernel charges the sender: macvlan_start_xmit's tx_dropped); its tx success
 * is undone and tx_dropped +1. Without a sender (sender = PARENT) only the parent row's tx_dropped is charged.
 */
export function countTxResult(c: Float64Array, port: number, kind: number, len: number, ok: boolean,
  sender: number = PARENT): void {
  if (ok) return;
  if (kind === Egress.WIRE) {
    const row = sender * COUNTER_COLUMNS;
    if (sender !== PARENT) {
      c[row + Col.TX_PACKETS] -= 1;
      c[row + Col.TX_BYTES] -= len;
    }
    c[row + Col.TX_DROPPED] += 1;
    return;
  }
  const row = port * COUNTER_COLUMNS;
  c[row + Col.RX_PACKETS] -= 1;
  c[row + Col.RX_BYTES] -= len;
  if (isMulticastKind(kind)) c[row + Col.RX_MULTICAST] -= 1;
  c[row + Col.RX_ERRORS] += 1;
  c[row + Col.RX_DROPPED] += 1;
}
