// cni-ipam.ts — the delegated IPAM calls of a CNI command: the plugin found (ipam-exec.ts), run, and its answer read
// as the reference reads it: a result for ADD, nothing for DEL/CHECK/GC; a failure passed on with the plugin's own
// code and message.

import { CNI_CODE, CniError } from '../cni/cni-error.js';
import { parseResult, type Result } from '../cni/result.js';
import type { NetConf } from '../cni/netconf.js';
import type { CniCall } from './cni-request.js';
import { findPlugin, ipamEnv, pluginNameProblem, type IpamRunner } from './ipam-exec.js';

export interface IpamContext { run: IpamRunner; baseEnv: Readonly<Record<string, string | undefined>> }

/** The plugin's error answer as a CniError (its code and words), or a generic one naming the plugin. Pure. */
export function ipamFailure(type: string, command: string, status: number, stdout: string): CniError {
  try {
    const e = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof e.code === 'number' && typeof e.msg === 'string') {
      return new CniError(e.code, e.msg, typeof e.details === 'string' ? e.details : undefined);
    }
  } catch { /* not JSON */ }
  return new CniError(CNI_CODE.INTERNAL, `IPAM plugin ${type} ${command} failed (exit ${status})`, stdout.slice(0, 512));
}

function ipamType(conf: NetConf): string {
  const type = String(conf.ipam?.type ?? '');
  const bad = pluginNameProblem(type);
  if (bad) throw new CniError(CNI_CODE.INVALID_CONFIG, `ipam: ${bad}`);
  return type;
}

/** Runs the conf's IPAM plugin for `command`; its stdout when it succeeded. */
export async function runIpam(ctx: IpamContext, call: CniCall, conf: NetConf, command: string): Promise<string> {
  const type = ipamType(conf);
  const file = findPlugin(type, call.env.CNI_PATH ?? '');
  if (!file) throw new CniError(CNI_CODE.INVALID_CONFIG, `failed to find plugin "${type}" in path [${(call.env.CNI_PATH ?? '').split(':').join(' ')}]`);
  const out = await ctx.run({ file, env: ipamEnv(ctx.baseEnv, call, command), stdin: call.stdin });
  if (out.status !== 0) throw ipamFailure(type, command, out.status, out.stdout);
  return out.stdout;
}

export async function ipamAdd(ctx: IpamContext, call: CniCall, conf: NetConf): Promise<Result> {
  const stdout = await runIpam(ctx, call, conf, 'ADD');
  return parseResult(stdout, conf.cniVersion);
}
