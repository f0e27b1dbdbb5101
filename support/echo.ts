// The UDP echo (support/echo-cli.ts) started inside a sandbox namespace: the project's own ping, since a fresh
// machine has none.
import type { ChildProcess } from 'node:child_process';
import { ECHO_CLI } from './paths.js';
import type { Sandbox } from './sandbox.js';

export interface PingResult { ok: boolean; received: number; rttUs: number[] }

/** `count` UDP echo probes from ns to addr:port; ok when every probe came back within timeoutMs. */
export function udpPing(sb: Sandbox, ns: string, addr: string, count = 3, timeoutMs = 3000, port = 7): PingResult {
  try {
    const out = sb.run(ns, [process.execPath, ECHO_CLI, 'ping', addr, String(port), String(count), String(timeoutMs)]);
    const r = JSON.parse(out) as { received: number; rttUs: number[] };
    return { ok: r.received >= count, received: r.received, rttUs: r.rttUs };
  } catch (e) {
    // echo-cli exits 1 when a probe was lost, with its JSON line on stdout (quoted in the error)
    const m = /\{.*\}/.exec((e as Error).message);
    const r = m ? (JSON.parse(m[0]) as { received: number; rttUs: number[] }) : { received: 0, rttUs: [] };
    return { ok: false, received: r.received, rttUs: r.rttUs };
  }
}

/** Starts a UDP echo server on addr:port in ns; it stops by itself after `seconds`, or with sb.cleanup(). */
export function udpEchoServer(sb: Sandbox, ns: string, addr: string, seconds = 60, port = 7): ChildProcess {
  return sb.spawn(ns, [process.execPath, ECHO_CLI, 'serve', addr, String(port), String(seconds)]);
}
