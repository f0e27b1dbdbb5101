// Capture on a running daemon: `run --capture…` at start, `capture start|stop` over the control socket.
// The session (capture/session.ts) is made and its file opened before the worker sees the ring, so a bad filter or
// an unwritable path is an error for the request, never a half-started capture.

import { CaptureSession } from '../capture/session.js';
import { loadAddon } from '../io/native.js';
import type { BpfNative } from '../capture/filter.js';
import type { CaptureConfig } from './run-config.js';
import type { Daemon } from './daemon.js';
import type { Log } from './log.js';
import type { Answer } from './server.js';
import { codeOf } from '../errors/catalog.js';

export class CaptureControl {
  private session: CaptureSession | null = null;
  private readonly listener = {
    added: (slot: number, name: string): void => this.session?.portAdded(slot, name),
    removed: (slot: number, name: string): void => this.session?.portRemoved(slot, name),
  };

  constructor(private readonly d: Daemon, private readonly log: Log) {}

  async start(c: CaptureConfig): Promise<Answer> {
    if (this.session) return { ok: false, error: `a capture to ${this.session.settings.file} is running; stop it first`, code: 'UMV_ERR_CAPTURE_RUNNING' };
    if (c.port !== 'all' && c.port !== 'parent' && !this.d.children.has(c.port)) {
      return { ok: false, error: `--capture-port ${c.port}: no such child`, code: 'UMV_ERR_NO_CHILD' };
    }
    try {
      this.session = await CaptureSession.start(c, {
        parentName: this.d.cfg.parent,
        children: [...this.d.children.values()].filter((rt) => rt.state !== 'gone').map((rt) => ({ port: rt.slot, name: rt.name })),
        maxPorts: this.d.table.maxChildren + 1,
        native: () => loadAddon<BpfNative>(),
        onError: (e) => this.log.warn(`capture: ${e.message}`),
      });
    } catch (e) {
      return { ok: false, error: (e as Error).message, code: codeOf(e) ?? 'UMV_ERR_CAPTURE' };
    }
    this.d.portListeners.add(this.listener);
    await this.d.setCaptureRing(this.session.ring.sab);
    this.log.info(`capture: ${c.file === '-' ? 'standard output' : c.file} (${c.format}, port ${c.port}${c.filter ? `, filter "${c.filter}"` : ''})`);
    return { ok: true, message: `capturing to ${c.file}` };
  }

  async stop(): Promise<Answer> {
    const s = this.session;
    if (!s) return { ok: false, error: 'no capture is running', code: 'UMV_ERR_CAPTURE' };
    this.session = null;
    this.d.portListeners.delete(this.listener);
    await this.d.setCaptureRing(null);
    const st = await s.stop();
    this.log.info(`capture stopped: ${JSON.stringify(st)}`);
    return { ok: true, message: `capture stopped`, status: st };
  }

  /** For shutdown: stop if running, never throw */
  async close(): Promise<void> {
    if (this.session) { try { await this.stop(); } catch (e) { this.log.warn(`capture: ${(e as Error).message}`); } }
  }
}
