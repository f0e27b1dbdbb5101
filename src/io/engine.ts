// The datapath's Engine over the native one: typed, errors as IfaceError, no allocation in poll() or send().

import { PortIo, type EngineApi, type EngineOptions, type EngineStats, type RxBatch, type TxList } from './contract.js';
import { loadAddon, type NativeEngine } from './native.js';
import { IfaceError } from './errors.js';
import { withNetns } from './netns.js';

/** Which memory a frame lives in (RxBatch.region / TxList.region). */
export const Region = {
  /** the parent's TPACKET_V2 rx ring */
  RING: 0,
  /** the TAP read pool */
  TAP_POOL: 1,
  /** frames JavaScript builds itself (tests, software-built replies); each needs 10 bytes of vnet header before it */
  SCRATCH: 2,
} as const;

/** PACKET_MR_* (linux/if_packet.h) */
const MR = { multicast: 0, promisc: 1, allmulti: 2, unicast: 3 } as const;

/** Bytes per ring frame and pool slot: a 64 KiB GSO frame, its headers and the ring's own header fit. */
export const DEFAULT_FRAME_SIZE = 65536 + 4096;

export interface OpenEngineOptions extends EngineOptions {
  /** the parent's namespace: a name (/run/netns/NAME) or a path; default the calling thread's */
  netns?: string;
  /** bytes per ring frame and per TAP pool slot; must hold a 64 KiB GSO frame + headers (default 69632) */
  frameSize?: number;
  /** TAP pool slots shared by all TAPs, a power of two >= 2 × batch (default 256) */
  tapBuffers?: number;
  /** size of the scratch region (default 1 MiB) */
  scratchBytes?: number;
  /** adaptive waiting: poll() keeps looking (spinning, yielding the CPU each turn) until this long after the last
   *  frame before it sleeps; 0 = sleep at once. Ignored while busyPollUs (a fixed spin) is set. Default ADAPTIVE_SPIN_US */
  spinUs?: number;
  /** a sender's frames for the parent in one send() (by the transmit list's sender) that carry at least this many
   *  bytes go to the engine's sender thread (so do that sender's frames while the thread still has some of its
   *  earlier ones); -1: no sender thread, every send inline. Default SEND_THREAD_BYTES */
  sendThreadBytes?: number;
}

/** From how many bytes of one sender for the parent in one send() the engine's sender thread sends them: GSO frames, whose
 *  segmentation and receiving stack cost more than the hand-over; small frames go inline (no wake-up of another
 *  thread). bench/results/profile.md ("Sender thread") has the measurements. */
export const SEND_THREAD_BYTES = 16384;

/** How long after a frame the engine stays awake for the next one by default: the reply to a frame it just forwarded
 *  (a ping's echo, an ACK) usually comes back well inside this, and an idle engine sleeps after it.
 *  bench/results/profile.md ("Wake-up path") has the measurements behind the number. */
export const ADAPTIVE_SPIN_US = 250;

export type { EngineStats } from './contract.js';

export class Engine implements EngineApi {
  readonly regions: readonly Uint8Array[];
  readonly parentIfindex: number;
  readonly parent: string;
  private readonly native: NativeEngine;
  private rxBound: RxBatch | null = null;
  private txBound: TxList | null = null;
  private readonly statBuf = new Float64Array(7);
  private readonly portBuf = new Float64Array(PortIo.LENGTH);
  private closed = false;

  constructor(opts: OpenEngineOptions) {
    if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new IfaceError(opts.parent, 'engine options', 22);
    const addon = loadAddon();
    const n = new addon.Engine();
    const rc = withNetns(opts.netns, (nsfd) => n.open(
      opts.parent, nsfd, opts.batch, opts.ringFrames ?? 256, opts.frameSize ?? DEFAULT_FRAME_SIZE,
      opts.tapBuffers ?? Math.max(256, nextPow2(2 * opts.batch)), opts.scratchBytes ?? 1 << 20, opts.busyPollUs ?? 0,
      opts.spinUs ?? ADAPTIVE_SPIN_US, opts.sendThreadBytes ?? SEND_THREAD_BYTES));
    if (rc < 0) throw new IfaceError(opts.parent, n.failedOp(), -rc);
    this.native = n;
    this.parent = opts.parent;
    this.parentIfindex = n.ifindex();
    const regions: Uint8Array[] = [];
    for (const r of [Region.RING, Region.TAP_POOL, Region.SCRATCH]) {
      const ab = n.memory(r);
      if (typeof ab === 'number') throw new IfaceError(opts.parent, 'memory', -ab);
      regions.push(new Uint8Array(ab));
    }
    this.regions = regions;
  }

  poll(rx: RxBatch, timeoutMs: number): number {
    if (rx !== this.rxBound) {
      const cap = this.native.bindRx(rx.port, rx.region, rx.at, rx.len);
      if (cap < 0) throw new IfaceError(this.parent, 'bind rx', -cap);
      this.rxBound = rx;
    }
    const n = this.native.poll(rx.port.length, timeoutMs);
    if (n < 0) throw new IfaceError(this.parent, 'poll', -n);
    rx.count = n;
    return n;
  }

  send(tx: TxList): number {
    if (tx !== this.txBound) {
      const l = tx.late;
      const cap = tx.sender !== undefined && l !== undefined
        ? this.native.bindTx(tx.port, tx.region, tx.at, tx.len, tx.result, tx.sender, l.sender, l.len, l.err, l.count)
        : this.native.bindTx(tx.port, tx.region, tx.at, tx.len, tx.result);
      if (cap < 0) throw new IfaceError(this.parent, 'bind tx', -cap);
      const g = tx.gather;
      if (g !== undefined) {
        const pieces = this.native.bindGather(g.count, g.first, g.region, g.at, g.len);
        if (pieces < 0) throw new IfaceError(this.parent, 'bind gather', -pieces);
      }
      this.txBound = tx;
    }
    const n = this.native.send(tx.count);
    if (n < 0) throw new IfaceError(this.parent, 'send', -n);
    return n;
  }

  attachTap(port: number, fd: number): void {
    const rc = this.native.attachTap(port, fd);
    if (rc < 0) throw new IfaceError(`port ${port}`, 'attach', -rc);
  }

  detachTap(port: number): void {
    const rc = this.native.detachTap(port);
    if (rc < 0) throw new IfaceError(`port ${port}`, 'detach', -rc);
  }

  /** 0, or the positive errno that stopped reading this TAP (EBADFD: it was deleted from outside).
   *  Port 0: the parent's last socket error (ENETDOWN after it went down or away), 0 once frames flow again. */
  portError(port: number): number {
    const rc = this.native.portError(port);
    return rc < 0 ? -rc : 0;
  }

  portStats(port: number, out: Float64Array, at: number): boolean {
    const b = this.portBuf;
    if (this.native.portStats(port, b) < 0) return false;
    out[at + PortIo.READ_ERRORS] = b[0];
    out[at + PortIo.WRITE_ERRORS] = b[1];
    out[at + PortIo.READ_ERRNO] = Math.abs(b[2]);  // -errno → errno, and no -0
    out[at + PortIo.WRITE_ERRNO] = Math.abs(b[3]);
    return true;
  }

  membership(kind: 'unicast' | 'multicast' | 'promisc' | 'allmulti', add: boolean, mac?: number): void {
    if ((kind === 'unicast' || kind === 'multicast') && mac === undefined) {
      throw new IfaceError(this.parent, `membership ${kind}`, 22);
    }
    const rc = this.native.membership(MR[kind], add, mac ?? 0);
    if (rc < 0) throw new IfaceError(this.parent, add ? 'PACKET_ADD_MEMBERSHIP' : 'PACKET_DROP_MEMBERSHIP', -rc);
  }

  stats(): EngineStats {
    this.native.stats(this.statBuf);
    const s = this.statBuf;
    return { ringDrops: s[0], rxErrors: s[1], rxTruncated: s[2], poolEmpty: s[3], skipped: s[4], ringTruncated: s[5],
      ringTooBig: s[6] };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The datapath's entry point: an Engine on `parent` (IfaceError ENODEV naming it when there is none). */
export function openEngine(opts: OpenEngineOptions): Engine {
  return new Engine(opts);
}
