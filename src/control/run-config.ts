// run-config.ts — what `umacvlan run` is told to do, and how the two places it is told are merged.
//
// DOC: one model, two sources. The flags (args.ts) and the JSON file (config-file.ts) each produce a RunDraft: only
// what that source said explicitly, each value remembering how to name it in an error (`--parent eth1`,
// `config parent`). buildRunConfig() merges the two — a value given by both must be equal (a flag never silently
// overrides the file), children are concatenated (file first) and must not share a name — then applies the
// defaults of the options table (run-options.ts) and checks the whole configuration with the kernel's rules
// (config-check.ts), so that the daemon never half-starts.

import type { ChildConfig } from './child-config.js';
import { checkWholeConfig } from './config-check.js';
import { checkMacNat, type MacNatConfig } from './nat-config.js';
import { CAPTURE_DEFAULTS, RUN_DEFAULTS, RUN_OPTIONS } from './run-options.js';
import { blame, cite, type Said } from './said.js';
import { must, quote, refusing, UsageError } from './usage-error.js';
import type { IfAddr, MetricsAddr } from '../values/addresses.js';
import type { CaptureFormat, CaptureRotate, HostPortSpec, LogLevel } from '../values/run-settings.js';
import { hostPortChild, hostPortConfig, type HostPortConfig } from './host-port-config.js';

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

export interface RunConfig {
  parent: string;
  children: ChildConfig[];
  capture?: CaptureConfig;
  /** control socket path; absent = the daemon's default under /run/umacvlan/ */
  control?: string;
  metrics?: MetricsAddr;
  log: LogLevel;
  busyPollUs: number;
  /** exact multicast groups per child; above it the child is all-multicast */
  maxGroups: number;
  /** false: --no-gro, segments toward a child one by one (datapath/gro.ts); absent: GRO on */
  gro?: false;
  /** children outlive the daemon (state-file.ts) */
  persist?: boolean;
  /** the state file; absent = beside the default control socket */
  state?: string;
  /** children of the state file to delete at this start instead of adopting them */
  forget?: string[];
  /** delete every child of the state file, and the file, at this start */
  forgetAll?: boolean;
  /** --mac-nat: the wire sees only the parent's MAC (nat-config.ts); absent = off */
  macNat?: MacNatConfig;
  /** the host's own port among the children, its addresses and the routes through it (host-port.ts) */
  hostPort?: HostPortConfig;
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
  maxGroups?: Said<number>;
  gro?: Said<boolean>;
  persist?: Said<boolean>;
  state?: Said<string>;
  /** flags only: they act once, at this start */
  forget: Said<string>[];
  forgetAll?: Said<boolean>;
  macNat?: Said<MacNatConfig | false>;
  hostPort?: Said<HostPortSpec>;
  hostPortAddr: Said<IfAddr>[];
}

export const emptyDraft = (): RunDraft => ({ children: [], netns: [], capture: {}, forget: [], hostPortAddr: [] });

/**
 * Merges the command line with the config file (if any), applies defaults and checks the configuration as a whole.
 * Pure: children are copied, drafts are not changed.
 */
export function buildRunConfig(flags: RunDraft, file: RunDraft | null): RunConfig | UsageError {
  return refusing(() => {
    const f = file ?? emptyDraft();
    // One value per setting: equal or absent in one source, else the flag is blamed.
    const merged = emptyDraft();
    for (const o of RUN_OPTIONS) must(o.merge?.(flags, f, merged) ?? null);
    if (!merged.parent) throw new UsageError('--parent', 'required: the interface to run on (or "parent" in --config FILE)');

    const children = mergeChildren([...f.children, ...flags.children], flags.netns);
    const hostPort = hostPortConfig(merged.hostPort, merged.hostPortAddr, children);
    // The host port is a child to the kernel's rules: a name and MAC of its own, never beside a passthru child.
    checkWholeConfig(merged.hostPort ? [...children, { ...merged.hostPort, value: hostPortChild(merged.hostPort.value) }] : children);
    const config: RunConfig = {
      parent: merged.parent.value,
      children: children.map((c) => c.value),
      log: merged.log?.value ?? RUN_DEFAULTS.log,
      busyPollUs: merged.busyPollUs?.value ?? RUN_DEFAULTS.busyPollUs,
      maxGroups: merged.maxGroups?.value ?? RUN_DEFAULTS.maxGroups,
    };
    // Set only when given: a configuration without persistence reads as it always did.
    if (merged.persist?.value) config.persist = true;
    if (merged.gro?.value === false) config.gro = false;
    if (flags.forget.length) config.forget = flags.forget.map((f) => f.value);
    if (flags.forgetAll) config.forgetAll = true;
    if (flags.forget.length && !config.persist) throw blame(flags.forget[0], 'needs --persist (it acts on the state file)');
    if (flags.forgetAll && flags.forget.length) throw blame(flags.forget[0], 'cannot be combined with --forget-all');
    if (merged.state) config.state = merged.state.value;
    if (hostPort) config.hostPort = hostPort;
    const capture = captureConfig(merged.capture, [...children.map((c) => c.value.name), ...(hostPort ? [hostPort.name] : [])]);
    if (capture) config.capture = capture;
    if (merged.control) config.control = merged.control.value;
    if (merged.metrics) config.metrics = { ...merged.metrics.value };
    const nat = merged.macNat;
    if (nat && nat.value !== false) {
      checkMacNat(nat as Said<MacNatConfig>, children);
      config.macNat = { static: nat.value.static.map((s) => ({ ...s })) };
    }
    return config;
  });
}

/** Children in order, copied, names unique; each `--netns` given to the child it names. Throws its UsageError. */
function mergeChildren(all: readonly Said<ChildConfig>[], netns: RunDraft['netns']): Said<ChildConfig>[] {
  const children: Said<ChildConfig>[] = [];
  for (const c of all) {
    const taken = children.find((o) => o.value.name === c.value.name);
    if (taken) throw blame(c, `name ${quote(c.value.name)} is already taken by ${cite(taken)}`, 'UMV_ERR_DUP_NAME');
    children.push({ ...c, value: { ...c.value, macaddr: [...c.value.macaddr] } });
  }
  const given = new Set<string>();
  for (const n of netns) {
    const child = children.find((c) => c.value.name === n.value.child);
    if (!child) throw blame(n, `no child named ${quote(n.value.child)}`, 'UMV_ERR_NO_CHILD');
    if (given.has(n.value.child)) throw blame(n, `child ${quote(n.value.child)} already has a --netns`);
    given.add(n.value.child);
    const had = child.value.netns;
    if (had !== undefined && had !== n.value.netns) {
      throw blame(n, `disagrees with ${cite(child)}, whose netns is ${quote(had)}`, 'UMV_ERR_CONFLICT');
    }
    child.value.netns = n.value.netns;
  }
  return children;
}

/**
 * A capture draft with its defaults filled: the one place they are, for `run` and `capture start` alike. Undefined
 * when no file is named; `children` are the names `port` may name (undefined: not known here, the daemon checks).
 * Throws its UsageError.
 */
export function captureConfig(d: CaptureDraft, children?: readonly string[]): CaptureConfig | undefined {
  const { file, port, filter, format, snaplen, rotate } = d;
  if (!file) {
    const stray = port ?? filter ?? format ?? snaplen ?? rotate;
    if (stray) throw blame(stray, 'needs --capture FILE');
    return undefined;
  }
  if (port && children && port.value !== 'parent' && port.value !== 'all' && !children.includes(port.value)) {
    throw blame(port, `no child named ${quote(port.value)} (a child's name, parent or all)`, 'UMV_ERR_NO_CHILD');
  }
  if (rotate && file.value === '-') throw blame(rotate, 'the standard output ("-") cannot be rotated');
  const capture: CaptureConfig = {
    file: file.value,
    port: port?.value ?? CAPTURE_DEFAULTS.port,
    format: format?.value ?? CAPTURE_DEFAULTS.format,
    snaplen: snaplen?.value ?? CAPTURE_DEFAULTS.snaplen,
  };
  if (filter) capture.filter = filter.value;
  if (rotate) capture.rotate = { ...rotate.value };
  return capture;
}
