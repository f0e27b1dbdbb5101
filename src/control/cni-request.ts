// cni-request.ts — the control socket's one large request: a CNI call the shim (native/cni-shim.c) hands over,
// `{"cmd":"cni","env":{CNI_COMMAND,...},"stdin":"<the network configuration>"}`.
//
// DOC: the size rule. Every request is read under a limit enforced while it arrives. A request whose first bytes
// are exactly CNI_REQUEST_PREFIX is allowed MAX_CNI_REQUEST_BYTES (a runtime may hand a plugin a configuration of up
// to 1 MiB); every other keeps MAX_REQUEST_BYTES. The prefix is a claim, not trusted: once parsed, a request read
// under the CNI allowance must be a CNI request (a later duplicate "cmd" key, which JSON.parse lets win, is refused),
// so the larger allowance buys nothing but a CNI call, which is checked field by field here.

export const CNI_REQUEST_PREFIX = '{"cmd":"cni",';
/** 1 MiB of configuration and its escaping overhead in a typical config, plus the environment */
export const MAX_CNI_REQUEST_BYTES = 1024 * 1024 + 64 * 1024;
/** the CNI_* variables the daemon reads; anything else in `env` is refused */
export const CNI_ENV_KEYS = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'] as const;
const MAX_ENV_VALUE = 4096;

export interface CniCall {
  env: Partial<Record<(typeof CNI_ENV_KEYS)[number], string>>;
  stdin: string;
}

/** The size limit for a request whose first bytes (as many as have arrived) are `head`. */
export function requestLimit(head: string, normal: number): number {
  return head.startsWith(CNI_REQUEST_PREFIX) ? Math.max(normal, MAX_CNI_REQUEST_BYTES) : normal;
}

/** The CNI call in a parsed request, or why it is not one. */
export function cniCallOf(req: Record<string, unknown>): CniCall | string {
  if (req.cmd !== 'cni') return 'a request read under the CNI allowance must be {"cmd":"cni",...}';
  const { env, stdin } = req;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return 'malformed CNI request: env is not an object';
  if (typeof stdin !== 'string') return 'malformed CNI request: stdin is not a string';
  const out: CniCall['env'] = {};
  for (const [k, v] of Object.entries(env)) {
    if (!(CNI_ENV_KEYS as readonly string[]).includes(k)) return `malformed CNI request: unknown variable ${JSON.stringify(k.slice(0, 40))}`;
    if (typeof v !== 'string' || v.length > MAX_ENV_VALUE) return `malformed CNI request: ${k} is not a string of at most ${MAX_ENV_VALUE} characters`;
    out[k as (typeof CNI_ENV_KEYS)[number]] = v;
  }
  return { env: out, stdin };
}
