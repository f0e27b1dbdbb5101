// args.ts — argv → a typed Command, or one UsageError (exit 2). No I/O except reading `--config FILE`.
//
//   umacvlan run --parent IFNAME [--child NAME:MAC:MODE[:OPTION...]]... [--netns NAME=NETNS]... [--config FILE]
//                [--capture FILE [--capture-port P] [--capture-filter EXPR] [--capture-format F]
//                 [--capture-snaplen N] [--capture-rotate SIZE_MB:FILES]]
//                [--control PATH] [--metrics ADDR:PORT] [--verbose | --quiet] [--busy-poll-us N]
//   umacvlan show [NAME] [--json] | add CHILD | del NAME | set NAME CHANGE... | trace ... | capture start FILE | stop
//   (clients also take --parent NAME or --control PATH to find the daemon)
//   umacvlan --version | --help | CMD --help
//
// DOC: how argv is read. Options are long only, as `--opt value` or `--opt=value`. A separate value may not start
// with "--" (so `--parent --child x` is a missing value, not a parent named "--child"); `--opt=--x` passes such a
// value. `--` ends the options: what follows is positional (a child named "-x" can be deleted with `del -- -x`).
// `--help` anywhere before `--` wins over everything else on the line, so a user can always ask. Errors are
// reported in argv order: the first bad token is the one named.

import {
  childNameProblem, ifNameProblem, MTU_MAX, MTU_MIN, parseAnyMac, parseChild, parseDecimal, parseMacList,
  parseMode, parseUnicastMac, type ChildConfig,
} from './child-spec.js';
import {
  BUSY_POLL_MAX_US, buildRunConfig, CAPTURE_DEFAULTS, captureFileProblem, captureFilterProblem,
  capturePortProblem, controlPathProblem, emptyDraft, loadConfigFile, netnsProblem, parseCaptureFormat,
  parseMetrics, parseRotate, readConfigText, SNAPLEN_MAX, type CaptureConfig, type CaptureDraft, type RunConfig,
  type RunDraft, type Said,
} from './config-file.js';
import { COMMAND_NAMES, type HelpTopic } from './help.js';
import type { ModeBit } from '../core/constants.js';
import { clip, isProblem, problem, quote, UsageError, type Problem } from './usage-error.js';

/** How a client finds the daemon: by its parent's name, by socket path, or (neither) the only one running. */
export interface DaemonTarget {
  parent?: string;
  control?: string;
}

export type SetChange =
  | { what: 'mode'; mode: ModeBit }
  | { what: 'mac'; mac: number }
  | { what: 'mtu'; mtu: number }
  | { what: 'nodst'; on: boolean }
  | { what: 'nopromisc'; on: boolean }
  | { what: 'macaddr'; op: 'add' | 'del'; mac: number }
  | { what: 'macaddr'; op: 'set'; macs: number[] }
  | { what: 'macaddr'; op: 'flush' };

export type Command =
  | { kind: 'help'; topic?: HelpTopic }
  | { kind: 'version' }
  | { kind: 'run'; config: RunConfig }
  | { kind: 'show'; target: DaemonTarget; name?: string; json: boolean }
  | { kind: 'add'; target: DaemonTarget; child: ChildConfig }
  | { kind: 'del'; target: DaemonTarget; name: string }
  | { kind: 'set'; target: DaemonTarget; name: string; change: SetChange }
  | { kind: 'trace'; target: DaemonTarget; in: string; dst: number; src?: number; vlan?: number; len?: number }
  | { kind: 'capture-start'; target: DaemonTarget; capture: CaptureConfig }
  | { kind: 'capture-stop'; target: DaemonTarget };

export type ReadConfig = (path: string) => string | UsageError;

/**
 * Parses the arguments after the program name (process.argv.slice(2)). Never throws.
 * `read` reads the --config file; tests pass their own.
 */
export function parseCommand(argv: readonly string[], read: ReadConfig = readConfigText): Command | UsageError {
  if (argv.length === 0) return new UsageError('umacvlan', 'no command (run, show, add, del, set, trace, capture; see --help)');
  const [first, ...rest] = argv;
  if (first === '--help') return { kind: 'help' };
  if (first === '--version') {
    return rest.length === 0 ? { kind: 'version' } : new UsageError('--version', `takes no arguments, got ${quote(rest[0])}`);
  }
  const cmd = COMMAND_NAMES.find((c) => c === first);
  if (cmd === undefined) {
    if (first === '') return new UsageError('umacvlan', 'empty command (run, show, add, del, set, trace, capture)');
    return first.startsWith('-')
      ? new UsageError(clip(first), 'unknown option (the command comes first: umacvlan run ..., see --help)')
      : new UsageError(clip(first), 'unknown command (run, show, add, del, set, trace, capture; see --help)');
  }
  const end = rest.indexOf('--');
  if ((end < 0 ? rest : rest.slice(0, end)).includes('--help')) return { kind: 'help', topic: cmd };
  switch (cmd) {
    case 'run': return parseRun(rest, read);
    case 'show': return parseShow(rest);
    case 'add': return parseAdd(rest);
    case 'del': return parseDel(rest);
    case 'set': return parseSet(rest);
    case 'trace': return parseTrace(rest);
    case 'capture': return parseCapture(rest);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The scanner

interface OptSpec {
  value: boolean;
  repeat?: boolean;
}
interface Occurrence {
  /** with the leading "--" */
  name: string;
  /** undefined for a flag */
  value?: string;
}
interface Scanned {
  occ: Occurrence[];
  pos: string[];
}

const V: OptSpec = { value: true };
const VR: OptSpec = { value: true, repeat: true };
const F: OptSpec = { value: false };

const TARGET_SPECS: [string, OptSpec][] = [['parent', V], ['control', V]];
const CAPTURE_SPECS: [string, OptSpec][] = [
  ['capture-port', V], ['capture-filter', V], ['capture-format', V], ['capture-snaplen', V], ['capture-rotate', V],
];
const SPECS: Record<HelpTopic, ReadonlyMap<string, OptSpec>> = {
  run: new Map([
    ['parent', V], ['child', VR], ['netns', VR], ['config', V], ['capture', V], ...CAPTURE_SPECS,
    ['control', V], ['metrics', V], ['verbose', F], ['quiet', F], ['busy-poll-us', V],
  ]),
  show: new Map([...TARGET_SPECS, ['json', F]]),
  add: new Map(TARGET_SPECS),
  del: new Map(TARGET_SPECS),
  set: new Map(TARGET_SPECS),
  trace: new Map([...TARGET_SPECS, ['in', V], ['dst', V], ['src', V], ['vlan', V], ['len', V]]),
  capture: new Map([...TARGET_SPECS, ...CAPTURE_SPECS]),
};

function scan(cmd: HelpTopic, args: readonly string[]): Scanned | UsageError {
  const specs = SPECS[cmd];
  const occ: Occurrence[] = [];
  const pos: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      pos.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      pos.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const spec = name.startsWith('--') ? specs.get(name.slice(2)) : undefined;
    if (!spec) return new UsageError(clip(name), `unknown option of umacvlan ${cmd} (see umacvlan ${cmd} --help)`);
    if (!spec.repeat && seen.has(name)) return new UsageError(name, 'given twice');
    seen.add(name);
    if (!spec.value) {
      if (eq >= 0) return new UsageError(name, 'takes no value');
      occ.push({ name });
      continue;
    }
    if (eq >= 0) {
      occ.push({ name, value: a.slice(eq + 1) });
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) {
      return new UsageError(name, next === undefined ? 'needs a value' : `needs a value (got the option ${quote(next)}; write ${name}=VALUE for a value starting with "--")`);
    }
    occ.push({ name, value: next });
    i++;
  }
  return { occ, pos };
}

const flagSaid = <T>(name: string, value: T, text: string): Said<T> => ({ value, field: name, text, from: 'flag' });

/** A value checked by `check` or converted by `parse`: the Said of it, or the error naming the option. */
function take<T>(o: Occurrence, parse: (s: string) => T | Problem): Said<T> | UsageError {
  const text = o.value!;
  const r = parse(text);
  return isProblem(r) ? UsageError.of(r, o.name, text) : flagSaid(o.name, r, text);
}

const checked = (check: (s: string) => Problem | null) => (s: string): string | Problem => check(s) ?? s;

/** --parent / --control of a client command. */
function target(o: Occurrence, t: DaemonTarget): UsageError | null {
  if (o.name === '--parent') {
    const p = take(o, checked(ifNameProblem));
    if (p instanceof UsageError) return p;
    t.parent = p.value;
  } else {
    const c = take(o, checked(controlPathProblem));
    if (c instanceof UsageError) return c;
    t.control = c.value;
  }
  if (t.parent !== undefined && t.control !== undefined) {
    return new UsageError(o.name, 'give --parent or --control to find the daemon, not both', 'UMV_ERR_USAGE', o.value);
  }
  return null;
}

const unexpected = (cmd: string, arg: string, hint = ''): UsageError =>
  new UsageError(`umacvlan ${cmd}`, `unexpected argument ${quote(arg)}${hint}`);

// ---------------------------------------------------------------------------------------------------------------
// run

/** One capture option into a draft; shared by `run` and `capture start`. */
function captureOption(o: Occurrence, d: CaptureDraft): UsageError | null {
  switch (o.name) {
    case '--capture-port': {
      const s = take(o, checked(capturePortProblem));
      if (s instanceof UsageError) return s;
      d.port = s;
      return null;
    }
    case '--capture-filter': {
      const s = take(o, checked(captureFilterProblem));
      if (s instanceof UsageError) return s;
      d.filter = s;
      return null;
    }
    case '--capture-format': {
      const s = take(o, parseCaptureFormat);
      if (s instanceof UsageError) return s;
      d.format = s;
      return null;
    }
    case '--capture-snaplen': {
      const s = take(o, (t) => parseDecimal(t, 1, SNAPLEN_MAX, 'snaplen'));
      if (s instanceof UsageError) return s;
      d.snaplen = s;
      return null;
    }
    default: {
      const s = take(o, parseRotate);
      if (s instanceof UsageError) return s;
      d.rotate = s;
      return null;
    }
  }
}

function parseNetnsArg(text: string): { child: string; netns: string } | Problem {
  // The child's name ends at the first "=": a child whose name holds "=" gets its netns in the config file.
  const eq = text.indexOf('=');
  if (eq < 0) return problem('expected NAME=NETNS (a name under /run/netns or an absolute path)');
  const child = text.slice(0, eq);
  const netns = text.slice(eq + 1);
  return childNameProblem(child) ?? netnsProblem(netns) ?? { child, netns };
}

function parseRun(args: readonly string[], read: ReadConfig): Command | UsageError {
  const s = scan('run', args);
  if (s instanceof UsageError) return s;
  if (s.pos.length > 0) return unexpected('run', s.pos[0], ' (children are given with --child)');

  const d: RunDraft = emptyDraft();
  let configPath: string | undefined;
  for (const o of s.occ) {
    let bad: UsageError | null = null;
    switch (o.name) {
      case '--parent': {
        const r = take(o, checked(ifNameProblem));
        if (r instanceof UsageError) bad = r; else d.parent = r;
        break;
      }
      case '--child': {
        const c = parseChild(o.value!, '--child');
        if (c instanceof UsageError) bad = c; else d.children.push(flagSaid('--child', c, o.value!));
        break;
      }
      case '--netns': {
        const r = take(o, parseNetnsArg);
        if (r instanceof UsageError) bad = r; else d.netns.push(r);
        break;
      }
      case '--config': {
        const path = o.value!;
        if (path === '') bad = new UsageError('--config', 'empty file name');
        else configPath = path;
        break;
      }
      case '--capture': {
        const r = take(o, checked(captureFileProblem));
        if (r instanceof UsageError) bad = r; else d.capture.file = r;
        break;
      }
      case '--control': {
        const r = take(o, checked(controlPathProblem));
        if (r instanceof UsageError) bad = r; else d.control = r;
        break;
      }
      case '--metrics': {
        const r = take(o, parseMetrics);
        if (r instanceof UsageError) bad = r; else d.metrics = r;
        break;
      }
      case '--verbose':
      case '--quiet': {
        const level = o.name === '--verbose' ? 'verbose' : 'quiet';
        if (d.log && d.log.value !== level) bad = new UsageError(o.name, `cannot be combined with ${d.log.field}`);
        else d.log = flagSaid(o.name, level, '');
        break;
      }
      case '--busy-poll-us': {
        const r = take(o, (t) => parseDecimal(t, 0, BUSY_POLL_MAX_US, 'busy-poll time in µs'));
        if (r instanceof UsageError) bad = r; else d.busyPollUs = r;
        break;
      }
      default:
        bad = captureOption(o, d.capture);
    }
    if (bad) return bad;
  }

  let file: RunDraft | null = null;
  if (configPath !== undefined) {
    const f = loadConfigFile(configPath, read);
    if (f instanceof UsageError) return f;
    file = f;
  }
  const config = buildRunConfig(d, file);
  return config instanceof UsageError ? config : { kind: 'run', config };
}

// ---------------------------------------------------------------------------------------------------------------
// Client commands

/** Scans, applies --parent/--control, hands the rest to `each`. */
function clientScan(cmd: HelpTopic, args: readonly string[], each?: (o: Occurrence) => UsageError | null):
  { target: DaemonTarget; pos: string[] } | UsageError {
  const s = scan(cmd, args);
  if (s instanceof UsageError) return s;
  const t: DaemonTarget = {};
  for (const o of s.occ) {
    const bad = o.name === '--parent' || o.name === '--control' ? target(o, t) : each?.(o) ?? null;
    if (bad) return bad;
  }
  return { target: t, pos: s.pos };
}

function portNameProblem(name: string): Problem | null {
  return name === 'parent' ? null : childNameProblem(name);
}

function parseShow(args: readonly string[]): Command | UsageError {
  let json = false;
  const s = clientScan('show', args, () => { json = true; return null; }); // --json is its only other option
  if (s instanceof UsageError) return s;
  if (s.pos.length > 1) return unexpected('show', s.pos[1], ' (one port name at most)');
  const cmd: Command = { kind: 'show', target: s.target, json };
  if (s.pos.length === 1) {
    const bad = portNameProblem(s.pos[0]);
    if (bad) return UsageError.of(bad, 'show', s.pos[0]);
    cmd.name = s.pos[0];
  }
  return cmd;
}

function parseAdd(args: readonly string[]): Command | UsageError {
  const s = clientScan('add', args);
  if (s instanceof UsageError) return s;
  if (s.pos.length === 0) return new UsageError('add', 'needs a child: NAME:MAC:MODE[:OPTION...]');
  if (s.pos.length > 1) return unexpected('add', s.pos[1], ' (one child per add)');
  const child = parseChild(s.pos[0], 'add');
  return child instanceof UsageError ? child : { kind: 'add', target: s.target, child };
}

function parseDel(args: readonly string[]): Command | UsageError {
  const s = clientScan('del', args);
  if (s instanceof UsageError) return s;
  if (s.pos.length === 0) return new UsageError('del', "needs the child's name");
  if (s.pos.length > 1) return unexpected('del', s.pos[1], ' (one child per del)');
  const bad = childNameProblem(s.pos[0]);
  return bad ? UsageError.of(bad, 'del', s.pos[0]) : { kind: 'del', target: s.target, name: s.pos[0] };
}

const SET_FORMS = 'mode MODE | mac MAC | mtu N | nodst on|off | nopromisc on|off | macaddr add|del MAC | ' +
  'macaddr set MAC[,MAC...] | macaddr flush';

function onOff(text: string | undefined): boolean | Problem {
  if (text === 'on') return true;
  if (text === 'off') return false;
  return problem(text === undefined ? 'needs on or off' : `expected on or off, got ${quote(text)}`);
}

function parseSet(args: readonly string[]): Command | UsageError {
  const s = clientScan('set', args);
  if (s instanceof UsageError) return s;
  const [name, what, ...vals] = s.pos;
  const fail = (p: Problem): UsageError => UsageError.of(p, 'set', s.pos.join(' '));
  if (name === undefined) return new UsageError('set', `needs NAME and a change: ${SET_FORMS}`);
  const nameBad = childNameProblem(name);
  if (nameBad) return fail(nameBad);
  if (what === undefined) return fail(problem(`needs a change: ${SET_FORMS}`));

  // Each form takes a fixed number of words after `what`; more is an error, not ignored.
  const arity = (n: number): Problem | null =>
    vals.length < n ? problem(`${what} needs ${n === 1 ? 'a value' : `${n} words`}`)
      : vals.length > n ? problem(`unexpected ${quote(vals[n])} after ${what}`) : null;

  const change = ((): SetChange | Problem => {
    switch (what) {
      case 'mode': {
        const bad = arity(1);
        if (bad) return bad;
        const mode = parseMode(vals[0]);
        return typeof mode === 'number' ? { what, mode } : mode;
      }
      case 'mac': {
        const bad = arity(1);
        if (bad) return bad;
        const mac = parseUnicastMac(vals[0]);
        return typeof mac === 'number' ? { what, mac } : mac;
      }
      case 'mtu': {
        const bad = arity(1);
        if (bad) return bad;
        const mtu = parseDecimal(vals[0], MTU_MIN, MTU_MAX, 'mtu');
        return typeof mtu === 'number' ? { what, mtu } : mtu;
      }
      case 'nodst':
      case 'nopromisc': {
        const bad = arity(1);
        if (bad) return bad;
        const on = onOff(vals[0]);
        return typeof on === 'boolean' ? { what, on } : on;
      }
      case 'macaddr':
        return macaddrChange(vals);
      default:
        return problem(`unknown change ${quote(what)} (${SET_FORMS})`);
    }
  })();
  return isProblem(change) ? fail(change) : { kind: 'set', target: s.target, name, change };
}

function macaddrChange(vals: string[]): SetChange | Problem {
  const [op, arg, extra] = vals;
  if (op === 'flush') return arg === undefined ? { what: 'macaddr', op } : problem(`unexpected ${quote(arg)} after macaddr flush`);
  if (op !== 'add' && op !== 'del' && op !== 'set') {
    return problem(op === undefined ? 'macaddr needs add, del, set or flush' : `bad macaddr operation ${quote(op)} (add, del, set, flush)`);
  }
  if (arg === undefined) return problem(`macaddr ${op} needs ${op === 'set' ? 'MAC[,MAC...]' : 'a MAC'}`);
  if (extra !== undefined) return problem(`unexpected ${quote(extra)} after macaddr ${op}`);
  if (op === 'set') {
    const macs = parseMacList(arg);
    return Array.isArray(macs) ? { what: 'macaddr', op, macs } : macs;
  }
  const mac = parseUnicastMac(arg);
  return typeof mac === 'number' ? { what: 'macaddr', op, mac } : mac;
}

function parseTrace(args: readonly string[]): Command | UsageError {
  let port: string | undefined;
  let dst: number | undefined;
  let src: number | undefined;
  let vlan: number | undefined;
  let len: number | undefined;
  const s = clientScan('trace', args, (o) => {
    switch (o.name) {
      case '--in': {
        const r = take(o, checked(portNameProblem));
        if (r instanceof UsageError) return r;
        port = r.value;
        return null;
      }
      case '--dst':
      case '--src': {
        const r = take(o, parseAnyMac);
        if (r instanceof UsageError) return r;
        if (o.name === '--dst') dst = r.value; else src = r.value;
        return null;
      }
      case '--vlan': {
        const r = take(o, (t) => parseDecimal(t, 0, 4095, 'VLAN id'));
        if (r instanceof UsageError) return r;
        vlan = r.value;
        return null;
      }
      default: {
        const r = take(o, (t) => parseDecimal(t, 0, 65535, 'frame length'));
        if (r instanceof UsageError) return r;
        len = r.value;
        return null;
      }
    }
  });
  if (s instanceof UsageError) return s;
  if (s.pos.length > 0) return unexpected('trace', s.pos[0]);
  if (port === undefined) return new UsageError('--in', 'required: the port the frame arrives on (a child or parent)');
  if (dst === undefined) return new UsageError('--dst', "required: the frame's destination MAC");
  const cmd: Command = { kind: 'trace', target: s.target, in: port, dst };
  if (src !== undefined) cmd.src = src;
  if (vlan !== undefined) cmd.vlan = vlan;
  if (len !== undefined) cmd.len = len;
  return cmd;
}

function parseCapture(args: readonly string[]): Command | UsageError {
  const d: CaptureDraft = {};
  const s = clientScan('capture', args, (o) => captureOption(o, d));
  if (s instanceof UsageError) return s;
  const [op, file, extra] = s.pos;
  if (op === 'stop') {
    if (file !== undefined) return unexpected('capture', file, ' (capture stop takes no arguments)');
    const stray = Object.values(d).find((v) => v !== undefined);
    if (stray) return new UsageError(stray.field, 'is for capture start, not stop');
    return { kind: 'capture-stop', target: s.target };
  }
  if (op !== 'start') {
    return op === undefined ? new UsageError('capture', 'needs start FILE or stop')
      : new UsageError('capture', `unknown operation ${quote(op)} (start FILE or stop)`);
  }
  if (file === undefined) return new UsageError('capture', 'start needs a FILE');
  if (extra !== undefined) return unexpected('capture', extra, ' (one FILE)');
  const fileBad = captureFileProblem(file);
  if (fileBad) return UsageError.of(fileBad, 'capture start', file);
  // The daemon's stdout may already carry a stream (or nothing at all under systemd); a second pcap header in the
  // middle of it would make it unreadable.
  if (file === '-') return new UsageError('capture start', 'the standard output ("-") is for run --capture only', 'UMV_ERR_USAGE', file);
  const capture: CaptureConfig = {
    file,
    port: d.port?.value ?? CAPTURE_DEFAULTS.port,
    format: d.format?.value ?? CAPTURE_DEFAULTS.format,
    snaplen: d.snaplen?.value ?? CAPTURE_DEFAULTS.snaplen,
  };
  if (d.filter) capture.filter = d.filter.value;
  if (d.rotate) capture.rotate = { ...d.rotate.value };
  return { kind: 'capture-start', target: s.target, capture };
}
