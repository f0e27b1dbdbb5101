// Messages between the control thread and the datapath worker. Rare events only: frames never cross threads.

import type { MessagePort } from 'node:worker_threads';
import type { PortTable, PortTableSnapshot } from '../core/port-table.js';
import type { MembershipChange } from '../core/memberships.js';
import type { LearnEvent } from './nat-forward.js';

/**
 * PortTable's public methods that change it: those that return nothing. Derived from the class, so a mutator added
 * or renamed there is one here too, and the worker's replica can replay exactly what the control side called.
 */
export type TableMutator = {
  [K in keyof PortTable]: PortTable[K] extends (...args: never[]) => infer R ? ([R] extends [void] ? K : never) : never
}[keyof PortTable];

/** Each mutator's arguments, as a tuple */
export type MutatorArgs = { [K in TableMutator]: Parameters<PortTable[K]> };

/** A port-table change for one mutator: the same call, replayed on the worker's replica between two batches. */
export interface TableOpOf<K extends TableMutator> { op: 'table'; method: K; args: MutatorArgs[K] }
/**
 * Any port-table change. A method and its arguments are tied where a change is made (PortState.mutate is generic
 * over the method) and where it is applied (applyTableOp); TypeScript cannot carry a generic method into a union
 * with one member per method, so the message type itself is the general case.
 */
export type TableOp = TableOpOf<TableMutator>;

/** What replaying needs of a table: every mutator, callable with its own arguments (a PortTable is one). */
export type TableReplica = { [K in TableMutator]: (...args: MutatorArgs[K]) => void };

/** Applies a table change: the control side to its table, the worker to its replica, through this one function. */
export function applyTableOp<K extends TableMutator>(t: TableReplica, m: TableOpOf<K>): void {
  t[m.method](...m.args);
}

export interface AttachOp { op: 'attach'; port: number; fd: number }
export interface DetachOp { op: 'detach'; port: number }
export type MembershipOp = { op: 'membership' } & MembershipChange;
/** Start (a capture ring's buffer, see capture/ring.ts) or stop (null) handing frames to a capture */
export interface CaptureOp { op: 'capture'; sab: SharedArrayBuffer | null }
/** Copy the engine's statistics into this block (datapath/engine-stats.ts layout) */
export interface StatsOp { op: 'stats'; sab: SharedArrayBuffer }
export type ToWorker = TableOp | AttachOp | DetachOp | MembershipOp | CaptureOp | StatsOp;

export type FromWorker =
  | { type: 'ready'; ifindex: number }
  | { type: 'error'; message: string; code?: string }
  | { type: 'stopped' }
  | LearnEvent;

export interface WorkerInit {
  parent: string;
  batch: number;
  busyPollUs: number;
  /** userspace GRO toward the children (gro.ts) */
  gro: boolean;
  table: PortTableSnapshot;
  /** per-port counters, written by the worker, read by control (core/counters.ts layout) */
  counters: SharedArrayBuffer;
  /** [0] = generation of posted messages, [1] = stop request, [2] = generation the worker has applied */
  control: SharedArrayBuffer;
  port: MessagePort;
}

export const CTL = { POSTED: 0, STOP: 1, APPLIED: 2 } as const;
