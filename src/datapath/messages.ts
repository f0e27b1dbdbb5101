// Messages between the control thread and the datapath worker. Rare events only: frames never cross threads.

import type { MessagePort } from 'node:worker_threads';
import type { PortTableSnapshot } from '../core/port-table.js';

/** A port-table change, replayed on the worker's replica between two batches (same method, same arguments). */
export interface TableOp { op: 'table'; method: string; args: unknown[] }
export interface FieldOp { op: 'field'; field: 'parentUp' | 'parentCarrier' | 'parentPromisc' | 'bcCutoff'; value: boolean | number }
export interface AttachOp { op: 'attach'; port: number; fd: number }
export interface DetachOp { op: 'detach'; port: number }
export interface MembershipOp { op: 'membership'; kind: 'unicast' | 'multicast' | 'promisc' | 'allmulti'; add: boolean; mac?: number }
/** Start (a capture ring's buffer, see capture/ring.ts) or stop (null) handing frames to a capture */
export interface CaptureOp { op: 'capture'; sab: SharedArrayBuffer | null }
/** Copy the engine's statistics into this block (datapath/engine-stats.ts layout) */
export interface StatsOp { op: 'stats'; sab: SharedArrayBuffer }
export type ToWorker = TableOp | FieldOp | AttachOp | DetachOp | MembershipOp | CaptureOp | StatsOp;

export type FromWorker =
  | { type: 'ready'; ifindex: number }
  | { type: 'error'; message: string; code?: string }
  | { type: 'stopped' };

export interface WorkerInit {
  parent: string;
  batch: number;
  busyPollUs: number;
  table: PortTableSnapshot;
  /** per-port counters, written by the worker, read by control (core/counters.ts layout) */
  counters: SharedArrayBuffer;
  /** [0] = generation of posted messages, [1] = stop request, [2] = generation the worker has applied */
  control: SharedArrayBuffer;
  port: MessagePort;
}

export const CTL = { POSTED: 0, STOP: 1, APPLIED: 2 } as const;
