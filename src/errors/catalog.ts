// src/errors/catalog.ts — every error code umacvlan reports, and every exit status it ends with, in one table.
//
// A leaf: it imports nothing, so every room (core and wire included) may import it without pulling anything else in.
// Whoever refuses something names a code from here; the exit status a command ends with is read from here (main.ts
// for the command line, control/run.ts for `run`, control/client.ts for the daemon's answers), never chosen again
// beside a throw. The README's "Error codes" table is checked against this file by test/unit/errors/.

/** Process exit status of every umacvlan command. */
export const EXIT = {
  /** done (a daemon stopped by SIGINT/SIGTERM after removing its TAPs also exits 0) */
  OK: 0,
  /** a run-time failure: parent missing, TAP name taken, daemon unreachable, the daemon refused a change */
  FAILURE: 1,
  /** usage or config error: a bad flag, a bad child, an unreadable or invalid --config file */
  USAGE: 2,
  /** not root (CAP_NET_ADMIN is needed to create TAPs and open the parent) */
  NOT_ROOT: 3,
  /** the parent interface was deleted while running; the TAPs were removed */
  PARENT_GONE: 4,
} as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

export interface ErrorInfo {
  /** The errno reported with it — the kernel's answer where the kernel has the same check — or null when none is. */
  readonly errno: string | null;
  /**
   * What `umacvlan` exits with when this error stops it: the command line's parse, the config file's check, `run`,
   * a client that gets no answer; null for an error that never stops a command. A client command (show, add, del,
   * set, trace, capture) whose request the daemon refuses exits as answerExit() says instead.
   */
  readonly exit: ExitStatus | null;
  /** One line: when it is reported. */
  readonly meaning: string;
}

export const CATALOG = {
  // ---- the command line and the config file ----
  UMV_ERR_USAGE: { errno: null, exit: EXIT.USAGE, meaning: 'a malformed or out-of-range flag, command word, child spec or config value' },
  UMV_ERR_CONFIG: { errno: null, exit: EXIT.USAGE, meaning: 'the --config file cannot be read, is larger than 1 MiB, is not UTF-8 or is not JSON' },
  UMV_ERR_CONFLICT: { errno: null, exit: EXIT.USAGE, meaning: 'a flag disagrees with the config file: an error, never a silent override' },

  // ---- the kernel's rules (core/rules.ts; config-file.ts for a whole configuration) ----
  UMV_ERR_BAD_MAC: { errno: 'EADDRNOTAVAIL', exit: EXIT.USAGE, meaning: 'a MAC that is multicast or all zeros (EINVAL when it is not 48 bits)' },
  UMV_ERR_BAD_MODE: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'a mode that is not private, vepa, bridge, passthru or source' },
  UMV_ERR_BAD_VALUE: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'bcqueuelen outside u32 or bclim outside s32' },
  UMV_ERR_DUP_MAC: { errno: 'EADDRINUSE', exit: EXIT.USAGE, meaning: 'the MAC is the parent\'s or an UP sibling\'s (two children with one explicit MAC)' },
  UMV_ERR_DUP_NAME: { errno: 'EEXIST', exit: EXIT.USAGE, meaning: 'another child of this parent has that name' },
  UMV_ERR_FLAGS: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'flag bits other than nopromisc and nodst' },
  UMV_ERR_MODE_CHANGE: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'a mode change to or from passthru' },
  UMV_ERR_MTU: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'an MTU below 68 or above the parent\'s' },
  UMV_ERR_NO_CHILD: { errno: 'ENODEV', exit: EXIT.USAGE, meaning: 'no child of that name (or slot); a --netns or capture port naming a child not configured' },
  UMV_ERR_NO_SLOT: { errno: 'ENOSPC', exit: EXIT.USAGE, meaning: 'every slot of the port table is in use (umacvlan\'s limit; the kernel has none)' },
  UMV_ERR_NOT_SOURCE: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'a macaddr list or operation on a child whose mode is not source' },
  UMV_ERR_NAT_PASSTHRU: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'a passthru child with --mac-nat: the wire would see its MAC' },
  UMV_ERR_PASSTHRU_NOT_ALONE: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'a passthru child beside any other child, passthru or not: it must be its parent\'s only one' },
  UMV_ERR_SOURCE_OP: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'macaddr add or del without exactly one MAC, or flush with one' },

  // ---- the daemon's own refusals ----
  UMV_ERR_HOST_PORT_MODE: { errno: 'EINVAL', exit: EXIT.USAGE, meaning: 'set mode on the host port, which stays a bridge child (del it and add a child of that mode instead)' },
  UMV_ERR_PASSTHRU_MAC: { errno: null, exit: EXIT.USAGE, meaning: 'set mac on a passthru child, which follows its parent: set the parent\'s MAC (the kernel would set it for you)' },
  UMV_ERR_CHILD_GONE: { errno: null, exit: EXIT.USAGE, meaning: 'the child\'s TAP was deleted outside umacvlan: add it again or del it' },

  // ---- run-time failures ----
  UMV_ERR_NOT_ROOT: { errno: 'EPERM', exit: EXIT.NOT_ROOT, meaning: 'run without root: TAPs and AF_PACKET sockets need CAP_NET_ADMIN' },
  UMV_ERR_NO_PARENT: { errno: 'ENODEV', exit: EXIT.FAILURE, meaning: 'the parent interface does not exist or cannot be read' },
  UMV_ERR_TAP: { errno: null, exit: EXIT.FAILURE, meaning: 'a child\'s TAP cannot be made or brought up: its name is taken in its namespace, or the system refused' },
  UMV_ERR_RUNNING: { errno: null, exit: EXIT.FAILURE, meaning: 'a live daemon already serves this control socket' },
  UMV_ERR_METRICS: { errno: null, exit: EXIT.FAILURE, meaning: 'the metrics endpoint cannot listen on the host and port given' },
  UMV_ERR_RUNTIME: { errno: null, exit: EXIT.FAILURE, meaning: 'a failure without a code of its own: a system call refused (the message names it and its errno), or a bug' },

  // ---- the control socket ----
  UMV_ERR_STARTING: { errno: null, exit: EXIT.FAILURE, meaning: 'the daemon is still starting: try again' },
  UMV_ERR_BUSY: { errno: null, exit: EXIT.FAILURE, meaning: 'too many clients at once: try again' },
  UMV_ERR_TIMEOUT: { errno: null, exit: EXIT.FAILURE, meaning: 'a client sent no complete request in time' },
  UMV_ERR_REQUEST: { errno: null, exit: EXIT.FAILURE, meaning: 'a request that is not JSON, empty, too large, or not a command the socket takes' },
  UMV_ERR_CONTROL_PATH: { errno: null, exit: EXIT.FAILURE, meaning: 'the control socket\'s directory is not root\'s or is writable by others, or a non-socket file is at its path' },
  UMV_ERR_PEER: { errno: 'EPERM', exit: EXIT.FAILURE, meaning: 'a control client whose uid is not 0 (SO_PEERCRED), or whose uid cannot be read' },
  UMV_ERR_ANSWER: { errno: null, exit: EXIT.FAILURE, meaning: 'the daemon\'s answer is not JSON (reported by the client)' },

  // ---- capture ----
  UMV_ERR_CAPTURE: { errno: null, exit: EXIT.USAGE, meaning: 'capture stop with no capture running, or a capture start refused for a reason without its own code' },
  UMV_ERR_CAPTURE_RUNNING: { errno: null, exit: EXIT.USAGE, meaning: 'capture start while a capture runs: stop it first' },
  UMV_ERR_CAPTURE_FILTER: { errno: null, exit: EXIT.USAGE, meaning: 'the --capture-filter expression does not compile, or compiles to a program umacvlan cannot run' },
  UMV_ERR_CAPTURE_OPEN: { errno: null, exit: EXIT.USAGE, meaning: 'the capture file cannot be created or its header written (the message has the errno)' },
  UMV_ERR_CAPTURE_UNSAFE: { errno: null, exit: EXIT.USAGE, meaning: 'the capture path is a symlink, a non-regular file, another user\'s, hard-linked, or in an unsafe directory' },
  UMV_ERR_CAPTURE_WRITE: { errno: null, exit: null, meaning: 'a write failed after the start: logged, its frames counted as dropped; the daemon goes on' },
  UMV_ERR_NO_LIBPCAP: { errno: null, exit: EXIT.USAGE, meaning: '--capture-filter without libpcap.so.0.8 on the machine (apt-get install libpcap0.8)' },
  // ---- persistence (a --persist daemon's state file and the children it adopts) ----
  UMV_ERR_STATE_EXISTS: { errno: null, exit: EXIT.FAILURE, meaning: 'run without --persist finds a state file: children of a persistent daemon are there (use --persist, or --forget-all)' },
  UMV_ERR_STATE_CORRUPT: { errno: null, exit: EXIT.FAILURE, meaning: 'the state file cannot be read, is truncated or is not a valid state: nothing is adopted' },
  UMV_ERR_STATE_VERSION: { errno: null, exit: EXIT.FAILURE, meaning: 'the state file has a higher version than this daemon knows' },
  UMV_ERR_STATE_MODE: { errno: 'EINVAL', exit: EXIT.FAILURE, meaning: 'the run configuration changes a kept child\'s mode to or from passthru' },
  UMV_ERR_FOREIGN_TAP: { errno: null, exit: EXIT.FAILURE, meaning: 'a link with a kept child\'s name is not the TAP umacvlan made (another alias or owner): not adopted' },
} as const satisfies Record<`UMV_ERR_${string}`, ErrorInfo>;

/**
 * The CNI specification's error codes (its "Error codes" table): the `code` of the error object a CNI command prints
 * on stdout (src/cni/cni-error.ts). They are the specification's numbers, not ours; the CNI plugin answers with these
 * and never with a UMV_ERR_ code.
 */
export const CNI_CODE = {
  /** the config's cniVersion is one the plugin does not speak, or too low for the command */
  INCOMPATIBLE_VERSION: 1,
  /** a key or value of the network config the plugin does not support (the message names it) */
  UNSUPPORTED_FIELD: 2,
  /** the container or its network namespace does not exist */
  UNKNOWN_CONTAINER: 3,
  /** a required CNI_ environment variable is missing or invalid (the message names it) */
  INVALID_ENV: 4,
  /** reading stdin or talking to a helper failed */
  IO_FAILURE: 5,
  /** the input is not JSON, or not the JSON shape expected */
  DECODE_FAILED: 6,
  /** the network config fails a check */
  INVALID_CONFIG: 7,
  /** a transient condition (no daemon answering): the runtime should try again later */
  TRY_AGAIN_LATER: 11,
  /** STATUS: the plugin cannot serve ADD now */
  NOT_AVAILABLE: 50,
  /** a failure without a code of its own (a system call refused, a bug): the reference library's ErrInternal */
  INTERNAL: 999,
} as const;
export type CniCode = (typeof CNI_CODE)[keyof typeof CNI_CODE];

/** Every code umacvlan reports: a UsageError's, a RuleError's, a CaptureError's, a DaemonError's, an answer's. */
export type ErrorCode = keyof typeof CATALOG;

/** The codes whose entry exits with `S`: a UsageError carries only CodeExiting<2>, so it always exits 2. */
export type CodeExiting<S extends ExitStatus | null> = {
  [K in ErrorCode]: (typeof CATALOG)[K]['exit'] extends S ? K : never;
}[ErrorCode];

/** The codes that can end a command (all but those that are only ever logged). */
export type EndingCode = Exclude<ErrorCode, CodeExiting<null>>;

export const ERROR_CODES = Object.keys(CATALOG) as ErrorCode[];

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(CATALOG, x);
}

/** The code an error carries, if it is one of ours (a SystemError's 'ENOENT' is not). */
export function codeOf(e: unknown): ErrorCode | null {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return isErrorCode(code) ? code : null;
}

/** The status a command exits with when an error with `code` ends it. */
export function exitStatus(code: EndingCode): ExitStatus {
  return CATALOG[code].exit;
}

/**
 * The status a command exits with when `e` ends it: its code's; FAILURE for an error without a code of ours
 * (or with one that, by its entry, never ends a command on its own).
 */
export function exitOf(e: unknown): ExitStatus {
  const code = codeOf(e);
  return (code === null ? null : CATALOG[code].exit) ?? EXIT.FAILURE;
}

/**
 * What a client command exits with when the daemon refuses its request with `code`. The client has already parsed
 * its own words, so a refusal is the daemon's state saying no — a run-time failure, whatever the rule — except
 * UMV_ERR_USAGE: words the daemon will not take at all (`--config` over the socket), a usage error.
 */
export function answerExit(code: ErrorCode): ExitStatus {
  return code === 'UMV_ERR_USAGE' ? EXIT.USAGE : EXIT.FAILURE;
}
