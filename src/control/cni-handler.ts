// cni-handler.ts — a CNI call the shim handed over (cni-request.ts), served by the daemon: the environment and the
// network configuration read by the CNI library (src/cni/), the command run (cni-commands.ts), and the answer the shim
// prints: {ok: true, exit, stdout}. Every failure is the specification's error JSON with exit 1, never a stack trace.

import { asCniError, CNI_CODE, CniError, cniErrorJson } from '../cni/cni-error.js';
import { parseCniEnv } from '../cni/cni-env.js';
import { parseNetConf } from '../cni/netconf.js';
import { CURRENT_VERSION, versionReply } from '../cni/versions.js';
import type { Answer } from './server.js';
import type { Daemon } from './daemon.js';
import { cniAdd, cniCheck, cniDel, cniGc, type CniContext } from './cni-commands.js';
import { cniCallOf } from './cni-request.js';

export type { CniContext } from './cni-commands.js';

/** The version an error is printed in: the config's when it can be read, else the newest. Pure. */
export function errorVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && v !== '' ? v : CURRENT_VERSION;
  } catch {
    return CURRENT_VERSION;
  }
}

export async function serveCni(d: Daemon, ctx: CniContext, req: Record<string, unknown>): Promise<Answer> {
  const call = cniCallOf(req);
  if (typeof call === 'string') return { ok: false, error: call, code: 'UMV_ERR_REQUEST' };
  try {
    const env = parseCniEnv(call.env);
    if (env.command === 'VERSION') return { ok: true, exit: 0, stdout: versionReply() + '\n' };
    const conf = parseNetConf(call.stdin, env);
    // a daemon serves its own parent: a config naming another master reached the wrong socket (control key)
    if (conf.master !== null && conf.master !== d.cfg.parent) {
      throw new CniError(CNI_CODE.INVALID_CONFIG, `master ${conf.master}: this daemon serves ${d.cfg.parent}`,
        `the control socket ${ctx.controlPath} is the daemon of ${d.cfg.parent}`);
    }
    let stdout = '';
    switch (env.command) {
      case 'ADD': stdout = await cniAdd(d, ctx, call, env, conf); break;
      case 'DEL': await cniDel(d, ctx, call, env, conf); break;
      case 'CHECK': await cniCheck(d, ctx, call, env, conf); break;
      case 'GC': await cniGc(d, ctx, call, conf); break;
      case 'STATUS': break;  // the daemon answers: it can serve ADD
    }
    return { ok: true, exit: 0, stdout };
  } catch (e) {
    const err = asCniError(e);
    if (!(e instanceof CniError)) d.log.warn(`CNI ${call.env.CNI_COMMAND ?? '?'}: ${err.message}`);
    return { ok: true, exit: 1, stdout: cniErrorJson(err, errorVersion(call.stdin)) + '\n' };
  }
}
