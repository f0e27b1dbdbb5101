// Counted UDP traffic for the daemon's system tests: a paced UDP sender and a counting UDP receiver (small Node
// programs run with `node -e` inside a namespace).
//
//   const rx = await startReceiver(sb, c2, '198.18.0.12', 9000);
//   const r = await sendFlow(sb, c1, { dst: '198.18.0.12', port: 9000, flow: 1, phase: 1, count: 500, rate: 1000 });
//   const counts = await rx.snapshot();   // counts.get('1/1') → { got, dup }
//
// Every datagram carries magic "UMVF", a flow id, a phase id and a sequence number, so a test counts only its own
// frames, per phase, and sees duplicates. Senders are bounded in count and rate; receivers in time.

import type { ChildProcess } from 'node:child_process';
import type { Sandbox } from '../../support/sandbox.js';

/** The programs, run as `node -e FLOW_JS send|recv ...` (CommonJS, no files to build). */
const FLOW_JS = String.raw`
const dgram = require('node:dgram');
const [mode, addr, portText, ...rest] = process.argv.slice(1);
const port = Number(portText);
const MAGIC = 0x554d5646; // "UMVF"
if (mode === 'recv') {
  const seconds = Number(rest[0] || 120);
  const seen = new Map();   // "flow/phase" -> { bits: Uint8Array, got, dup }
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  s.on('message', (m) => {
    if (m.length < 12 || m.readUInt32BE(0) !== MAGIC) return;
    const key = m.readUInt16BE(4) + '/' + m.readUInt16BE(6);
    const seq = m.readUInt32BE(8);
    let e = seen.get(key);
    if (!e) { e = { bits: new Uint8Array(1024), got: 0, dup: 0 }; seen.set(key, e); }
    if ((seq >> 3) >= e.bits.length) { const b = new Uint8Array(Math.max(e.bits.length * 2, (seq >> 3) + 1)); b.set(e.bits); e.bits = b; }
    const bit = 1 << (seq & 7);
    if (e.bits[seq >> 3] & bit) e.dup++; else { e.bits[seq >> 3] |= bit; e.got++; }
  });
  const report = () => {
    const o = {};
    for (const [k, e] of seen) o[k] = { got: e.got, dup: e.dup };
    process.stdout.write('counts ' + JSON.stringify(o) + '\n');
  };
  process.on('SIGUSR2', report);
  const end = () => { report(); s.close(); process.exit(0); };
  process.on('SIGTERM', end);
  setTimeout(end, seconds * 1000);
  s.bind(port, addr, () => process.stdout.write('listening\n'));
} else if (mode === 'send') {
  const [flow, phase, count, rate, size] = rest.map(Number);
  const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 1 << 20 });
  let queued = 0, sent = 0, errors = 0, done = false;
  // Credit pacing: never more than 10 ms worth at once, so a stalled sender slows down instead of bursting.
  const burst = Math.max(1, rate / 100);
  let credit = 1, last = Date.now();
  const t0 = last;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    const wait = () => { if (sent + errors < queued) { setTimeout(wait, 5); return; }
      process.stdout.write('sent ' + JSON.stringify({ sent, errors, ms: Date.now() - t0 }) + '\n'); s.close(); };
    wait();
  };
  const tick = () => {
    const now = Date.now();
    credit = Math.min(burst, credit + (now - last) * rate / 1000);
    last = now;
    while (credit >= 1 && queued < count) {
      credit -= 1;
      const b = Buffer.alloc(Math.max(size || 64, 12));
      b.writeUInt32BE(MAGIC, 0); b.writeUInt16BE(flow, 4); b.writeUInt16BE(phase, 6); b.writeUInt32BE(queued, 8);
      queued++;
      s.send(b, port, addr, (err) => { if (err) errors++; else sent++; });
    }
    if (queued >= count) finish();
  };
  const timer = setInterval(tick, 5);
  process.on('SIGTERM', finish);
  tick();
} else {
  process.stderr.write('usage: recv ADDR PORT [SECONDS] | send ADDR PORT FLOW PHASE COUNT RATE [SIZE]\n');
  process.exit(2);
}
`;

export interface Count { got: number; dup: number }
export type Counts = Map<string, Count>;

/** got for flow/phase (0 when nothing of it arrived) */
export function got(c: Counts, flow: number, phase: number): number {
  return c.get(`${flow}/${phase}`)?.got ?? 0;
}
/** duplicates over every flow and phase */
export function dups(c: Counts): number {
  let d = 0;
  for (const v of c.values()) d += v.dup;
  return d;
}

/** Lines of a process's stdout, as they come. */
function lines(p: ChildProcess): { next(prefix: string, timeoutMs: number): Promise<string> } {
  let buf = '';
  const waiting: Array<{ prefix: string; resolve: (l: string) => void }> = [];
  const queued: string[] = [];
  p.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.findIndex((x) => line.startsWith(x.prefix));
      if (w >= 0) waiting.splice(w, 1)[0].resolve(line); else queued.push(line);
    }
  });
  return {
    next(prefix, timeoutMs) {
      const q = queued.findIndex((l) => l.startsWith(prefix));
      if (q >= 0) return Promise.resolve(queued.splice(q, 1)[0]);
      return new Promise((resolve, reject) => {
        const entry = { prefix, resolve: (l: string) => { clearTimeout(t); resolve(l); } };
        const t = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`no "${prefix}" line from pid ${p.pid} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.push(entry);
      });
    },
  };
}

function parseCounts(line: string): Counts {
  const o = JSON.parse(line.slice('counts '.length)) as Record<string, Count>;
  return new Map(Object.entries(o));
}

export interface Receiver {
  readonly proc: ChildProcess;
  /** Counts so far (asks the receiver with SIGUSR2). */
  snapshot(): Promise<Counts>;
  /** Final counts; the receiver exits. */
  stop(): Promise<Counts>;
}

/** A counting UDP receiver bound to addr:port in ns; resolves once it listens. Ends by itself after `seconds`. */
export async function startReceiver(sb: Sandbox, ns: string, addr: string, port: number, seconds = 150): Promise<Receiver> {
  const proc = sb.spawn(ns, [process.execPath, '-e', FLOW_JS, 'recv', addr, String(port), String(seconds)]);
  const l = lines(proc);
  await l.next('listening', 10_000);
  return {
    proc,
    async snapshot() {
      const p = l.next('counts ', 5000);
      process.kill(proc.pid!, 'SIGUSR2');
      return parseCounts(await p);
    },
    async stop() {
      const p = l.next('counts ', 5000);
      process.kill(proc.pid!, 'SIGTERM');
      return parseCounts(await p);
    },
  };
}

export interface FlowSpec {
  dst: string;
  port: number;
  flow: number;
  phase: number;
  count: number;
  /** datagrams per second */
  rate: number;
  /** UDP payload bytes (default 64) */
  size?: number;
}

export interface SendResult { sent: number; errors: number; ms: number }

export interface Stream {
  readonly proc: ChildProcess;
  /** Resolves when every datagram was handed to the kernel (or the stream was stopped). */
  readonly done: Promise<SendResult>;
  /** Stops early (SIGTERM); resolves with what was sent. */
  stop(): Promise<SendResult>;
}

/** Starts a paced sender in ns; it ends by itself after spec.count datagrams. */
export function startStream(sb: Sandbox, ns: string, f: FlowSpec): Stream {
  const proc = sb.spawn(ns, [process.execPath, '-e', FLOW_JS, 'send', f.dst, String(f.port), String(f.flow), String(f.phase),
    String(f.count), String(f.rate), String(f.size ?? 64)]);
  const l = lines(proc);
  const limitMs = (f.count / f.rate) * 2000 + 30_000;  // a loaded machine slows the pacing down, never up
  const done = l.next('sent ', limitMs).then((line) => JSON.parse(line.slice('sent '.length)) as SendResult);
  done.catch(() => { /* surfaced by whoever awaits it */ });
  return {
    proc, done,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGTERM');
      return done;
    },
  };
}

/** Sends one bounded, paced flow and waits for the sender to finish. */
export function sendFlow(sb: Sandbox, ns: string, f: FlowSpec): Promise<SendResult> {
  return startStream(sb, ns, f).done;
}
