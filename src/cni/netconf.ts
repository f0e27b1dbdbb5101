// netconf.ts — a network config (CNI stdin) read and checked as the reference macvlan plugin reads it, plus
// umacvlan's own keys (source mode's macaddr and nodst, control). The steps run in the reference's order: the JSON
// and the network name (skel: 6, 7), the version against the command (1), then the plugin's keys (7, 2).
//
// Keys match case-insensitively and unknown keys are ignored (go-json.ts); a known key of the wrong type is CniError 7
// (the reference answers 6 for name and cniVersion and its internal-error code for the others). The MAC is taken from
// the config, then CNI_ARGS, then runtimeConfig.mac, each overriding the one before (ADD and CHECK: DEL reads no MAC,
// as the reference's DEL reads none). Whether the MTU fits the master is checkMtu's, once the master is known.

import { parseMode } from '../values/macs-modes.js';
import { controlPathProblem, ifNameProblem } from '../values/names.js';
import { BCQUEUELEN_MAX } from '../values/numbers.js';
import { Mode, MODE_NAMES } from '../core/constants.js';
import { MTU_MIN } from '../core/rules.js';
import { flagProblem } from '../values/child-flags.js';
import { CNI_CODE, CniError } from './cni-error.js';
import { CNI_NAME_RE, goQuote, missingEnv, parseCniArgs, type CniEnv } from './cni-env.js';
import { GoFields, isObject, jsonType, type JsonObject } from './go-json.js';
import { parseCniMac } from './mac.js';
import { decodeDns, parseResult, type Dns, type Result } from './result.js';
import { requireVersion } from './versions.js';

export type CniMode = 'bridge' | 'private' | 'vepa' | 'passthru' | 'source';

export interface NetConf {
  cniVersion: string;
  name: string;
  /** null: the default-route interface (the daemon resolves it) */
  master: string | null;
  mode: CniMode;
  /** 0 = the master's */
  mtu: number;
  /** after the precedence config < CNI_ARGS < runtimeConfig.mac; always null for DEL, GC and STATUS */
  mac: number | null;
  /** source mode only */
  macaddr: number[];
  nodst: boolean;
  /** null: the kernel's default (the reference sends none for 0 either) */
  bcqueuelen: number | null;
  /** null: L2 only ("ipam" absent, null or {}); else an object with a non-empty string "type" */
  ipam: Record<string, unknown> | null;
  /** the IPAM plugin's name (ipam.type, however its key is cased); null with ipam */
  ipamType: string | null;
  /** a daemon's control socket path */
  control: string | null;
  /** CHECK and DEL (CHECK requires one); null otherwise, and for a DEL whose prevResult does not parse */
  prevResult: Result | null;
  /** GC: cni.dev/valid-attachments (required for GC); null for the other commands */
  validAttachments: Array<{ containerId: string; ifname: string }> | null;
  /** the config's own "dns", which the reference reports in ADD's result */
  dns: Dns;
  /** the parsed stdin, unchanged (the IPAM plugin's stdin) */
  raw: Record<string, unknown>;
}

const S32_MAX = 0x7fff_ffff;

function decode(stdin: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CNI_CODE.DECODE_FAILED, `error unmarshall network config: ${(e as Error).message}`);
  }
  if (v === null) return {};
  if (!isObject(v)) {
    throw new CniError(CNI_CODE.DECODE_FAILED, `error unmarshall network config: a network config is an object, not ${jsonType(v) === 'array' ? 'an array' : `a ${jsonType(v)}`}`);
  }
  return v;
}

function parseModeKey(f: GoFields): CniMode {
  const text = f.string('mode') ?? '';
  if (text === '') return 'bridge';
  const bit = parseMode(text);
  if (typeof bit !== 'number') throw new CniError(CNI_CODE.INVALID_CONFIG, `unknown macvlan mode: ${goQuote(text)}`);
  return MODE_NAMES[bit] as CniMode;
}

function parseIpam(f: GoFields): { ipam: Record<string, unknown>; type: string } | null {
  const ipam = f.raw('ipam');
  if (ipam === undefined || Object.keys(ipam).length === 0) return null;
  const type = f.object('ipam')!.string('type');
  if (type === undefined || type === '') {
    throw new CniError(CNI_CODE.INVALID_CONFIG, 'ipam: no "type" (name the IPAM plugin, or write "ipam": {} for L2 only)');
  }
  if (type.includes('/') || type === '.' || type === '..') throw f.fail('ipam.type', `${goQuote(type)} is not a plugin name`);
  return { ipam, type };
}

function parseMac(text: string | undefined, where: string): number | null {
  return text === undefined || text === '' ? null : parseCniMac(text, where, CNI_CODE.INVALID_CONFIG);
}

export function parseNetConf(stdin: string, env: CniEnv): NetConf {
  const raw = decode(stdin);
  const f = new GoFields(raw, '', CNI_CODE.INVALID_CONFIG);
  const name = f.string('name') ?? '';
  if (name === '') throw new CniError(CNI_CODE.INVALID_CONFIG, 'missing network name');
  if (!CNI_NAME_RE.test(name)) throw new CniError(CNI_CODE.INVALID_CONFIG, 'invalid characters found in network name', name);
  const cniVersion = f.string('cniVersion') ?? '';
  requireVersion(env.command, cniVersion);
  const { command } = env;

  f.string('type');
  f.object('capabilities');
  const linkInContainer = f.bool('linkInContainer') ?? false;
  if (linkInContainer && command !== 'DEL') {
    throw new CniError(CNI_CODE.UNSUPPORTED_FIELD, 'linkInContainer: true is not supported',
      'umacvlan attaches to a master in the host namespace its daemon runs in');
  }
  const masterText = f.string('master') ?? '';
  if (masterText !== '') {
    const p = ifNameProblem(masterText);
    if (p) throw f.fail('master', p.detail);
  }
  const mode = parseModeKey(f);
  const mtu = f.int('mtu', -S32_MAX - 1, S32_MAX) ?? 0;
  const bcq = f.int('bcqueuelen', 0, BCQUEUELEN_MAX) ?? 0;
  const ipam = parseIpam(f);
  if (ipam !== null && env.path === '' && command !== 'VERSION') throw missingEnv(['CNI_PATH']);
  const dns = decodeDns(f.object('dns')) ?? {};
  const controlText = f.string('control') ?? '';
  if (controlText !== '') {
    const p = controlPathProblem(controlText);
    if (p) throw f.fail('control', p.detail);
  }

  const macaddrText = f.strings('macaddr') ?? [];
  const macaddr: number[] = [];
  for (const m of macaddrText) {
    const mac = parseCniMac(m, 'macaddr', CNI_CODE.INVALID_CONFIG);
    if (!macaddr.includes(mac)) macaddr.push(mac);
  }
  if (macaddrText.length > 0 && mode !== 'source') {
    throw new CniError(CNI_CODE.INVALID_CONFIG, `macaddr is for ${MODE_NAMES[Mode.SOURCE]} mode only, not ${mode}`);
  }
  const nodst = f.bool('nodst') ?? false;
  const bit = parseMode(mode);
  const nodstProblem = nodst && typeof bit === 'number' ? flagProblem('nodst', bit) : null;
  if (nodstProblem) throw f.fail('nodst', nodstProblem.detail);

  const configMac = f.string('mac');
  const runtimeMac = f.object('runtimeConfig')?.string('mac');
  let mac: number | null = null;
  if (command === 'ADD' || command === 'CHECK') {
    mac = parseMac(configMac, 'mac');
    const fromArgs = parseCniArgs(env.args).mac;
    if (fromArgs !== null) mac = fromArgs;
    mac = parseMac(runtimeMac, 'runtimeConfig.mac') ?? mac;
  }

  const prevRaw = f.raw('prevResult');
  let prevResult: Result | null = null;
  if (command === 'CHECK') {
    if (prevRaw === undefined) throw new CniError(CNI_CODE.INVALID_CONFIG, 'required prevResult missing');
    prevResult = parseResult(prevRaw, cniVersion);
  } else if (command === 'DEL' && prevRaw !== undefined) {
    try {
      prevResult = parseResult(prevRaw, cniVersion);
    } catch {
      prevResult = null; // DEL is best effort: a prevResult it cannot read does not stop it
    }
  }

  let validAttachments: NetConf['validAttachments'] = null;
  const attachments = f.objects('cni.dev/valid-attachments');
  if (command === 'GC') {
    if (attachments === undefined) throw new CniError(CNI_CODE.INVALID_CONFIG, 'GC needs "cni.dev/valid-attachments"');
    validAttachments = attachments.map((a) => ({ containerId: a.string('containerID') ?? '', ifname: a.string('ifname') ?? '' }));
  }

  return {
    cniVersion, name, master: masterText === '' ? null : masterText, mode, mtu, mac, macaddr, nodst,
    bcqueuelen: bcq === 0 ? null : bcq, ipam: ipam?.ipam ?? null, ipamType: ipam?.type ?? null, control: controlText === '' ? null : controlText, prevResult,
    validAttachments, dns, raw,
  };
}

/**
 * The reference's MTU rule: 0 (the master's) up to the master's MTU, CniError 7 in its words; and the kernel's floor
 * for a device (core/rules.ts), which the reference leaves to the kernel's EINVAL.
 */
export function checkMtu(conf: NetConf, masterMtu: number): void {
  if (conf.mtu < 0 || conf.mtu > masterMtu) {
    throw new CniError(CNI_CODE.INVALID_CONFIG, `invalid MTU ${conf.mtu}, must be [0, master MTU(${masterMtu})]`);
  }
  if (conf.mtu !== 0 && conf.mtu < MTU_MIN) {
    throw new CniError(CNI_CODE.INVALID_CONFIG, `invalid MTU ${conf.mtu}: a device's MTU is at least ${MTU_MIN} (0 takes the master's)`);
  }
}
