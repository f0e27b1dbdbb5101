// client-commands.ts — the commands a client sends to a running daemon: show, add, del, set, trace, capture, stop.
// Each reads its words and options and throws the UsageError of the first bad one (args.ts catches it).

import type { ModeBit } from '../core/constants.js';
import { clientScan, take, unexpected, type Occurrence } from './argv-scan.js';
import type { Command } from './args.js';
import { parseChild } from './child-spec.js';
import { FLAG_OPTIONS, flagProblem, isFlagName, type FlagName } from '../values/child-flags.js';
import { captureConfig, emptyDraft } from './run-config.js';
import { parseCniRef, type CniRef } from './cni-ref.js';
import { CAPTURE_OPTIONS } from './run-options.js';
import { at, isProblem, must, problem, quote, UsageError, type Problem } from './usage-error.js';
import { parseAnyMac, parseMacList, parseMode, parseUnicastMac } from '../values/macs-modes.js';
import { captureFileProblem, checked, childNameProblem, portNameProblem } from '../values/names.js';
import { onOff, parseBcLim, parseBcQueueLen, parseDecimal, parseMtu } from '../values/numbers.js';

export type SetChange =
  | { what: 'mode'; mode: ModeBit }
  | { what: 'mac'; mac: number }
  | { what: 'mtu'; mtu: number }
  | { what: 'bcqueuelen'; n: number }
  | { what: 'bclim'; n: number }
  | { what: FlagName; on: boolean }
  | { what: 'macaddr'; op: 'add' | 'del'; mac: number }
  | { what: 'macaddr'; op: 'set'; macs: number[] }
  | { what: 'macaddr'; op: 'flush' };

/** At most `max` positional words, the extra one named. */
function atMost(cmd: string, pos: readonly string[], max: number, hint: string): void {
  if (pos.length > max) throw unexpected(cmd, pos[max], hint);
}

/** The --cni occurrence's reference (the last one given), if any */
function cniOption(o: Occurrence, into: { cni?: CniRef }): boolean {
  if (o.name !== '--cni') return false;
  into.cni = take(o, parseCniRef);
  return true;
}

export function parseShow(args: readonly string[]): Command {
  let json = false;
  const ref: { cni?: CniRef } = {};
  const s = clientScan('show', args, (o) => { if (!cniOption(o, ref)) json = true; });
  atMost('show', s.pos, ref.cni ? 0 : 1, ref.cni ? ' (--cni names the port)' : ' (one port name at most)');
  const cmd: Command = { kind: 'show', target: s.target, json, ...ref };
  if (s.pos.length === 1) cmd.name = at(checked(portNameProblem)(s.pos[0]), 'show', s.pos[0]);
  return cmd;
}

export function parseAdd(args: readonly string[]): Command {
  const s = clientScan('add', args);
  if (s.pos.length === 0) throw new UsageError('add', 'needs a child: NAME:MAC:MODE[:OPTION...]');
  atMost('add', s.pos, 1, ' (one child per add)');
  return { kind: 'add', target: s.target, child: must(parseChild(s.pos[0], 'add')) };
}

export function parseDel(args: readonly string[]): Command {
  const ref: { cni?: CniRef } = {};
  const s = clientScan('del', args, (o) => { cniOption(o, ref); });
  if (ref.cni) {
    atMost('del', s.pos, 0, ' (--cni names the child)');
    return { kind: 'del', target: s.target, name: '', cni: ref.cni };
  }
  if (s.pos.length === 0) throw new UsageError('del', "needs the child's name");
  atMost('del', s.pos, 1, ' (one child per del)');
  return { kind: 'del', target: s.target, name: at(checked(childNameProblem)(s.pos[0]), 'del', s.pos[0]) };
}

const SET_FORMS = `mode MODE | mac MAC | mtu N | bcqueuelen N | bclim N | ${FLAG_OPTIONS.map((f) => `${f.name} on|off | `).join('')}` +
  'macaddr add|del MAC | macaddr set MAC[,MAC...] | macaddr flush';

/** The one value of a `set NAME WHAT VALUE` form, converted. */
const single = <T>(what: string, vals: readonly string[], parse: (s: string) => T | Problem): T | Problem => {
  if (vals.length < 1) return problem(`${what} needs a value`);
  if (vals.length > 1) return problem(`unexpected ${quote(vals[1])} after ${what}`);
  return parse(vals[0]);
};

export function parseSet(args: readonly string[]): Command {
  const ref: { cni?: CniRef } = {};
  const s = clientScan('set', args, (o) => { cniOption(o, ref); });
  const [name, what, ...vals] = ref.cni ? ['', ...s.pos] : s.pos;
  if (name === undefined) throw new UsageError('set', `needs NAME and a change: ${SET_FORMS}`);
  const fail = <T>(r: T | Problem): T => at(r, 'set', s.pos.join(' '));
  if (!ref.cni) fail(childNameProblem(name) ?? name);
  if (what === undefined) fail(problem(`needs a change: ${SET_FORMS}`));
  const change = ((): SetChange | Problem => {
    const map = <T>(r: T | Problem, to: (v: T) => SetChange): SetChange | Problem => (isProblem(r) ? r : to(r));
    switch (what) {
      case 'mode': return map(single(what, vals, parseMode), (mode) => ({ what, mode }));
      case 'mac': return map(single(what, vals, parseUnicastMac), (mac) => ({ what, mac }));
      case 'mtu': return map(single(what, vals, parseMtu), (mtu) => ({ what, mtu }));
      case 'bcqueuelen': return map(single(what, vals, parseBcQueueLen), (n) => ({ what, n }));
      case 'bclim': return map(single(what, vals, parseBcLim), (n) => ({ what, n }));
      case 'macaddr': return macaddrChange(vals);
      default:
        if (isFlagName(what)) return map(single(what, vals, onOff), (on) => ({ what, on }));
        return problem(`unknown change ${quote(what)} (${SET_FORMS})`);
    }
  })();
  return { kind: 'set', target: s.target, name, change: fail(change), ...ref };
}

/**
 * What `set NAME CHANGE` may not do to a child of `mode`, though the kernel would take it: a flag its mode does not
 * allow (iproute2's nopromisc rule, core/rules.ts checkNopromiscMode), the check `add NAME:MAC:MODE:FLAG` meets in
 * parseChild. The daemon asks, since only it knows the mode; the refusal reads as the command line's own.
 */
export function setRefusal(name: string, change: SetChange, mode: ModeBit): UsageError | null {
  if (!('on' in change) || !change.on) return null;
  const p = flagProblem(change.what, mode);
  return p ? UsageError.of(p, 'set', `${name} ${change.what} on`) : null;
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

export function parseTrace(args: readonly string[]): Command {
  const got: { in?: string; dst?: number; src?: number; vlan?: number; len?: number } = {};
  const s = clientScan('trace', args, (o: Occurrence) => {
    switch (o.name) {
      case '--in': got.in = take(o, checked(portNameProblem)); break;
      case '--dst': got.dst = take(o, parseAnyMac); break;
      case '--src': got.src = take(o, parseAnyMac); break;
      case '--vlan': got.vlan = take(o, (t) => parseDecimal(t, 0, 4095, 'VLAN id')); break;
      default: got.len = take(o, (t) => parseDecimal(t, 0, 65535, 'frame length'));
    }
  });
  if (s.pos.length > 0) throw unexpected('trace', s.pos[0]);
  if (got.in === undefined) throw new UsageError('--in', 'required: the port the frame arrives on (a child or parent)');
  if (got.dst === undefined) throw new UsageError('--dst', "required: the frame's destination MAC");
  const cmd: Command = { kind: 'trace', target: s.target, in: got.in, dst: got.dst };
  if (got.src !== undefined) cmd.src = got.src;
  if (got.vlan !== undefined) cmd.vlan = got.vlan;
  if (got.len !== undefined) cmd.len = got.len;
  return cmd;
}

export function parseStop(args: readonly string[]): Command {
  let removeChildren = false;
  const s = clientScan('stop', args, () => { removeChildren = true; }); // --remove-children is its only other option
  atMost('stop', s.pos, 0, ' (stop takes no arguments)');
  return { kind: 'stop', target: s.target, removeChildren };
}

export function parseCapture(args: readonly string[]): Command {
  const d = emptyDraft();
  const s = clientScan('capture', args, (o) => CAPTURE_OPTIONS.find((c) => c.flag === o.name)!.fromFlag(d, o.value!));
  const [op, file, extra] = s.pos;
  if (op === 'stop') {
    if (file !== undefined) throw unexpected('capture', file, ' (capture stop takes no arguments)');
    const stray = Object.values(d.capture).find((v) => v !== undefined);
    if (stray) throw new UsageError(stray.field, 'is for capture start, not stop');
    return { kind: 'capture-stop', target: s.target };
  }
  if (op !== 'start') {
    throw op === undefined ? new UsageError('capture', 'needs start FILE or stop')
      : new UsageError('capture', `unknown operation ${quote(op)} (start FILE or stop)`);
  }
  if (file === undefined) throw new UsageError('capture', 'start needs a FILE');
  if (extra !== undefined) throw unexpected('capture', extra, ' (one FILE)');
  at(captureFileProblem(file) ?? file, 'capture start', file);
  // The daemon's stdout may already carry a stream (or nothing at all under systemd); a second pcap header in the
  // middle of it would make it unreadable.
  if (file === '-') throw new UsageError('capture start', 'the standard output ("-") is for run --capture only', 'UMV_ERR_USAGE', file);
  d.capture.file = { value: file, field: 'capture start', text: file, from: 'flag' };
  return { kind: 'capture-start', target: s.target, capture: captureConfig(d.capture)! };
}
