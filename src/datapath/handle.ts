// The control thread's handle on the datapath worker: start it, replay table changes into it, stop it.

import { Worker, MessageChannel } from 'node:worker_threads';
import type { PortTable } from '../core/port-table.js';
import { CTL, type ToWorker, type FromWorker, type WorkerInit } from './messages.js';
import { engineStatsBytes } from './engine-stats.js';
import { untilApplied, wakeApplied } from './applied-wait.js';
import type { LearnEvent } from './nat-forward.js';

export interface DatapathOptions {
  parent: string;
  batch: number;
  busyPollUs: number;
  /** userspace GRO toward the children (datapath/gro.ts); absent: on */
  gro?: boolean;
  counters: SharedArrayBuffer;
  onError: (message: string) => void;
  /** the worker ended without being asked to (a crash): the daemon cannot forward any more */
  onExit: () => void;
  /** --mac-nat: what the worker saw a child's addresses do (nat-forward.ts); the control side decides */
  onLearn?: (e: LearnEvent) => void;
}

/** What the control side needs of a datapath: the worker below, or a fake that records what it is sent. */
export interface DatapathSink {
  /** resolves with the parent's ifindex once the worker has opened it */
  readonly ready: Promise<number>;
  /** Posts a change; the worker applies it before its next batch. */
  post(m: ToWorker): void;
  /** Resolves once the worker has applied everything posted so far, or has exited (it never will then). */
  settled(): Promise<void>;
  /** The engine's statistics for this many ports, in datapath/engine-stats.ts's layout */
  engineStats(ports: number): Promise<Float64Array>;
  stop(): Promise<void>;
}

export class Datapath implements DatapathSink {
  private readonly worker: Worker;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(12));
  private readonly channel = new MessageChannel();
  private readonly stopped: Promise<void>;
  private statsBlock: Float64Array | null = null;
  private exited = false;
  readonly ready: Promise<number>;

  constructor(table: PortTable, o: DatapathOptions) {
    const init: WorkerInit = {
      parent: o.parent, batch: o.batch, busyPollUs: o.busyPollUs, gro: o.gro ?? true, table: table.snapshot(),
      counters: o.counters, control: this.ctl.buffer as SharedArrayBuffer, port: this.channel.port2,
    };
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: init, transferList: [this.channel.port2],
    });
    let resolveReady!: (ifindex: number) => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
    let isReady = false;
    this.stopped = new Promise((res) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') { isReady = true; resolveReady(m.ifindex); }
        else if (m.type === 'error') {
          if (!isReady) rejectReady(Object.assign(new Error(m.message), { code: m.code }));
          else o.onError(m.message);
        } else if (m.type === 'learn') o.onLearn?.(m);
      });
      this.worker.on('error', (e) => { if (!isReady) rejectReady(e); else o.onError(e.message); });
      this.worker.on('exit', () => {
        this.exited = true;
        wakeApplied(this.ctl);
        if (!isReady) rejectReady(new Error('datapath worker exited before it was ready'));
        else if (Atomics.load(this.ctl, CTL.STOP) === 0) o.onExit();
        res();
      });
    });
  }

  /** Posts a change; the worker applies it before its next batch. */
  post(m: ToWorker): void {
    this.channel.port1.postMessage(m);
    Atomics.add(this.ctl, CTL.POSTED, 1);
  }

  /** Resolves once the worker has applied everything posted so far (between two batches), or has exited. */
  settled(): Promise<void> {
    return untilApplied(this.ctl, Atomics.load(this.ctl, CTL.POSTED), () => this.exited);
  }

  /** The engine's statistics (engine-stats.ts layout), copied by the worker between two batches. `ports` sizes the
   *  block the first time; later calls reuse it. */
  async engineStats(ports: number): Promise<Float64Array> {
    this.statsBlock ??= new Float64Array(new SharedArrayBuffer(engineStatsBytes(ports)));
    this.post({ op: 'stats', sab: this.statsBlock.buffer as SharedArrayBuffer });
    await this.settled();
    return this.statsBlock;
  }

  async stop(): Promise<void> {
    Atomics.store(this.ctl, CTL.STOP, 1);
    await this.stopped;
  }
}
