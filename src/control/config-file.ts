// config-file.ts — what `umacvlan run` is told to do, from `--config FILE` (JSON) and from flags, merged.
//
// DOC: one model, two sources. Flags (args.ts) and the JSON file (here) each produce a RunDraft: only what that
// source said explicitly, each value remembering how to name it in an error (`--parent eth1`, `config parent`).
// buildRunConfig() merges the two — a value given by both must be equal (a flag never silently overrides the file),
// children are concatenated (file first) and must not share a name — then applies defaults and the whole-config
// rules the kernel would enforce child by child: one name per child, one MAC per child, passthru alone.
//
// The JSON text is read by our own small parser rather than JSON.parse: JSON.parse (V8, Node 20) reports errors
// without a position and with the offending source (newlines included) inside the message, and it silently keeps
// the last of two equal keys — a second "parent" would override the first without a word. umacvlan.schema.json at
// the repository root describes the same keys; test/unit/control/config-schema.test.ts keeps the two in step.

import { closeSync, openSync, readSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { Flag, Mode, MODE_NAMES } from '../core/constants.js';
import { formatMac } from '../wire/ethernet.js';
import {
  childNameProblem, ifNameProblem, mtuProblem, parseDecimal, parseMode, parseUnicastMac,
  type ChildConfig,
} from './child-spec.js';
import { clip, isProblem, problem, quote, UsageError, type Problem, type UsageCode } from './usage-error.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';
export type CaptureFormat = 'pcapng' | 'pcap';

export interface CaptureRotate {
  /** at most this many 10⁶-byte units per file (tcpdump -C) */
  sizeMb: number;
  /** at most this many files, the oldest overwritten (tcpdump -W) */
  files: number;
}

export interface CaptureConfig {
  /** '-' = standard output; a name without a directory is placed in ./captures/ by the capture writer */
  file: string;
  /** a child's name, 'parent' or 'all' */
  port: string;
  /** tcpdump filter language, compiled by libpcap at start-up */
  filter?: string;
  format: CaptureFormat;
  snaplen: number;
  rotate?: CaptureRotate;
}

export interface MetricsAddr {
  /** an IP literal; IPv6 without brackets */
  host: string;
  port: number;
}

export interface RunConfig {
  parent: string;
  children: ChildConfig[];
  capture?: CaptureConfig;
  /** control socket path; absent = the daemon's default under /run/umacvlan/ */
  control?: string;
  metrics?: MetricsAddr;
  log: LogLevel;
  busyPollUs: number;
}

export const CAPTURE_DEFAULTS = { port: 'all', format: 'pcapng', snaplen: 262144 } as const;
export const SNAPLEN_MAX = 262144;
export const ROTATE_MAX_MB = 1_000_000;
export const ROTATE_MAX_FILES = 100_000;
export const BUSY_POLL_MAX_US = 1_000_000;
/** Loopback: the metrics are readable by anyone who can connect, so they stay on the host unless asked. */
export const METRICS_DEFAULT_HOST = '127.0.0.1';
/** sizeof(sockaddr_un.sun_path) - 1 */
export const CONTROL_PATH_MAX_BYTES = 107;
export const CONFIG_MAX_BYTES = 1 << 20;
const PATH_MAX_BYTES = 4095;
const NAME_MAX_BYTES = 255;
const JSON_MAX_DEPTH = 32;

/** Keys the parser accepts, in the order the schema lists them. The schema test compares these with the schema. */
export const CONFIG_KEYS = ['$schema', 'parent', 'children', 'capture', 'control', 'metrics', 'log', 'busyPollUs'] as const;
export const CHILD_KEYS = ['name', 'mac', 'mode', 'nodst', 'nopromisc', 'mtu', 'macaddr', 'netns'] as const;
export const CAPTURE_KEYS = ['file', 'port', 'filter', 'format', 'snaplen', 'rotate'] as const;
export const ROTATE_KEYS = ['sizeMb', 'files'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Values shared by the flag and file forms

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const hasNul = (s: string): boolean => s.includes('\u0000');

/** NETNS of `--netns NAME=NETNS`: a name under /run/netns (as `ip netns` makes) or an absolute path. */
export function netnsProblem(netns: string): Problem | null {
  if (netns === '') return problem('empty network namespace');
  if (hasNul(netns)) return problem('network namespace contains a NUL byte');
  if (netns.startsWith('/')) {
    return bytes(netns) > PATH_MAX_BYTES ? problem(`path longer than ${PATH_MAX_BYTES} bytes`) : null;
  }
  if (netns.includes('/')) return problem(`${quote(netns)} is neither a name under /run/netns nor an absolute path`);
  if (netns === '.' || netns === '..') return problem(`${quote(netns)} is not a namespace name`);
  return bytes(netns) > NAME_MAX_BYTES ? problem(`name longer than ${NAME_MAX_BYTES} bytes`) : null;
}

export function controlPathProblem(path: string): Problem | null {
  if (path === '') return problem('empty path');
  if (hasNul(path)) return problem('path contains a NUL byte');
  if (bytes(path) > CONTROL_PATH_MAX_BYTES) {
    return problem(`a Unix socket path is at most ${CONTROL_PATH_MAX_BYTES} bytes, this one has ${bytes(path)}`);
  }
  return null;
}

const METRICS_RE = /^(?:\[(?<v6>[^\]]*)\]|(?<host>[^:[\]]*)):(?<port>[^:]*)$/;

/** `ADDR:PORT`, `[IPV6]:PORT` or `:PORT` (= 127.0.0.1:PORT). ADDR is an IP literal: no name lookup at start-up. */
export function parseMetrics(text: string): MetricsAddr | Problem {
  const m = METRICS_RE.exec(text);
  if (!m?.groups) {
    return problem(`bad address ${quote(text)} (ADDR:PORT, [IPV6]:PORT or :PORT)`);
  }
  const { v6, host, port: portText } = m.groups;
  const port = parseDecimal(portText, 1, 65535, 'port');
  if (typeof port !== 'number') return port;
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port } : problem(`bad IPv6 address ${quote(v6)}`);
  if (host === '') return { host: METRICS_DEFAULT_HOST, port };
  return isIPv4(host) ? { host, port } : problem(`bad IPv4 address ${quote(host)} (an IP literal; IPv6 in brackets)`);
}

export function captureFileProblem(file: string): Problem | null {
  if (file === '') return problem('empty file name ("-" is the standard output)');
  if (hasNul(file)) return problem('file name contains a NUL byte');
  return bytes(file) > PATH_MAX_BYTES ? problem(`path longer than ${PATH_MAX_BYTES} bytes`) : null;
}

/** 'parent', 'all' or something that can be a child's name (whether that child exists is checked with the rest). */
export function capturePortProblem(port: string): Problem | null {
  if (port === 'parent' || port === 'all') return null;
  return childNameProblem(port);
}

export function captureFilterProblem(filter: string): Problem | null {
  if (filter.trim() === '') return problem('empty filter');
  return hasNul(filter) ? problem('filter contains a NUL byte') : null;
}

export function parseCaptureFormat(text: string): CaptureFormat | Problem {
  return text === 'pcapng' || text === 'pcap' ? text : problem(`bad format ${quote(text)} (pcapng or pcap)`);
}

export function rotateProblem(r: CaptureRotate): Problem | null {
  if (!Number.isInteger(r.sizeMb) || r.sizeMb < 1 || r.sizeMb > ROTATE_MAX_MB) {
    return problem(`size ${r.sizeMb} MB is out of range (1–${ROTATE_MAX_MB})`);
  }
  if (!Number.isInteger(r.files) || r.files < 1 || r.files > ROTATE_MAX_FILES) {
    return problem(`file count ${r.files} is out of range (1–${ROTATE_MAX_FILES})`);
  }
  return null;
}

/** `SIZE_MB:FILES` of --capture-rotate. */
export function parseRotate(text: string): CaptureRotate | Problem {
  const m = /^([^:]*):([^:]*)$/.exec(text);
  if (!m) return problem(`bad rotation ${quote(text)} (SIZE_MB:FILES, e.g. 100:5)`);
  const sizeMb = parseDecimal(m[1], 1, ROTATE_MAX_MB, 'size in MB');
  if (typeof sizeMb !== 'number') return sizeMb;
  const files = parseDecimal(m[2], 1, ROTATE_MAX_FILES, 'file count');
  if (typeof files !== 'number') return files;
  return { sizeMb, files };
}

export function parseLogLevel(text: string): LogLevel | Problem {
  return text === 'quiet' || text === 'normal' || text === 'verbose'
    ? text : problem(`bad log level ${quote(text)} (quiet, normal or verbose)`);
}

// ---------------------------------------------------------------------------------------------------------------
// Drafts: what one source said

/** A value and where it was said: `field` starts an error message; a flag's `text` is echoed after it. */
export interface Said<T> {
  value: T;
  field: string;
  /** the value as written: the flag's argument ('' for a flag without one), or the JSON text of the file's value */
  text: string;
  from: 'flag' | 'file';
}

export interface CaptureDraft {
  file?: Said<string>;
  port?: Said<string>;
  filter?: Said<string>;
  format?: Said<CaptureFormat>;
  snaplen?: Said<number>;
  rotate?: Said<CaptureRotate>;
}

export interface RunDraft {
  parent?: Said<string>;
  children: Said<ChildConfig>[];
  /** `--netns NAME=NETNS` (flags only: in the file, netns is a key of the child) */
  netns: Said<{ child: string; netns: string }>[];
  capture: CaptureDraft;
  control?: Said<string>;
  metrics?: Said<MetricsAddr>;
  log?: Said<LogLevel>;
  busyPollUs?: Said<number>;
}

export const emptyDraft = (): RunDraft => ({ children: [], netns: [], capture: {} });

const blame = (s: Said<unknown>, detail: string, code: UsageCode = 'UMV_ERR_USAGE'): UsageError =>
  new UsageError(s.field, detail, code, s.from === 'flag' && s.text !== '' ? s.text : undefined);
const cite = (s: Said<unknown>): string => (s.from === 'flag' && s.text !== '' ? `${s.field} ${clip(s.text, 40)}` : s.field);

// ---------------------------------------------------------------------------------------------------------------
// Merge and whole-config rules

type Eq<T> = (a: T, b: T) => boolean;
const same = <T>(a: T, b: T): boolean => a === b;

/** One value from two sources: equal or absent in one, else the flag is blamed. */
function pick<T>(flag: Said<T> | undefined, file: Said<T> | undefined, eq: Eq<T> = same): Said<T> | undefined | UsageError {
  if (flag && file && !eq(flag.value, file.value)) {
    return blame(flag, `disagrees with ${file.field} = ${clip(file.text, 40)}`, 'UMV_ERR_CONFLICT');
  }
  return flag ?? file;
}

/**
 * Merges the command line with the config file (if any), applies defaults and checks the configuration as a whole.
 * Pure: children are copied, drafts are not changed.
 */
export function buildRunConfig(flags: RunDraft, file: RunDraft | null): RunConfig | UsageError {
  const f = file ?? emptyDraft();

  const parent = pick(flags.parent, f.parent);
  if (parent instanceof UsageError) return parent;
  if (!parent) return new UsageError('--parent', 'required: the interface to run on (or "parent" in --config FILE)');

  const children: Said<ChildConfig>[] = [];
  for (const c of [...f.children, ...flags.children]) {
    const taken = children.find((o) => o.value.name === c.value.name);
    if (taken) {
      return blame(c, `name ${quote(c.value.name)} is already taken by ${cite(taken)}`, 'UMV_ERR_DUP_NAME');
    }
    children.push({ ...c, value: { ...c.value, macaddr: [...c.value.macaddr] } });
  }

  const netnsGiven = new Set<string>();
  for (const n of flags.netns) {
    const child = children.find((c) => c.value.name === n.value.child);
    if (!child) return blame(n, `no child named ${quote(n.value.child)}`, 'UMV_ERR_NO_CHILD');
    if (netnsGiven.has(n.value.child)) return blame(n, `child ${quote(n.value.child)} already has a --netns`);
    netnsGiven.add(n.value.child);
    const had = child.value.netns;
    if (had !== undefined && had !== n.value.netns) {
      return blame(n, `disagrees with ${cite(child)}, whose netns is ${quote(had)}`, 'UMV_ERR_CONFLICT');
    }
    child.value.netns = n.value.netns;
  }

  const kernelRule = childrenProblem(children);
  if (kernelRule) return kernelRule;

  const capture = buildCapture(flags.capture, f.capture, children);
  if (capture instanceof UsageError) return capture;

  const control = pick(flags.control, f.control);
  if (control instanceof UsageError) return control;
  const metrics = pick(flags.metrics, f.metrics, (a, b) => a.host === b.host && a.port === b.port);
  if (metrics instanceof UsageError) return metrics;
  const log = pick(flags.log, f.log);
  if (log instanceof UsageError) return log;
  const busy = pick(flags.busyPollUs, f.busyPollUs);
  if (busy instanceof UsageError) return busy;

  const config: RunConfig = {
    parent: parent.value,
    children: children.map((c) => c.value),
    log: log?.value ?? 'normal',
    busyPollUs: busy?.value ?? 0,
  };
  if (capture) config.capture = capture;
  if (control) config.control = control.value;
  if (metrics) config.metrics = { ...metrics.value };
  return config;
}

/** The kernel's rules between siblings, checked up front so the daemon never half-starts. */
function childrenProblem(children: Said<ChildConfig>[]): UsageError | null {
  const passthru = children.filter((c) => c.value.mode === Mode.PASSTHRU);
  if (passthru.length > 1) {
    return blame(passthru[1], `a second passthru child (the first is ${cite(passthru[0])}): ` +
      'Invalid argument (EINVAL)', 'UMV_ERR_PASSTHRU_NOT_ALONE');
  }
  if (passthru.length === 1 && children.length > 1) {
    const t = passthru[0];
    const other = children.find((c) => c !== t)!;
    // Blame whichever came second, as the kernel refuses the second RTM_NEWLINK.
    return children.indexOf(t) > children.indexOf(other)
      ? blame(t, `a passthru child must be the parent's only child (there is also ${cite(other)}): ` +
        'Invalid argument (EINVAL)', 'UMV_ERR_PASSTHRU_NOT_ALONE')
      : blame(other, `the parent already has a passthru child (${cite(t)}) and can have no other: ` +
        'Invalid argument (EINVAL)', 'UMV_ERR_PASSTHRU_NOT_ALONE');
  }
  const byMac = new Map<number, Said<ChildConfig>>();
  for (const c of children) {
    const mac = c.value.mac;
    if (mac === 'auto') continue;
    const other = byMac.get(mac);
    if (other) {
      return blame(c, `MAC ${formatMac(mac)} is already used by ${cite(other)}: Address already in use (EADDRINUSE)`,
        'UMV_ERR_DUP_MAC');
    }
    byMac.set(mac, c);
  }
  return null;
}

function buildCapture(flags: CaptureDraft, file: CaptureDraft, children: Said<ChildConfig>[]): CaptureConfig | undefined | UsageError {
  const sameRotate = (a: CaptureRotate, b: CaptureRotate): boolean => a.sizeMb === b.sizeMb && a.files === b.files;
  const out = pick(flags.file, file.file);
  if (out instanceof UsageError) return out;
  const port = pick(flags.port, file.port);
  if (port instanceof UsageError) return port;
  const filter = pick(flags.filter, file.filter);
  if (filter instanceof UsageError) return filter;
  const format = pick(flags.format, file.format);
  if (format instanceof UsageError) return format;
  const snaplen = pick(flags.snaplen, file.snaplen);
  if (snaplen instanceof UsageError) return snaplen;
  const rotate = pick(flags.rotate, file.rotate, sameRotate);
  if (rotate instanceof UsageError) return rotate;

  if (!out) {
    const stray = port ?? filter ?? format ?? snaplen ?? rotate;
    return stray ? blame(stray, 'needs --capture FILE') : undefined;
  }
  if (port && port.value !== 'parent' && port.value !== 'all' && !children.some((c) => c.value.name === port.value)) {
    return blame(port, `no child named ${quote(port.value)} (a child's name, parent or all)`, 'UMV_ERR_NO_CHILD');
  }
  if (rotate && out.value === '-') return blame(rotate, 'the standard output ("-") cannot be rotated');
  const capture: CaptureConfig = {
    file: out.value,
    port: port?.value ?? CAPTURE_DEFAULTS.port,
    format: format?.value ?? CAPTURE_DEFAULTS.format,
    snaplen: snaplen?.value ?? CAPTURE_DEFAULTS.snaplen,
  };
  if (filter) capture.filter = filter.value;
  if (rotate) capture.rotate = { ...rotate.value };
  return capture;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the file

/**
 * The file's text: at most CONFIG_MAX_BYTES, strict UTF-8, a leading BOM dropped. Reads by hand rather than with
 * readFileSync so that /dev/zero or a huge file given by mistake ends in an error, not an endless read (a pipe, as
 * from `--config <(...)`, still works).
 */
export function readConfigText(path: string): string | UsageError {
  const fail = (detail: string): UsageError => new UsageError('--config', detail, 'UMV_ERR_CONFIG', path);
  if (path === '' || hasNul(path)) return fail('bad file name');
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length;) {
      got = readSync(fd, buf, n, buf.length - n, null);
      n += got;
    }
    if (n > CONFIG_MAX_BYTES) return fail(`larger than ${CONFIG_MAX_BYTES} bytes`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return fail('not valid UTF-8');
    }
    return text.startsWith('\ufeff') ? text.slice(1) : text;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(`cannot read: ${err.code ?? err.message} (${err.syscall ?? 'read'})`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** readConfigText + parseConfigFile. */
export function loadConfigFile(path: string, read: (path: string) => string | UsageError = readConfigText): RunDraft | UsageError {
  const text = read(path);
  return text instanceof UsageError ? text : parseConfigFile(text, path);
}

/**
 * The JSON config file's content as a draft (see the schema in umacvlan.schema.json and the README).
 * Pure, never throws. `file` names the file in syntax errors.
 */
export function parseConfigFile(text: string, file = 'config'): RunDraft | UsageError {
  const json = parseJson(text);
  if (json instanceof JsonSyntax) {
    return new UsageError('--config', `bad JSON at line ${json.line} column ${json.column}: ${json.detail}`,
      'UMV_ERR_CONFIG', file);
  }
  return readTop(json);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON → draft, with a path in every message

type Json = null | boolean | number | string | Json[] | JsonObject;
type JsonObject = Map<string, Json>;

const isObject = (v: Json): v is JsonObject => v instanceof Map;

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (isObject(v)) return 'an object';
  if (typeof v === 'string') return `a string ${quote(v)}`;
  return `${typeof v === 'number' ? 'a number' : 'a boolean'} ${clip(String(v), 20)}`;
}

/** `config children[2].mode`: the root is followed by a space, as users read it; odd keys are quoted. */
const CONFIG_ROOT = 'config';
function keyPath(path: string, key: string): string {
  const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
  if (path === CONFIG_ROOT) return plain ? `${path} ${key}` : `${path} [${quote(key)}]`;
  return plain ? `${path}.${key}` : `${path}[${quote(key)}]`;
}

class Reader {
  constructor(readonly obj: JsonObject, readonly path: string) {}

  /** Every key must be one of `allowed`; the first that is not is reported, with a near miss if there is one. */
  known(allowed: readonly string[]): UsageError | null {
    for (const k of this.obj.keys()) {
      if (allowed.includes(k)) continue;
      const near = allowed.find((a) => editDistance(a.toLowerCase(), k.toLowerCase()) <= 2);
      return new UsageError(keyPath(this.path, k), near ? `unknown key (did you mean "${near}"?)` : 'unknown key');
    }
    return null;
  }

  at(key: string): string {
    return keyPath(this.path, key);
  }

  require(keys: readonly string[]): UsageError | null {
    const missing = keys.find((k) => !this.obj.has(k));
    return missing === undefined ? null : new UsageError(this.at(missing), 'required');
  }

  said<T>(key: string, value: T): Said<T> {
    return { value, field: this.at(key), text: jsonText(this.obj.get(key)!), from: 'file' };
  }

  /** The value at `key` checked and converted by `conv`; undefined when absent. */
  get<T>(key: string, conv: (v: Json) => T | Problem): T | undefined | UsageError {
    if (!this.obj.has(key)) return undefined;
    const r = conv(this.obj.get(key)!);
    return isProblem(r) ? UsageError.of(r, this.at(key)) : r;
  }
}

const asString = (check?: (s: string) => Problem | null) => (v: Json): string | Problem => {
  if (typeof v !== 'string') return problem(`expected a string, got ${describe(v)}`);
  return check?.(v) ?? v;
};
const asBoolean = (v: Json): boolean | Problem =>
  typeof v === 'boolean' ? v : problem(`expected true or false, got ${describe(v)}`);
const asInteger = (min: number, max: number) => (v: Json): number | Problem => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return problem(`expected an integer, got ${describe(v)}`);
  return v < min || v > max ? problem(`${v} is out of range (${min}–${max})`) : v;
};
const asParsed = <T>(parse: (s: string) => T | Problem) => (v: Json): T | Problem =>
  typeof v === 'string' ? parse(v) : problem(`expected a string, got ${describe(v)}`);

function jsonText(v: Json): string {
  if (isObject(v)) return '{…}';
  if (Array.isArray(v)) return '[…]';
  return JSON.stringify(v);
}

function readTop(json: Json): RunDraft | UsageError {
  if (!isObject(json)) return new UsageError(CONFIG_ROOT, `expected an object at the top, got ${describe(json)}`);
  const r = new Reader(json, CONFIG_ROOT);
  const draft = emptyDraft();
  const unknown = r.known(CONFIG_KEYS);
  if (unknown) return unknown;

  const schema = r.get('$schema', asString());
  if (schema instanceof UsageError) return schema;

  const parent = r.get('parent', asString(ifNameProblem));
  if (parent instanceof UsageError) return parent;
  if (parent !== undefined) draft.parent = r.said('parent', parent);

  if (json.has('children')) {
    const list = json.get('children')!;
    if (!Array.isArray(list)) return new UsageError(r.at('children'), `expected an array, got ${describe(list)}`);
    for (let i = 0; i < list.length; i++) {
      const path = `${r.at('children')}[${i}]`;
      const c = readChild(list[i], path);
      if (c instanceof UsageError) return c;
      draft.children.push({ value: c, field: path, text: '{…}', from: 'file' });
    }
  }

  if (json.has('capture')) {
    const cap = readCapture(json.get('capture')!, r.at('capture'));
    if (cap instanceof UsageError) return cap;
    draft.capture = cap;
  }

  const control = r.get('control', asString(controlPathProblem));
  if (control instanceof UsageError) return control;
  if (control !== undefined) draft.control = r.said('control', control);

  const metrics = r.get('metrics', asParsed(parseMetrics));
  if (metrics instanceof UsageError) return metrics;
  if (metrics !== undefined) draft.metrics = r.said('metrics', metrics);

  const log = r.get('log', asParsed(parseLogLevel));
  if (log instanceof UsageError) return log;
  if (log !== undefined) draft.log = r.said('log', log);

  const busy = r.get('busyPollUs', asInteger(0, BUSY_POLL_MAX_US));
  if (busy instanceof UsageError) return busy;
  if (busy !== undefined) draft.busyPollUs = r.said('busyPollUs', busy);
  return draft;
}

function readChild(json: Json, path: string): ChildConfig | UsageError {
  if (!isObject(json)) return new UsageError(path, `expected an object, got ${describe(json)}`);
  const r = new Reader(json, path);
  const bad = r.known(CHILD_KEYS) ?? r.require(['name', 'mac', 'mode']);
  if (bad) return bad;

  const name = r.get('name', asString(childNameProblem));
  if (name instanceof UsageError) return name;
  const mac = r.get('mac', asParsed((s) => (s === 'auto' ? 'auto' as const : parseUnicastMac(s))));
  if (mac instanceof UsageError) return mac;
  const mode = r.get('mode', asParsed(parseMode));
  if (mode instanceof UsageError) return mode;
  const child: ChildConfig = { name: name!, mac: mac!, mode: mode!, flags: 0, macaddr: [] };

  const nodst = r.get('nodst', asBoolean);
  if (nodst instanceof UsageError) return nodst;
  if (nodst) child.flags |= Flag.NODST;

  const nopromisc = r.get('nopromisc', asBoolean);
  if (nopromisc instanceof UsageError) return nopromisc;
  if (nopromisc && child.mode !== Mode.PASSTHRU) {
    return new UsageError(r.at('nopromisc'), `is for passthru mode only, not ${MODE_NAMES[child.mode]}`);
  }
  if (nopromisc) child.flags |= Flag.NOPROMISC;

  const mtu = r.get('mtu', (v) => {
    const n = asInteger(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)(v);
    return typeof n === 'number' ? mtuProblem(n) ?? n : n;
  });
  if (mtu instanceof UsageError) return mtu;
  if (mtu !== undefined) child.mtu = mtu;

  if (json.has('macaddr')) {
    const list = json.get('macaddr')!;
    const at = r.at('macaddr');
    if (!Array.isArray(list)) return new UsageError(at, `expected an array of MACs, got ${describe(list)}`);
    if (list.length > 0 && child.mode !== Mode.SOURCE) {
      return new UsageError(at, `is for source mode only, not ${MODE_NAMES[child.mode]}`);
    }
    for (let i = 0; i < list.length; i++) {
      const m = asParsed(parseUnicastMac)(list[i]);
      if (typeof m !== 'number') return UsageError.of(m, `${at}[${i}]`);
      if (!child.macaddr.includes(m)) child.macaddr.push(m);
    }
  }

  const netns = r.get('netns', asString(netnsProblem));
  if (netns instanceof UsageError) return netns;
  if (netns !== undefined) child.netns = netns;
  return child;
}

function readCapture(json: Json, path: string): CaptureDraft | UsageError {
  if (!isObject(json)) return new UsageError(path, `expected an object, got ${describe(json)}`);
  const r = new Reader(json, path);
  const bad = r.known(CAPTURE_KEYS) ?? r.require(['file']);
  if (bad) return bad;
  const d: CaptureDraft = {};

  const file = r.get('file', asString(captureFileProblem));
  if (file instanceof UsageError) return file;
  d.file = r.said('file', file!);

  const port = r.get('port', asString(capturePortProblem));
  if (port instanceof UsageError) return port;
  if (port !== undefined) d.port = r.said('port', port);

  const filter = r.get('filter', asString(captureFilterProblem));
  if (filter instanceof UsageError) return filter;
  if (filter !== undefined) d.filter = r.said('filter', filter);

  const format = r.get('format', asParsed(parseCaptureFormat));
  if (format instanceof UsageError) return format;
  if (format !== undefined) d.format = r.said('format', format);

  const snaplen = r.get('snaplen', asInteger(1, SNAPLEN_MAX));
  if (snaplen instanceof UsageError) return snaplen;
  if (snaplen !== undefined) d.snaplen = r.said('snaplen', snaplen);

  if (json.has('rotate')) {
    const rot = json.get('rotate')!;
    const at = r.at('rotate');
    if (!isObject(rot)) return new UsageError(at, `expected an object {"sizeMb": N, "files": N}, got ${describe(rot)}`);
    const rr = new Reader(rot, at);
    const rbad = rr.known(ROTATE_KEYS) ?? rr.require(ROTATE_KEYS);
    if (rbad) return rbad;
    const sizeMb = rr.get('sizeMb', asInteger(1, ROTATE_MAX_MB));
    if (sizeMb instanceof UsageError) return sizeMb;
    const files = rr.get('files', asInteger(1, ROTATE_MAX_FILES));
    if (files instanceof UsageError) return files;
    d.rotate = { value: { sizeMb: sizeMb!, files: files! }, field: at, text: `{"sizeMb":${sizeMb},"files":${files}}`, from: 'file' };
  }
  return d;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

// ---------------------------------------------------------------------------------------------------------------
// A strict RFC 8259 parser: positions in errors, duplicate keys refused, bounded depth, never throws outward.

export class JsonSyntax {
  constructor(readonly line: number, readonly column: number, readonly detail: string) {}
}

class Stop {
  constructor(readonly at: number, readonly detail: string) {}
}

/** Parses JSON text; objects come back as Maps (so "__proto__" is just a key). Exported for the tests. */
export function parseJson(text: string): Json | JsonSyntax {
  let i = 0;
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const unexpected = (): Stop =>
    i >= text.length ? new Stop(i, 'unexpected end of input') : new Stop(i, `unexpected ${quote(text[i])}`);

  const value = (depth: number): Json => {
    if (depth > JSON_MAX_DEPTH) throw new Stop(i, `nested deeper than ${JSON_MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    throw unexpected();
  };

  const object = (depth: number): JsonObject => {
    const out: JsonObject = new Map();
    i++; // {
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') throw unexpected();
      const keyAt = i;
      const key = string();
      if (out.has(key)) throw new Stop(keyAt, `duplicate key ${quote(key)}`);
      ws();
      if (text[i] !== ':') throw unexpected();
      i++;
      out.set(key, value(depth + 1));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return out; }
      throw unexpected();
    }
  };

  const array = (depth: number): Json[] => {
    const out: Json[] = [];
    i++; // [
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return out; }
      throw unexpected();
    }
  };

  const ESC: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const string = (): string => {
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new Stop(i, 'control character in a string (escape it)');
      if (c !== 0x5c) { i++; continue; }
      out += text.slice(run, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new Stop(i, 'bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && Object.hasOwn(ESC, e)) {
        out += ESC[e];
        i += 2;
      } else {
        throw new Stop(i, 'bad escape');
      }
      run = i;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const number = (): number => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === '-') throw new Stop(i, 'bad number');
    i += m[0].length;
    return Number(m[0]);
  };

  try {
    const v = value(0);
    ws();
    if (i < text.length) throw unexpected();
    return v;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    let line = 1;
    let col = 1;
    for (let k = 0; k < e.at && k < text.length; k++) {
      if (text.charCodeAt(k) === 0x0a) { line++; col = 1; } else col++;
    }
    return new JsonSyntax(line, col, e.detail);
  }
}
