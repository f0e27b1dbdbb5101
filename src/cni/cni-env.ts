// cni-env.ts — the CNI_ environment of one plugin call, checked as the specification and the reference's skel do.
//
// Which variables a command needs is the specification's list (ADD/CHECK: container ID, namespace, interface; DEL:
// no namespace; GC: CNI_PATH; STATUS and VERSION: only CNI_COMMAND). The reference's skel also insists on CNI_PATH
// for ADD, CHECK, DEL and STATUS; umacvlan needs it only where an IPAM plugin is run (parseNetConf asks for it then).
// A missing or invalid variable is CniError 4 naming it, in skel's words.

import { ifNameProblem } from '../values/names.js';
import { CNI_CODE, CniError } from './cni-error.js';
import { parseCniMac } from './mac.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';
export const CNI_COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'];

export interface CniEnv {
  command: CniCommand;
  /** CNI_CONTAINERID ('' where the command does not need it and it is not set) */
  containerId: string;
  /** CNI_NETNS: the namespace's path ('' for DEL without one, and for the commands that take none) */
  netns: string;
  /** CNI_IFNAME */
  ifname: string;
  /** CNI_ARGS as given ('' when unset) */
  args: string;
  /** CNI_PATH as given: directories separated by ':' */
  path: string;
}

type Var = 'CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME' | 'CNI_PATH';

/** The variables each command needs (besides CNI_COMMAND), in the order skel lists them. */
export const REQUIRED_ENV: Readonly<Record<CniCommand, readonly Var[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: ['CNI_PATH'],
  STATUS: [],
  VERSION: [],
};

const ORDER: readonly Var[] = ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'];

/** A container ID or network name as the specification allows: an alphanumeric, then alphanumerics, _ . - */
export const CNI_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const missingEnv = (names: readonly string[]): CniError =>
  new CniError(CNI_CODE.INVALID_ENV, `required env variables [${names.join(',')}] missing`);

export function parseCniEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const get = (k: string): string => env[k] ?? '';
  const cmd = get('CNI_COMMAND');
  const command = CNI_COMMANDS.find((c) => c === cmd);
  const needed = command === undefined ? [] : REQUIRED_ENV[command];
  const missing = [...(cmd === '' ? ['CNI_COMMAND'] : []), ...ORDER.filter((v) => needed.includes(v) && get(v) === '')];
  if (missing.length > 0) throw missingEnv(missing);
  if (command === undefined) throw new CniError(CNI_CODE.INVALID_ENV, `unknown CNI_COMMAND: ${cmd}`);
  const out: CniEnv = {
    command, containerId: get('CNI_CONTAINERID'), netns: get('CNI_NETNS'), ifname: get('CNI_IFNAME'),
    args: get('CNI_ARGS'), path: get('CNI_PATH'),
  };
  if (needed.includes('CNI_CONTAINERID') && !CNI_NAME_RE.test(out.containerId)) {
    throw new CniError(CNI_CODE.INVALID_ENV, 'invalid characters in containerID', `CNI_CONTAINERID ${JSON.stringify(out.containerId)}`);
  }
  if (needed.includes('CNI_IFNAME')) {
    const p = ifNameProblem(out.ifname);
    if (p) throw new CniError(CNI_CODE.INVALID_ENV, `invalid CNI_IFNAME: ${p.detail}`);
  }
  return out;
}

/** What CNI_ARGS says to this plugin: the MAC (MAC=…) and whether unknown keys are allowed (IgnoreUnknown=…). */
export interface CniArgs {
  /** the MAC given; null when none (or an empty one) was */
  mac: number | null;
  ignoreUnknown: boolean;
}

/**
 * CNI_ARGS, `K=V;K=V`, read as the reference's types.LoadArgs reads it into its MacEnvArgs: the keys are the Go field
 * names and match exactly (`MAC`, `IgnoreUnknown`); each pair has exactly one "="; IgnoreUnknown is 1/0/true/false in
 * any case; an unknown key is an error unless IgnoreUnknown is true, wherever it stands. CniError 4 (the reference
 * answers these with its internal-error code; the variable is the culprit, which is what 4 says). A MAC that does
 * not parse is an error here even when runtimeConfig.mac would override it: the reference never parses it then.
 */
export function parseCniArgs(args: string): CniArgs {
  const out: CniArgs = { mac: null, ignoreUnknown: false };
  if (args === '') return out;
  const unknown: string[] = [];
  for (const pair of args.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2) throw new CniError(CNI_CODE.INVALID_ENV, `ARGS: invalid pair ${goQuote(pair)}`);
    const [key, value] = kv;
    if (key === 'MAC') {
      out.mac = value === '' ? null : parseCniMac(value, 'CNI_ARGS MAC', CNI_CODE.INVALID_ENV);
    } else if (key === 'IgnoreUnknown') {
      const v = value.toLowerCase();
      if (v !== '1' && v !== 'true' && v !== '0' && v !== 'false') {
        throw new CniError(CNI_CODE.INVALID_ENV,
          `ARGS: error parsing value of pair ${goQuote(pair)}: boolean unmarshal error: invalid input ${v}`);
      }
      out.ignoreUnknown = v === '1' || v === 'true';
    } else {
      unknown.push(pair);
    }
  }
  if (unknown.length > 0 && !out.ignoreUnknown) {
    throw new CniError(CNI_CODE.INVALID_ENV, `ARGS: unknown args [${unknown.map(goQuote).join(' ')}]`);
  }
  return out;
}

/** A string as Go's %q writes plain text (the reference's messages quote this way). */
export const goQuote = (s: string): string => JSON.stringify(s);
