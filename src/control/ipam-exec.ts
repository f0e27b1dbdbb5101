// ipam-exec.ts — running the IPAM plugin as the reference plugin does (its ipam.ExecAdd/ExecDel/ExecCheck): the
// executable named by ipam.type, found in the first CNI_PATH directory that has it, run with the daemon's
// environment plus the request's CNI_* variables (CNI_COMMAND set to the delegated command) and the network
// configuration on stdin. Its stdout is the result or the CNI error it printed; an error is passed on with its code.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { CniCall } from './cni-request.js';

/** an IPAM plugin answers in far less; one that hangs must not hold the request for ever */
export const IPAM_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1024 * 1024;

export interface IpamRun { file: string; env: Record<string, string>; stdin: string }
export interface IpamOutcome { status: number; stdout: string }
/** Runs one IPAM call (the Linux one spawns; tests hand in a recorder) */
export type IpamRunner = (run: IpamRun) => Promise<IpamOutcome>;

/** Why `type` cannot name a plugin (it would escape CNI_PATH), or null. */
export function pluginNameProblem(type: string): string | null {
  if (type === '' || type === '.' || type === '..' || type.includes('/') || type.includes('\0')) return `invalid plugin name ${JSON.stringify(type)}`;
  return null;
}

/** The candidate files for `type`, in CNI_PATH's order (empty directories skipped, as the reference's FindInPath). */
export function pluginCandidates(type: string, cniPath: string): string[] {
  return cniPath.split(':').filter((d) => d !== '').map((d) => join(d, type));
}

/** The environment of the delegated call: the daemon's, the request's CNI_* variables, CNI_COMMAND replaced. */
export function ipamEnv(base: Readonly<Record<string, string | undefined>>, call: CniCall, command: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  for (const [k, v] of Object.entries(call.env)) if (v !== undefined) env[k] = v;
  env.CNI_COMMAND = command;
  return env;
}

/** The first executable candidate, or null. */
export function findPlugin(type: string, cniPath: string, executable = isExecutable): string | null {
  return pluginCandidates(type, cniPath).find((f) => executable(f)) ?? null;
}

function isExecutable(f: string): boolean {
  try { accessSync(f, constants.X_OK); return true; } catch { return false; }
}

/** The Linux runner: spawn, stdin in, stdout collected (bounded), killed after IPAM_TIMEOUT_MS. */
export const spawnIpam: IpamRunner = (run) => new Promise((resolve) => {
  const child = spawn(run.file, [], { env: run.env, stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), IPAM_TIMEOUT_MS);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => { if (out.length < MAX_OUTPUT) out += c; });
  child.stdin.on('error', () => { /* the plugin exited without reading */ });
  child.on('error', (e) => { clearTimeout(timer); resolve({ status: 127, stdout: JSON.stringify({ code: 999, msg: `cannot run ${run.file}: ${e.message}` }) }); });
  child.on('close', (code) => { clearTimeout(timer); resolve({ status: code ?? 1, stdout: out }); });
  child.stdin.end(run.stdin);
});
