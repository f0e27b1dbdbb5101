// An in-memory EngineApi: the datapath's loop runs against it in unit tests, without root, devices or the addon.
// Frames are injected per port and come out of poll() laid out as the real engine lays them out
// ([virtio_net_hdr 10][frame] in region 0 for the parent, region 1 for TAPs); send() records copies and can be told
// to fail per port. Unlike the real engine it does not drop runts on intake: a test can hand any frame to the
// datapath. Truncated frames are counted and never delivered, as the real engine does; so are the per-port read
// and write errors portStats() reports (failPort, failReads, truncated frames), from zero at each attach.

import { PortIo, type EngineApi, type EngineStats, type RxBatch, type TxList } from '../../src/io/contract.js';
import { IfaceError } from '../../src/io/errors.js';

export const VNET_LEN = 10;
const EINVAL = 22, ENXIO = 6, EBADF = 9, EFAULT = 14, EBUSY = 16, ENOENT = 2;
const ETH_HLEN = 14;

export interface InjectOptions {
  /** the 10-byte virtio-net header to put before the frame (default: all zero, no offload) */
  vnet?: Uint8Array;
  /** the kernel had to cut this frame: counted in rxErrors and as a read error of its port, never delivered */
  truncated?: boolean;
  /** with truncated, on the parent: cut because it was larger than a ring slot (counted as ringTooBig) */
  tooBig?: boolean;
}

export interface SentFrame {
  port: number;
  /** the Ethernet frame as sent (a copy) */
  frame: Uint8Array;
  /** the virtio-net header that preceded it (a copy) */
  vnet: Uint8Array;
}

export type Membership = { kind: 'unicast' | 'multicast' | 'promisc' | 'allmulti'; add: boolean; mac?: number };

export class MemoryEngine implements EngineApi {
  readonly regions: readonly Uint8Array[];
  readonly parentIfindex: number;
  /** everything send() delivered, in order */
  readonly sent: SentFrame[] = [];
  /** attached TAPs: port → fd */
  readonly taps = new Map<number, number>();
  readonly memberships: Membership[] = [];
  private readonly queue: Array<{ port: number; frame: Uint8Array; vnet: Uint8Array }> = [];
  private readonly failures = new Map<number, number>();
  private readonly fill = [0, 0];  // write offsets in regions 0 and 1 for the current batch
  private readonly io = new Map<number, { readErrors: number; writeErrors: number; readErrno: number; writeErrno: number }>();
  private rxErrors = 0;
  private rxTruncated = 0;
  private ringTruncated = 0;
  private ringTooBig = 0;
  private ringDrops = 0;
  private closed = false;

  /** regionBytes: size of each region; frames of one batch must fit in it (default 4 MiB). */
  constructor(opts: { regionBytes?: number; parentIfindex?: number } = {}) {
    const size = opts.regionBytes ?? 4 << 20;
    this.regions = [new Uint8Array(size), new Uint8Array(size), new Uint8Array(size)];
    this.parentIfindex = opts.parentIfindex ?? 2;
    this.io.set(0, { readErrors: 0, writeErrors: 0, readErrno: 0, writeErrno: 0 });
  }

  /** Queues a frame as if it arrived on `port` (0 = the parent's wire). Any length, runts included. */
  inject(port: number, frame: Uint8Array, opts: InjectOptions = {}): void {
    if (opts.truncated) {
      const io = this.io.get(port);
      if (io === undefined) return;  // nobody reads an unattached TAP
      this.rxErrors++; this.rxTruncated++; io.readErrors++;
      if (port === 0 && opts.tooBig === true) this.ringTooBig++;
      else if (port === 0) this.ringTruncated++;
      return;
    }
    const vnet = opts.vnet ?? new Uint8Array(VNET_LEN);
    if (vnet.length !== VNET_LEN) throw new RangeError('a virtio-net header is 10 bytes');
    this.queue.push({ port, frame: frame.slice(), vnet: vnet.slice() });
  }

  /** From now on send() to `port` fails with -errno (e.g. 5 EIO: TAP down; 105 ENOBUFS); 0 clears it. */
  failPort(port: number, errno: number): void {
    if (errno === 0) this.failures.delete(port); else this.failures.set(port, errno);
  }

  /** The TAP's reads fail for good with `errno` (77 EBADFD: deleted from outside): its frames are no longer read,
   *  and portError() reports it, as the real engine does. */
  failReads(port: number, errno: number): void {
    const io = this.io.get(port);
    if (port === 0 || io === undefined) throw new RangeError('failReads: an attached TAP port');
    io.readErrno = errno; io.readErrors++; this.rxErrors++;
  }

  /** Counts frames as lost on the ring (what tp_drops reports). */
  dropOnRing(n: number): void { this.ringDrops += n; }

  /** Frames still waiting for poll() */
  get pending(): number { return this.queue.length; }

  /** Sent frames to one port, in order. */
  sentTo(port: number): SentFrame[] { return this.sent.filter((s) => s.port === port); }

  poll(rx: RxBatch, _timeoutMs: number): number {
    if (this.closed) throw new IfaceError('memory', 'poll', EBADF);
    this.fill[0] = 0; this.fill[1] = 0;  // the previous batch is given back: its memory is reused
    let n = 0;
    while (n < rx.port.length && this.queue.length > 0) {
      const q = this.queue[0];
      const reading = q.port === 0 || (this.taps.has(q.port) && this.io.get(q.port)!.readErrno === 0);
      if (!reading) { this.queue.shift(); continue; }  // not read: nobody attached, or its reads failed
      const r = q.port === 0 ? 0 : 1;
      const mem = this.regions[r];
      const off = this.fill[r];
      const need = VNET_LEN + q.frame.length;
      if (off + need > mem.length) {
        if (n === 0) throw new RangeError(`frame of ${q.frame.length} bytes does not fit a region`);
        break;  // the rest waits for the next batch
      }
      this.queue.shift();
      mem.set(q.vnet, off);
      mem.set(q.frame, off + VNET_LEN);
      rx.port[n] = q.port; rx.region[n] = r; rx.at[n] = off + VNET_LEN; rx.len[n] = q.frame.length;
      this.fill[r] = (off + need + 15) & ~15;
      n++;
    }
    rx.count = n;
    return n;
  }

  send(tx: TxList): number {
    if (this.closed) throw new IfaceError('memory', 'send', EBADF);
    let ok = 0;
    for (let j = 0; j < tx.count; j++) {
      const port = tx.port[j], at = tx.at[j], len = tx.len[j];
      const mem = this.regions[tx.region[j]];
      let res: number;
      if (mem === undefined || at < VNET_LEN || at + len > mem.length) res = -EFAULT;
      else if (this.failures.has(port)) res = -(this.failures.get(port) as number);
      else if (port !== 0 && !this.taps.has(port)) res = -ENXIO;
      else if (len < ETH_HLEN) res = -EINVAL;  // what AF_PACKET and a TAP answer to a runt
      else {
        this.sent.push({ port, frame: mem.slice(at, at + len), vnet: mem.slice(at - VNET_LEN, at) });
        res = len;
      }
      tx.result[j] = res;
      if (res >= 0) ok++;
      const io = this.io.get(port);
      if (res < 0 && res !== -EFAULT && res !== -ENXIO && io !== undefined) { io.writeErrors++; io.writeErrno = -res; }
    }
    return ok;
  }

  attachTap(port: number, fd: number): void {
    if (this.taps.has(port)) throw new IfaceError(`port ${port}`, 'attach', EBUSY);
    this.taps.set(port, fd);
    this.io.set(port, { readErrors: 0, writeErrors: 0, readErrno: 0, writeErrno: 0 });
  }

  detachTap(port: number): void {
    if (!this.taps.delete(port)) throw new IfaceError(`port ${port}`, 'detach', ENOENT);
    this.io.delete(port);
  }

  membership(kind: Membership['kind'], add: boolean, mac?: number): void {
    this.memberships.push(mac === undefined ? { kind, add } : { kind, add, mac });
  }

  stats(): EngineStats {
    return {
      ringDrops: this.ringDrops, rxErrors: this.rxErrors, rxTruncated: this.rxTruncated, poolEmpty: 0, skipped: 0,
      ringTruncated: this.ringTruncated, ringTooBig: this.ringTooBig,
    };
  }

  portError(port: number): number {
    const io = this.io.get(port);
    return io === undefined ? ENOENT : io.readErrno;
  }

  portStats(port: number, out: Float64Array, at: number): boolean {
    const io = this.io.get(port);
    if (io === undefined) return false;
    out[at + PortIo.READ_ERRORS] = io.readErrors;
    out[at + PortIo.WRITE_ERRORS] = io.writeErrors;
    out[at + PortIo.READ_ERRNO] = io.readErrno;
    out[at + PortIo.WRITE_ERRNO] = io.writeErrno;
    return true;
  }

  close(): void {
    this.closed = true;  // idempotent, as the real engine's
  }
}
