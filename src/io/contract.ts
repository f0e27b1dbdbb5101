// The contract between the datapath and native I/O. Implemented by src/io/*.ts over the addon (native/).
// Ports are the core's indices: 0 = the parent, i >= 1 = the child whose TAP was attached as port i.
// Every frame in memory is laid out as [virtio_net_hdr (10 bytes)][Ethernet frame]: `at` points at the Ethernet
// header, the vnet header is at at - 10 (wire/virtio-net.ts). 802.1Q tags the kernel moved to metadata are already
// put back into the frame (and the vnet header's csum_start/hdr_len adjusted).

/** A received batch. Filled in place by Engine.poll(); the arrays are allocated once, sized to the batch limit.
 *  Views into `region[...]` are valid until the next poll(). */
export interface RxBatch {
  count: number;
  /** ingress port of frame i */
  readonly port: Int16Array;
  /** which memory region frame i lives in (index into Engine.regions) */
  readonly region: Uint8Array;
  /** offset of frame i's Ethernet header in its region */
  readonly at: Uint32Array;
  /** frame length, Ethernet header included, FCS excluded, vnet header excluded */
  readonly len: Uint32Array;
}

/** A transmit list, filled by the datapath and sent with Engine.send(). Frame j is a view (region, at, len) of a
 *  received frame (no copy) and goes to port[j]. */
export interface TxList {
  count: number;
  readonly port: Int16Array;
  readonly region: Uint8Array;
  readonly at: Uint32Array;
  readonly len: Uint32Array;
  /** per-frame result written by send(): >= 0 sent (or, to the parent, handed to the engine's sender thread),
   *  < 0 = -errno (EIO: TAP down, ENOBUFS, EMSGSIZE, ...) */
  readonly result: Int32Array;
  /** the ingress port of frame j: handed back with frame j in `late` if its send to the parent fails after send()
   *  returned */
  readonly sender?: Int16Array;
  /** sends to the parent that failed after send() returned (the engine sends large ones from another thread):
   *  each poll() writes them here, as a failed result[j] would have said it */
  readonly late?: LateFailures;
  /** gather writes to TAPs: an entry j with gather.count[j] = n (1..GATHER_SKIP-1) is written as ONE frame made of
   *  pieces first[j]..first[j]+n-1, in order (the first starts with the vnet header), instead of (region, at, len);
   *  GATHER_SKIP: not written at all (result[j] is the caller's to fill); 0: as usual. Only for TAP ports. */
  readonly gather?: TxGather;
}

/** Entry value of TxGather.count: the entry is not written (its bytes went out as a piece of another entry). */
export const GATHER_SKIP = 0xffff;

/** Pieces of gather writes, bound with the transmit list. Each piece is raw memory: no vnet header is implied. */
export interface TxGather {
  /** per transmit-list entry */
  readonly count: Uint16Array;
  readonly first: Uint32Array;
  /** per piece */
  readonly region: Uint8Array;
  readonly at: Uint32Array;
  readonly len: Uint32Array;
}

/** Frames the engine's sender thread could not send; written by poll(), read before the next one. */
export interface LateFailures {
  /** count[0]: how many entries this poll() wrote */
  readonly count: Uint32Array;
  /** the frame's `sender` in the transmit list it was sent from */
  readonly sender: Int16Array;
  readonly len: Uint32Array;
  /** -errno */
  readonly err: Int32Array;
}

export interface EngineOptions {
  /** parent interface name, in the engine's network namespace */
  parent: string;
  /** frames per batch (>= 32) */
  batch: number;
  /** rx ring size in frames for the parent socket */
  ringFrames?: number;
  /** spin this many microseconds before sleeping in poll */
  busyPollUs?: number;
}

/** One per datapath worker. Owns the parent's AF_PACKET socket and the set of attached TAP fds. */
export interface EngineApi {
  /** memory regions the frames live in; Uint8Array views made once. The native engine (engine.ts, Region) has
   *  0 = the parent's rx ring, 1 = the TAP read pool, 2 = scratch for frames JS builds itself (leave 10 bytes of
   *  zeroed vnet header before each). Every region stays mapped as long as a view of it exists. */
  readonly regions: readonly Uint8Array[];
  readonly parentIfindex: number;
  /** Waits up to timeoutMs for the parent or any TAP to be readable, then reads up to batch frames into rx.
   *  Returns rx.count. Frames from the previous poll are released first. */
  poll(rx: RxBatch, timeoutMs: number): number;
  /** Sends every frame of the list; fills tx.result (and, at later polls, tx.late). Returns how many were sent. */
  send(tx: TxList): number;
  /** Starts reading the TAP `fd` as port `port` (the fd stays owned by the caller). */
  attachTap(port: number, fd: number): void;
  detachTap(port: number): void;
  /** PACKET_ADD/DROP_MEMBERSHIP on the parent socket: kind 'unicast' | 'multicast' (mac needed), 'promisc', 'allmulti' */
  membership(kind: 'unicast' | 'multicast' | 'promisc' | 'allmulti', add: boolean, mac?: number): void;
  /** What the I/O layer counted. Asks the kernel (a syscall): for the control side, on demand, never per batch. */
  stats(): EngineStats;
  /** 0, or the positive errno that stopped reads on this TAP for good (EBADFD: deleted from outside); port 0: the
   *  parent socket's last error (ENETDOWN: down or away), 0 again once frames arrive. */
  portError(port: number): number;
  /** One port's I/O errors into out[at..at+3] (PortIo order: readErrors, writeErrors, readErrno, writeErrno; errnos
   *  positive, 0 = none) → false, out untouched, when no TAP is attached as `port`. Port 0 is the parent: frames the
   *  ring held cut short, frames it refused to send. */
  portStats(port: number, out: Float64Array, at: number): boolean;
  close(): void;
}

/** The I/O layer's own counts, beside the datapath's per-port counters (core/counters.ts). */
export interface EngineStats {
  /** frames the kernel dropped because the parent's ring was full (tp_drops) */
  ringDrops: number;
  /** frames read that were not handed out: cut short, too short, a TAP read that failed */
  rxErrors: number;
  /** frames cut short, on the ring or in a TAP pool slot */
  rxTruncated: number;
  /** TAP reads that found no free pool slot (they wait for the next poll) */
  poolEmpty: number;
  /** frames on the ring that were our own or looped back, left out on purpose */
  skipped: number;
  /** frames cut short on the parent's ring for another reason than size (part of rxTruncated) */
  ringTruncated: number;
  /** frames on the parent's ring larger than a slot (BIG TCP GRO, say): cut by the kernel, never forwarded (part of
   *  rxTruncated, apart from ringTruncated) */
  ringTooBig: number;
}

/** Order of the numbers EngineApi.portStats writes */
export const PortIo = { READ_ERRORS: 0, WRITE_ERRORS: 1, READ_ERRNO: 2, WRITE_ERRNO: 3, LENGTH: 4 } as const;
