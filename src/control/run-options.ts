// run-options.ts — the one table of `umacvlan run`'s options: flag, config-file key, value parser, default, help line.
//
// The argv scanner (args.ts) learns from it which flags exist and which take a value; the config reader
// (config-file.ts) reads the file's keys through the same parsers; the merge (run-config.ts) walks it; `run --help`
// prints its help lines. test/unit/control/option-docs.test.ts holds umacvlan.schema.json and the README's tables to
// it. A key read as a structure of its own (`children`, the `capture` object around its keys) is listed here and read
// by config-file.ts.

import { parseChild } from './child-spec.js';
import { MAC_NAT_OPTION } from './nat-config.js';
import { HOST_PORT_ADDR_OPTION } from './host-port-config.js';
import type { ChildConfig } from './child-config.js';
import { fieldsOf } from './json-fields.js';
import { asBoolean, asInteger, asString, type Json } from './json-strict.js';
import { cap, setting, top, type RunOption } from './run-option-row.js';
import { at, must, problem, UsageError, type Problem } from './usage-error.js';
import { parseMetrics } from '../values/addresses.js';
import {
  captureFileProblem, capturePortProblem, checked, childNameProblem, controlPathProblem, ifNameProblem, netnsProblem,
} from '../values/names.js';
import { parseDecimal } from '../values/numbers.js';
import {
  BUSY_POLL_MAX_US, captureFilterProblem, parseCaptureFormat, parseHostPort, parseLogLevel, parseRotate, ROTATE_MAX_FILES,
  ROTATE_MAX_MB, SNAPLEN_MAX, type CaptureFormat, type CaptureRotate, type HostPortSpec, type LogLevel,
} from '../values/run-settings.js';

export const RUN_DEFAULTS: { readonly log: LogLevel; readonly busyPollUs: number; readonly maxGroups: number } =
  { log: 'normal', busyPollUs: 0, maxGroups: 1024 };
/** The most exact multicast groups a child may hold (a u16, as the option's range) */
export const MAX_GROUPS_LIMIT = 65535;
export type { RunOption } from './run-option-row.js';

export const CAPTURE_DEFAULTS: { readonly port: string; readonly format: CaptureFormat; readonly snaplen: number } =
  { port: 'all', format: 'pcapng', snaplen: SNAPLEN_MAX };

/** `--verbose` and `--quiet`: two flags of one key, `log`; they may not both be given. */
function logSwitch(level: LogLevel, help: string): RunOption {
  const base = setting<LogLevel>({
    flag: `--${level}`, key: 'log', default: `"${RUN_DEFAULTS.log}"`, help, text: parseLogLevel, slot: top('log'),
  });
  return {
    ...base,
    fromFlag: (d) => {
      if (d.log && d.log.value !== level) throw new UsageError(`--${level}`, `cannot be combined with ${d.log.field}`);
      d.log = { value: level, field: `--${level}`, text: '', from: 'flag' };
    },
  };
}

function parseNetnsArg(text: string): { child: string; netns: string } | Problem {
  // The child's name ends at the first "=": a child whose name holds "=" gets its netns in the config file.
  const eq = text.indexOf('=');
  if (eq < 0) return problem('expected NAME=NETNS (a name under /run/netns or an absolute path)');
  const child = text.slice(0, eq);
  const netns = text.slice(eq + 1);
  return childNameProblem(child) ?? netnsProblem(netns) ?? { child, netns };
}

/** The keys of `capture.rotate`, both required. */
export const ROTATE_KEYS = ['sizeMb', 'files'] as const;

const rotateJson = (v: Json, path: string): CaptureRotate => {
  const f = fieldsOf(v, path, 'an object {"sizeMb": N, "files": N}').check(ROTATE_KEYS, ROTATE_KEYS);
  return {
    sizeMb: f.get('sizeMb', asInteger(1, ROTATE_MAX_MB))!.value,
    files: f.get('files', asInteger(1, ROTATE_MAX_FILES))!.value,
  };
};

const sameRotate = (a: CaptureRotate, b: CaptureRotate): boolean => a.sizeMb === b.sizeMb && a.files === b.files;

export const RUN_OPTIONS: readonly RunOption[] = [
  setting({
    flag: '--parent', arg: 'IFNAME', key: 'parent', help: 'the parent interface (required, unless the --config file names it)',
    text: checked(ifNameProblem), slot: top('parent'),
  }),
  {
    flag: '--child', arg: 'SPEC', key: 'children', repeat: true, default: '[]', help: 'a child; repeat for more',
    fromFlag: (d, text) => {
      d.children.push({ value: must<ChildConfig>(parseChild(text, '--child')), field: '--child', text, from: 'flag' });
    },
  },
  {
    flag: '--netns', arg: 'NAME=NETNS', repeat: true,
    help: "move child NAME's TAP into NETNS (a name under /run/netns or an absolute path such as\n" +
      '/proc/PID/ns/net) and bring it up there; repeat for more',
    fromFlag: (d, text) => { d.netns.push({ value: at(parseNetnsArg(text), '--netns', text), field: '--netns', text, from: 'flag' }); },
  },
  {
    flag: '--config', arg: 'FILE',
    help: 'the same settings as JSON (see the README); a flag that disagrees with the file is an\n' +
      'error, children from both are merged if their names differ',
    // Read by args.ts once every flag is scanned: the file is merged, not applied in argv order.
    fromFlag: (_d, text) => { if (text === '') throw new UsageError('--config', 'empty file name'); },
  },
  setting({
    flag: '--capture', arg: 'FILE', key: 'capture.file',
    help: 'capture what the dispatcher sees ("-" = stdout; a bare name goes to ./captures/)',
    text: checked(captureFileProblem), json: asString(captureFileProblem), slot: cap('file'),
  }),
  ...captureOptions(),
  setting({
    flag: '--control', arg: 'PATH', key: 'control', help: 'control socket (default: under /run/umacvlan/)',
    text: checked(controlPathProblem), json: asString(controlPathProblem), slot: top('control'),
  }),
  setting({
    flag: '--metrics', arg: 'ADDR:PORT', key: 'metrics',
    help: 'Prometheus metrics over HTTP; ":PORT" means 127.0.0.1:PORT, IPv6 as [ADDR]:PORT',
    text: parseMetrics, slot: top('metrics'), same: (a, b) => a.host === b.host && a.port === b.port,
  }),
  logSwitch('verbose', 'more log lines on stderr'),
  logSwitch('quiet', 'fewer log lines on stderr ("ready" is printed even with --quiet)'),
  setting({
    flag: '--busy-poll-us', arg: 'N', key: 'busyPollUs', default: String(RUN_DEFAULTS.busyPollUs),
    help: `busy-poll the parent socket for N microseconds (0-${BUSY_POLL_MAX_US}, default 0 = off)`,
    text: (t) => parseDecimal(t, 0, BUSY_POLL_MAX_US, 'busy-poll time in µs'), json: asInteger(0, BUSY_POLL_MAX_US),
    slot: top('busyPollUs'),
  }),
  setting({
    flag: '--max-groups', arg: 'N', key: 'maxGroups', default: String(RUN_DEFAULTS.maxGroups),
    help: `exact multicast groups per child (0-${MAX_GROUPS_LIMIT}, default ${RUN_DEFAULTS.maxGroups}); above it the\n` +
      'child is all-multicast',
    text: (t) => parseDecimal(t, 0, MAX_GROUPS_LIMIT, 'groups per child'), json: asInteger(0, MAX_GROUPS_LIMIT),
    slot: top('maxGroups'),
  }),
  setting<boolean>({
    flag: '--no-gro', key: 'gro', default: 'true',
    help: 'write TCP segments from the parent to a child one by one, as kernel macvlan passes them on;\n' +
      "by default consecutive segments of one flow go to the child's TAP as one GSO frame",
    text: () => false, json: asBoolean, slot: top('gro'),
  }),
  ...persistOptions(),
  MAC_NAT_OPTION,
  ...hostPortOptions(),
];

/** The host's own port among the children (host-port.ts): its name and MAC, and its addresses. */
function hostPortOptions(): RunOption[] {
  return [
    setting<HostPortSpec>({
      flag: '--host-port', arg: 'NAME[:MAC]', key: 'hostPort',
      help: "a bridge child NAME left in the daemon's namespace for the host's own stack, with a host route\n" +
        'through it to every child address the daemon knows (no MAC: one is picked, as for a child)',
      text: parseHostPort, slot: top('hostPort'), same: (a, b) => a.name === b.name && a.mac === b.mac,
    }),
    HOST_PORT_ADDR_OPTION,
  ];
}

/** Children that outlive the daemon: the state file, and the two one-time flags that drop what it holds. */
function persistOptions(): RunOption[] {
  return [
    setting<boolean>({
      flag: '--persist', key: 'persist', default: 'false',
      help: 'children outlive the daemon: persistent TAPs and a state file; a restart adopts them',
      text: () => true, json: asBoolean, slot: top('persist'),
    }),
    setting({
      flag: '--state', arg: 'PATH', key: 'state',
      help: 'the state file of --persist (default: beside the control socket, .state)',
      text: checked(controlPathProblem), json: asString(controlPathProblem), slot: top('state'),
    }),
    {
      flag: '--forget', arg: 'NAME', repeat: true,
      help: 'with --persist: delete child NAME kept in the state file instead of adopting it; repeat for more',
      fromFlag: (d, text) => { d.forget.push({ value: at(checked(childNameProblem)(text), '--forget', text), field: '--forget', text, from: 'flag' }); },
    },
    {
      flag: '--forget-all',
      help: 'delete every child the state file holds, and the file, before starting',
      fromFlag: (d) => { d.forgetAll = { value: true, field: '--forget-all', text: '', from: 'flag' }; },
    },
  ];
}

/** The --capture-* options: of `run`, and of `capture start`, which shares their rows. */
function captureOptions(): RunOption[] {
  return [
    setting({
      flag: '--capture-port', arg: 'P', key: 'capture.port', default: `"${CAPTURE_DEFAULTS.port}"`,
      help: `a child's name, parent, or all (default ${CAPTURE_DEFAULTS.port})`,
      text: checked(capturePortProblem), json: asString(capturePortProblem), slot: cap('port'),
    }),
    setting({
      flag: '--capture-filter', arg: 'EXPR', key: 'capture.filter',
      help: 'tcpdump filter language, compiled by libpcap (needs package libpcap0.8)',
      text: checked(captureFilterProblem), json: asString(captureFilterProblem), slot: cap('filter'),
    }),
    setting({
      flag: '--capture-format', arg: 'F', key: 'capture.format', default: `"${CAPTURE_DEFAULTS.format}"`,
      help: `pcapng (default: one interface per port, direction flags) or pcap`,
      text: parseCaptureFormat, slot: cap('format'),
    }),
    setting({
      flag: '--capture-snaplen', arg: 'N', key: 'capture.snaplen', default: String(CAPTURE_DEFAULTS.snaplen),
      help: `bytes kept per frame, 1-${SNAPLEN_MAX} (default ${CAPTURE_DEFAULTS.snaplen}; the original length is kept)`,
      text: (t) => parseDecimal(t, 1, SNAPLEN_MAX, 'snaplen'), json: asInteger(1, SNAPLEN_MAX), slot: cap('snaplen'),
    }),
    setting({
      flag: '--capture-rotate', arg: 'SIZE_MB:FILES', key: 'capture.rotate',
      help: 'at most FILES files of SIZE_MB x 10^6 bytes, the oldest overwritten',
      text: parseRotate, json: rotateJson, slot: cap('rotate'), same: sameRotate,
    }),
  ];
}

export const CAPTURE_OPTIONS: readonly RunOption[] = RUN_OPTIONS.filter((o) => o.key?.startsWith('capture.') && o.flag !== '--capture');

/** The row of a flag. */
export const runOption = (flag: string): RunOption | undefined => RUN_OPTIONS.find((o) => o.flag === flag);
