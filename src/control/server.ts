// The control socket: one JSON request per connection, one JSON answer, then close. Whatever a client sends
// (garbage, a huge request, nothing at all, a half-closed stream) costs it an error answer or a closed connection,
// never the daemon: requests are bounded in size and time, and the number of clients at once is capped.
//
// DOC: the socket is root's, and nothing about its path is taken on trust. Its directory must belong to the daemon's
// user (root) and be writable by nobody else, or someone else could swap the socket for their own; the socket is
// bound under a umask of 077 (0177: sockets are made 0777 & ~umask), so it is 0600 from its first instant (a chmod
// after bind leaves a window, and chmod follows symlinks); only a socket is ever unlinked at the path (a regular
// file, a symlink, anything else there is refused, never deleted); and every accepted peer's uid is read with
// SO_PEERCRED: anyone but uid 0 (who could only get past the file modes with a capability such as
// CAP_DAC_OVERRIDE) gets one refusal and nothing else.

import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { lstatSync, mkdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { codeOf, type ErrorCode } from '../errors/catalog.js';
import { CNI_REQUEST_PREFIX, requestLimit } from './cni-request.js';

export const MAX_REQUEST_BYTES = 64 * 1024;
export const REQUEST_TIMEOUT_MS = 5000;
export const MAX_CLIENTS = 32;
/** the only uid served */
const ROOT_UID = 0;
const OTHERS_WRITE = 0o022;

export type Answer = { ok: true; [k: string]: unknown } | { ok: false; error: string; code: ErrorCode };
export type Handler = (req: Record<string, unknown>) => Promise<Answer> | Answer;
/** The uid of the peer on an accepted socket's fd (SO_PEERCRED, src/io/peer-cred.ts); throws when unreadable. */
export type PeerUid = (fd: number) => number;

const pathError = (message: string): Error => Object.assign(new Error(message), { code: 'UMV_ERR_CONTROL_PATH' satisfies ErrorCode });

/** Why `dir` must not hold the control socket, or null: it must be `owner`'s and writable by nobody else. */
export function controlDirRefusal(dir: string, st: Pick<Stats, 'uid' | 'mode' | 'isDirectory'>, owner: number): string | null {
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== owner) return `its directory ${dir} belongs to uid ${st.uid}, not ${owner}`;
  if ((st.mode & OTHERS_WRITE) !== 0) return `its directory ${dir} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  return null;
}

/** lstat, or null when nothing is there. */
function lstatOrNull(path: string): Stats | null {
  try { return lstatSync(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export class ControlServer {
  private server: Server | null = null;
  private clients = 0;
  private readonly sockets = new Set<Socket>();

  /** `owner`: the uid the socket's directory must belong to, the daemon's own (root). */
  constructor(readonly path: string, private readonly handle: Handler, private readonly peerUid: PeerUid,
    private readonly owner = process.geteuid?.() ?? ROOT_UID) {}

  /**
   * Listens; a stale socket (no daemon answers on it) is replaced, a live one is refused (UMV_ERR_RUNNING), an
   * unsafe directory or a file that is not a socket refused (UMV_ERR_CONTROL_PATH).
   */
  async listen(): Promise<void> {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const why = controlDirRefusal(dir, statSync(dir), this.owner);
    if (why !== null) throw pathError(`refused: ${why}`);
    const there = lstatOrNull(this.path);
    if (there !== null) {
      if (!there.isSocket()) throw pathError(`refused: ${this.path} is there and is not a socket (left as it is)`);
      const pid = await probeLive(this.path);
      if (pid !== null) {
        throw Object.assign(new Error(`a live daemon (pid ${pid}) already serves ${this.path}`), { code: 'UMV_ERR_RUNNING' satisfies ErrorCode });
      }
      // between the probe and here only a process as privileged as the directory's owner could swap it
      if (lstatOrNull(this.path)?.isSocket()) unlinkSync(this.path);
    }
    // allowHalfOpen: a client that half-closes after its request still gets an answer that takes time (a CNI ADD
    // runs an IPAM plugin); every path ends the socket itself (finish, refuse, the timeout)
    const server = createServer({ allowHalfOpen: true }, (s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind() happens inside listen(), synchronously: the umask covers exactly that call. A socket is made
      // 0777 & ~umask, so 077 alone leaves the owner's execute bit: 0177 gives 0600.
      const umask = process.umask(0o177);
      try {
        server.listen(this.path, () => { server.off('error', reject); resolve(); });
      } finally {
        process.umask(umask);
      }
    });
    server.on('error', () => { /* accept errors (EMFILE) must not end the daemon */ });
    this.server = server;
  }

  /** Answers `a` at once and closes, without reading a request; the socket is bounded in time and kept for close(). */
  private refuse(s: Socket, a: Answer): void {
    // A socket nobody reads never sees the client's FIN and stays open for ever (an fd leak, and close() would
    // wait for it): read and discard, bound it in time, and let close() destroy it.
    s.on('error', () => {});
    s.resume();
    // Timers on control connections bound a silent client; they discover nothing the kernel announces.
    s.setTimeout(REQUEST_TIMEOUT_MS, () => s.destroy());
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.end(JSON.stringify(a) + '\n');
  }

  /** Why the peer is not served (not uid 0, or its uid unreadable), or null. */
  private peerRefusal(s: Socket): string | null {
    const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return 'its uid cannot be read (no fd)';
    let uid: number;
    try { uid = this.peerUid(fd); } catch (e) { return `its uid cannot be read (${(e as Error).message})`; }
    return uid === ROOT_UID ? null : `peer uid ${uid}`;
  }

  private accept(s: Socket): void {
    const peer = this.peerRefusal(s);
    if (peer !== null) {
      this.refuse(s, { ok: false, error: `permission denied (the control socket is root's): ${peer}`, code: 'UMV_ERR_PEER' });
      return;
    }
    if (this.clients >= MAX_CLIENTS) {
      this.refuse(s, { ok: false, error: 'too many clients at once; try again', code: 'UMV_ERR_BUSY' });
      return;
    }
    this.clients++;
    this.sockets.add(s);
    let buf = '';
    let done = false;
    // a request line handed to the handler: the end of the stream must not hand it again
    let dispatched = false;
    // decided on the request's first bytes (cni-request.ts): a CNI call may be larger than any other request
    let limit = MAX_REQUEST_BYTES;
    let decided = false;
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
      // the request is in: what the handler takes (a CNI ADD runs an IPAM plugin) is not the client's delay
      s.setTimeout(0);
      dispatched = true;
      let req: unknown;
      try { req = JSON.parse(line); } catch {
        finish({ ok: false, error: 'malformed request: not JSON', code: 'UMV_ERR_REQUEST' });
        return;
      }
      if (typeof req !== 'object' || req === null || Array.isArray(req) || typeof (req as { cmd?: unknown }).cmd !== 'string') {
        finish({ ok: false, error: 'malformed request: expected {"cmd": ...}', code: 'UMV_ERR_REQUEST' });
        return;
      }
      if (limit > MAX_REQUEST_BYTES && (req as { cmd: string }).cmd !== 'cni') {
        finish({ ok: false, error: 'malformed request: read as a CNI request, it is not one', code: 'UMV_ERR_REQUEST' });
        return;
      }
      Promise.resolve()
        .then(() => this.handle(req as Record<string, unknown>))
        .then(finish, (e: Error) => finish({ ok: false, error: e.message, code: codeOf(e) ?? 'UMV_ERR_RUNTIME' }));
    };
    s.on('data', (chunk: string) => {
      if (done || dispatched) return;
      buf += chunk;
      if (!decided && (buf.length >= CNI_REQUEST_PREFIX.length || buf.includes('\n'))) { decided = true; limit = requestLimit(buf, MAX_REQUEST_BYTES); }
      const nl = buf.indexOf('\n');
      // a whole request may arrive in one chunk: the limit holds for it as for one that trickles in
      if (nl >= 0 && nl <= limit) { onLine(buf.slice(0, nl)); return; }
      if (buf.length > limit) finish({ ok: false, error: `request larger than ${limit} bytes`, code: 'UMV_ERR_REQUEST' });
    });
    // A client that half-closes without a newline still gets an answer for what it sent.
    s.on('end', () => { if (!done && !dispatched) { if (buf.length > 0 && buf.length <= limit) onLine(buf); else finish({ ok: false, error: 'empty request', code: 'UMV_ERR_REQUEST' }); } });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    try { if (lstatOrNull(this.path)?.isSocket()) unlinkSync(this.path); } catch { /* already gone */ }
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
