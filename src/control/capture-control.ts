// TEMPORARY: replaced when the capture writer lands.
import type { CaptureConfig } from './config-file.js';
import type { Daemon } from './daemon.js';
import type { Log } from './log.js';
import type { Answer } from './server.js';
export class CaptureControl {
  constructor(readonly d: Daemon, readonly log: Log) {}
  start(_c: CaptureConfig): Answer { return { ok: false, error: 'capture is not built yet', code: 'UMV_ERR_CAPTURE' }; }
  stop(): Answer { return { ok: true }; }
}
