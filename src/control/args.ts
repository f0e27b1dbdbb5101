// args.ts — argv → a typed Command, or one UsageError (exit 2). No I/O except reading `--config FILE`.
//
//   umacvlan run --parent IFNAME [--child NAME:MAC:MODE[:OPTION...]]... [--netns NAME=NETNS]... [--config FILE]
//                [--capture FILE [--capture-port P] [--capture-filter EXPR] [--capture-format F]
//                 [--capture-snaplen N] [--capture-rotate SIZE_MB:FILES]]
//                [--control PATH] [--metrics ADDR:PORT] [--verbose | --quiet] [--busy-poll-us N]
//                [--persist [--state PATH] [--forget NAME]...] [--forget-all]
//   umacvlan show [NAME] [--json] | add CHILD | del NAME | set NAME CHANGE... | trace ... | capture start FILE | stop
//   umacvlan stop [--remove-children]
//   (clients also take --parent NAME or --control PATH to find the daemon)
//   umacvlan --version | --help | CMD --help
//
// How argv is cut is argv-scan.ts's; `run`'s options are the rows of run-options.ts; the client commands are in
// client-commands.ts. `--help` anywhere before `--` wins over everything else on the line, so a user can always ask.

import type { ChildConfig } from './child-config.js';
import { parseAdd, parseCapture, parseDel, parseSet, parseShow, parseStop, parseTrace, type SetChange } from './client-commands.js';
import { loadConfigFile, readConfigText } from './config-file.js';
import { COMMAND_NAMES, type HelpTopic } from './help.js';
import { scan, unexpected, type DaemonTarget } from './argv-scan.js';
import { buildRunConfig, emptyDraft, type CaptureConfig, type RunConfig } from './run-config.js';
import { runOption } from './run-options.js';
import { clip, must, quote, refusing, UsageError } from './usage-error.js';
import { parseCniArgs } from './cni-install.js';
import type { CniRef } from './cni-ref.js';

const cniInstall = (args: readonly string[]): Command | UsageError => {
  const r = parseCniArgs(args);
  return r instanceof UsageError ? r : { kind: 'cni-install', dir: r.dir };
};

export type { DaemonTarget } from './argv-scan.js';
export type { SetChange } from './client-commands.js';

export type Command =
  | { kind: 'help'; topic?: HelpTopic }
  | { kind: 'version' }
  | { kind: 'run'; config: RunConfig }
  | { kind: 'show'; target: DaemonTarget; name?: string; json: boolean; cni?: CniRef }
  | { kind: 'add'; target: DaemonTarget; child: ChildConfig }
  /** with `cni` (--cni CONTAINERID/IFNAME) the name is '' and the daemon finds the child (cni-ref.ts) */
  | { kind: 'del'; target: DaemonTarget; name: string; cni?: CniRef }
  | { kind: 'set'; target: DaemonTarget; name: string; change: SetChange; cni?: CniRef }
  | { kind: 'trace'; target: DaemonTarget; in: string; dst: number; src?: number; vlan?: number; len?: number }
  | { kind: 'capture-start'; target: DaemonTarget; capture: CaptureConfig }
  | { kind: 'capture-stop'; target: DaemonTarget }
  | { kind: 'stop'; target: DaemonTarget; removeChildren: boolean }
  | { kind: 'cni-install'; dir: string };

export type ReadConfig = (path: string) => string | UsageError;

/**
 * Parses the arguments after the program name (process.argv.slice(2)). Never throws.
 * `read` reads the --config file; tests pass their own.
 */
export function parseCommand(argv: readonly string[], read: ReadConfig = readConfigText): Command | UsageError {
  if (argv.length === 0) return new UsageError('umacvlan', 'no command (run, show, add, del, set, trace, capture, stop; see --help)');
  const [first, ...rest] = argv;
  if (first === '--help') return { kind: 'help' };
  if (first === '--version') {
    return rest.length === 0 ? { kind: 'version' } : new UsageError('--version', `takes no arguments, got ${quote(rest[0])}`);
  }
  const cmd = COMMAND_NAMES.find((c) => c === first);
  if (cmd === undefined) {
    if (first === '') return new UsageError('umacvlan', 'empty command (run, show, add, del, set, trace, capture, stop)');
    return first.startsWith('-')
      ? new UsageError(clip(first), 'unknown option (the command comes first: umacvlan run ..., see --help)')
      : new UsageError(clip(first), 'unknown command (run, show, add, del, set, trace, capture, stop; see --help)');
  }
  const end = rest.indexOf('--');
  if ((end < 0 ? rest : rest.slice(0, end)).includes('--help')) return { kind: 'help', topic: cmd };
  return refusing((): Command => {
    switch (cmd) {
      case 'run': return parseRun(rest, read);
      case 'show': return parseShow(rest);
      case 'add': return parseAdd(rest);
      case 'del': return parseDel(rest);
      case 'set': return parseSet(rest);
      case 'trace': return parseTrace(rest);
      case 'capture': return parseCapture(rest);
      case 'stop': return parseStop(rest);
      case 'cni': return must(cniInstall(rest));
    }
  });
}

function parseRun(args: readonly string[], read: ReadConfig): Command {
  const s = scan('run', args);
  if (s.pos.length > 0) throw unexpected('run', s.pos[0], ' (children are given with --child)');
  const flags = emptyDraft();
  let configPath: string | undefined;
  for (const o of s.occ) {
    runOption(o.name)!.fromFlag(flags, o.value ?? '');
    if (o.name === '--config') configPath = o.value;
  }
  const file = configPath === undefined ? null : must(loadConfigFile(configPath, read));
  return { kind: 'run', config: must(buildRunConfig(flags, file)) };
}
