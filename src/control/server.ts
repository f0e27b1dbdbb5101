// The control socket: one JSON request per connection, one JSON answer, then close. Whatever a client sends
// (garbage, a huge request, nothing at all, a half-closed stream) costs it an error answer or a closed connection,
// never the daemon: requests are bounded in size and time, and the number of clients at once is capped.

import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, unlinkSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { codeOf, type ErrorCode } from '../errors/catalog.js';

export const MAX_REQUEST_BYTES = 64 * 1024;
export const REQUEST_TIMEOUT_MS = 5000;
export const MAX_CLIENTS = 32;

export type Answer = { ok: true; [k: string]: unknown } | { ok: false; error: string; code: ErrorCode };
export type Handler = (req: Record<string, unknown>) => Promise<Answer> | Answer;

export class ControlServer {
  private server: Server | null = null;
  private clients = 0;
  private readonly sockets = new Set<Socket>();

  constructor(readonly path: string, private readonly handle: Handler) {}

  /** Listens; a stale socket file (no daemon answers on it) is replaced, a live one is refused. */
  async listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    if (existsSync(this.path)) {
      const pid = await probeLive(this.path);
      if (pid !== null) {
        throw Object.assign(new Error(`a live daemon (pid ${pid}) already serves ${this.path}`), { code: 'UMV_ERR_RUNNING' satisfies ErrorCode });
      }
      unlinkSync(this.path);
    }
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => { server.off('error', reject); resolve(); });
    });
    chmodSync(this.path, 0o600);
    server.on('error', () => { /* accept errors (EMFILE) must not end the daemon */ });
    this.server = server;
  }

  private accept(s: Socket): void {
    if (this.clients >= MAX_CLIENTS) {
      // A socket nobody reads never sees the client's FIN and stays open for ever (an fd leak, and close() would
      // wait for it): read and discard, bound it in time, and let close() destroy it.
      s.on('error', () => {});
      s.resume();
      s.setTimeout(REQUEST_TIMEOUT_MS, () => s.destroy());
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.end(JSON.stringify({ ok: false, error: 'too many clients at once; try again', code: 'UMV_ERR_BUSY' }) + '\n');
      return;
    }
    this.clients++;
    this.sockets.add(s);
    let buf = '';
    let done = false;
    const finish = (a: Answer): void => {
      if (done) return;
      done = true;
      s.end(JSON.stringify(a) + '\n');
    };
    s.setEncoding('utf8');
    s.setTimeout(REQUEST_TIMEOUT_MS, () => { finish({ ok: false, error: `request timed out: no complete request within ${REQUEST_TIMEOUT_MS} ms`, code: 'UMV_ERR_TIMEOUT' }); s.destroy(); });
    s.on('error', () => { /* a client that vanished */ });
    s.on('close', () => { this.clients--; this.sockets.delete(s); });
    const onLine = (line: string): void => {
      let req: unknown;
      try { req = JSON.parse(line); } catch {
        finish({ ok: false, error: 'malformed request: not JSON', code: 'UMV_ERR_REQUEST' });
        return;
      }
      if (typeof req !== 'object' || req === null || Array.isArray(req) || typeof (req as { cmd?: unknown }).cmd !== 'string') {
        finish({ ok: false, error: 'malformed request: expected {"cmd": ...}', code: 'UMV_ERR_REQUEST' });
        return;
      }
      Promise.resolve()
        .then(() => this.handle(req as Record<string, unknown>))
        .then(finish, (e: Error) => finish({ ok: false, error: e.message, code: codeOf(e) ?? 'UMV_ERR_RUNTIME' }));
    };
    s.on('data', (chunk: string) => {
      if (done) return;
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) { onLine(buf.slice(0, nl)); return; }
      if (buf.length > MAX_REQUEST_BYTES) finish({ ok: false, error: `request larger than ${MAX_REQUEST_BYTES} bytes`, code: 'UMV_ERR_REQUEST' });
    });
    // A client that half-closes without a newline still gets an answer for what it sent.
    s.on('end', () => { if (!done) { if (buf.length > 0 && buf.length <= MAX_REQUEST_BYTES) onLine(buf); else finish({ ok: false, error: 'empty request', code: 'UMV_ERR_REQUEST' }); } });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }
}

/** Sends one request and returns the answer; throws with a code when nobody answers. */
export function request(path: string, req: Record<string, unknown>, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    s.setEncoding('utf8');
    s.setTimeout(timeoutMs, () => { s.destroy(); reject(Object.assign(new Error(`${path}: no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })); });
    s.on('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (c: string) => { buf += c; });
    s.on('error', (e) => reject(e));
    s.on('end', () => {
      try { resolve(JSON.parse(buf) as Answer); } catch { reject(Object.assign(new Error(`${path}: malformed answer`), { code: 'UMV_ERR_ANSWER' satisfies ErrorCode })); }
    });
  });
}

/** The pid of the daemon answering on `path`, or null when nobody does (a stale socket). */
export async function probeLive(path: string): Promise<number | null> {
  try {
    const a = await request(path, { cmd: 'ping' }, 2000);
    return a.ok ? Number((a as { pid?: unknown }).pid ?? 0) : 0;
  } catch {
    return null;
  }
}
