// The engine's own statistics for the control thread. The engine lives in the worker; the control thread asks for
// them (a 'stats' message) and the worker copies them into a shared block between two batches. So nothing is read
// or copied per batch, and the syscall behind them (the ring's drops) is made only when someone looks.
//
// Block layout (Float64): the EngineStats fields in ENGINE_FIELDS order, then per port (0 = parent, i = child slot)
// ATTACHED (1 when the engine reads that port) and the PortIo numbers.

import { PortIo, type EngineApi, type EngineStats } from '../io/contract.js';

const ENGINE_FIELDS: ReadonlyArray<keyof EngineStats> = ['ringDrops', 'rxErrors', 'rxTruncated', 'poolEmpty', 'skipped', 'ringTruncated',
  'ringTooBig'];
const ATTACHED = 0;
const PORT_FIELDS = 1 + PortIo.LENGTH;

/** One port's I/O errors; errnos positive, 0 = none */
export interface PortIoStats {
  readErrors: number;
  writeErrors: number;
  /** the error that stopped reads on this port for good (parent: its socket's last error) */
  readErrno: number;
  /** the last write error */
  writeErrno: number;
}

export interface EngineSnapshot {
  engine: EngineStats;
  /** the ports the engine reads, by port index (0 = parent) */
  ports: Map<number, PortIoStats>;
}

/** Bytes of a block for `ports` ports (maxChildren + 1) */
export const engineStatsBytes = (ports: number): number => (ENGINE_FIELDS.length + ports * PORT_FIELDS) * 8;

const portsOf = (block: Float64Array): number => (block.length - ENGINE_FIELDS.length) / PORT_FIELDS;

/** Worker side: copies the engine's statistics into the block. */
export function collectEngineStats(engine: EngineApi, block: Float64Array): void {
  const s = engine.stats();
  for (let i = 0; i < ENGINE_FIELDS.length; i++) block[i] = s[ENGINE_FIELDS[i]];
  const n = portsOf(block);
  for (let p = 0; p < n; p++) {
    const at = ENGINE_FIELDS.length + p * PORT_FIELDS;
    block[at + ATTACHED] = engine.portStats(p, block, at + 1) ? 1 : 0;
  }
}

/** Control side: the block as objects. */
export function readEngineStats(block: Float64Array): EngineSnapshot {
  const engine = {} as EngineStats;
  ENGINE_FIELDS.forEach((k, i) => { engine[k] = block[i]; });
  const ports = new Map<number, PortIoStats>();
  const n = portsOf(block);
  for (let p = 0; p < n; p++) {
    const at = ENGINE_FIELDS.length + p * PORT_FIELDS;
    if (block[at + ATTACHED] !== 1) continue;
    const v = (k: number): number => block[at + 1 + k];
    ports.set(p, {
      readErrors: v(PortIo.READ_ERRORS), writeErrors: v(PortIo.WRITE_ERRORS),
      readErrno: v(PortIo.READ_ERRNO), writeErrno: v(PortIo.WRITE_ERRNO),
    });
  }
  return { engine, ports };
}
