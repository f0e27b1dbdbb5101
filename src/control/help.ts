// help.ts — what `umacvlan --help` and `umacvlan CMD --help` print, and the exit codes they promise.
// The exit-code lines are generated from EXIT, the run options from RUN_OPTIONS and the child options from
// CHILD_OPTIONS, so the text and the code cannot disagree.

import { MTU_MIN } from '../core/rules.js';
import { FLAG_OPTIONS } from '../values/child-flags.js';
import { CHILD_OPTIONS } from './child-config.js';
import { CAPTURE_OPTIONS, RUN_OPTIONS, type RunOption } from './run-options.js';

export const COMMAND_NAMES = ['run', 'show', 'add', 'del', 'set', 'trace', 'capture', 'stop', 'cni'] as const;
export type HelpTopic = (typeof COMMAND_NAMES)[number];

import { EXIT } from '../errors/catalog.js';

/** Process exit status of every umacvlan command: errors/catalog.ts, their one home. */
export { EXIT, type ExitStatus as ExitCode } from '../errors/catalog.js';

const EXIT_TEXT =
`Exit status:
  ${EXIT.OK}  success
  ${EXIT.FAILURE}  run-time failure (e.g. the parent is missing, a TAP name is taken, no daemon answers)
  ${EXIT.USAGE}  usage or config error (one line on stderr names the bad option or config key)
  ${EXIT.NOT_ROOT}  not root
  ${EXIT.PARENT_GONE}  the parent was deleted while running (the TAPs have been removed)`;

const CHILD_TEXT =
`A child is NAME:MAC:MODE[:OPTION...]
  NAME    1-15 bytes, no ":" "/" "%" or white space, not "parent" or "all" (the TAP's name)
  MAC     six hex pairs (02:00:00:00:00:01) or "auto" (random, locally administered, unicast);
          a passthru child takes the parent's MAC whatever is given
  MODE    private | vepa | bridge | passthru | source
${optionLines()}
  e.g. a:02:00:00:00:00:01:bridge   b:auto:vepa:mtu=1400   t:02:00:00:00:00:09:passthru:nopromisc
       s0:02:00:00:00:00:05:source:macaddr=02:aa:00:00:00:01,02:aa:00:00:00:02:nodst`;

/** Option lines: the flag and its value's placeholder in a column `width` wide, then the help, its lines aligned. */
function optionTable(rows: readonly RunOption[], width: number): string {
  return rows.map((o) => {
    const head = `  ${o.flag}${o.arg ? ` ${o.arg}` : ''}`;
    const pad = head.length + 2 <= width ? ' '.repeat(width - head.length) : '  ';
    return `${head}${pad}${o.help.replaceAll('\n', `\n${' '.repeat(width)}`)}`;
  }).join('\n');
}

/** The OPTION lines of the child grammar. */
function optionLines(): string {
  return CHILD_OPTIONS.map((o, i) => {
    const word = o.arg ? `${o.name}=${o.arg}` : o.name;
    return `${i === 0 ? '  OPTION  ' : '          '}${word.padEnd(22)}${o.help}`;
  }).join('\n');
}

const FIND_TEXT =
`Finding the daemon:
  --parent NAME      the daemon running on parent NAME
  --control PATH     the daemon listening on control socket PATH
  (neither: the only daemon running; if several run, the error lists them)`;

const CAPTURE_OPTS = optionTable(CAPTURE_OPTIONS, 31);

const TEXTS: Record<HelpTopic | 'main', string> = {
  main:
`umacvlan - the Linux macvlan driver in userspace: one parent NIC, one TAP per child, the kernel's forwarding rules

Usage:
  umacvlan run --parent IFNAME [--child NAME:MAC:MODE[:OPTION...]]... [options]   start the daemon (root)
  umacvlan show [NAME] [--json]             ports, MACs, modes, link state, counters
  umacvlan add NAME:MAC:MODE[:OPTION...]    add a child to a running daemon
  umacvlan del NAME                         remove a child
  umacvlan set NAME CHANGE                  change a child (mode, mac, mtu, nodst, nopromisc, macaddr, bcqueuelen, bclim)
  umacvlan trace --in PORT --dst MAC [...]  where would such a frame go, and why (nothing is sent)
  umacvlan capture start FILE [...] | stop  capture on a running daemon
  umacvlan stop [--remove-children]         stop a running daemon (--persist: its children stay unless removed)
  umacvlan cni install [--dir DIR]          write the CNI plugin "umacvlan" into DIR (default /opt/cni/bin)
  umacvlan --version
  umacvlan --help | umacvlan COMMAND --help

Options take their value as "--opt value" or "--opt=value".

${EXIT_TEXT}`,

  run:
`Usage: umacvlan run --parent IFNAME [--child NAME:MAC:MODE[:OPTION...]]... [options]

Runs the daemon: binds the parent, creates one TAP per child, forwards under the kernel's macvlan rules, and
prints "ready" on stderr (and READY=1 to systemd when NOTIFY_SOCKET is set) once every TAP is up.
SIGINT or SIGTERM stops it and removes its TAPs (with --persist they stay, and the next start adopts them).
Without --child it starts with no children (add them later).

${optionTable(RUN_OPTIONS, 26)}

${CHILD_TEXT}

Two children may not share a name or an explicit MAC; a passthru child must be the parent's only child.

${EXIT_TEXT}`,

  show:
`Usage: umacvlan show [NAME | --cni CONTAINERID/IFNAME] [--json] [--parent NAME | --control PATH]

Every port (or port NAME; "parent" is the parent): name, MAC, mode, link state, MTU, source allow-list, and
counters: rx/tx packets and bytes, broadcast/multicast, drops by reason.
  --json    one JSON document instead of text
  --cni     the CNI child serving that container's interface (its attachment is shown with it)

${FIND_TEXT}

${EXIT_TEXT}`,

  add:
`Usage: umacvlan add NAME:MAC:MODE[:OPTION...] [--parent NAME | --control PATH]

Adds a child to a running daemon, as "ip link add ... type macvlan" would; the kernel's rules apply.

${CHILD_TEXT}

${FIND_TEXT}

${EXIT_TEXT}`,

  del:
`Usage: umacvlan del NAME | --cni CONTAINERID/IFNAME [--parent NAME | --control PATH]

Removes child NAME and its TAP. (A name starting with "-" goes after "--": umacvlan del -- -x)
--cni names a CNI child by the container's interface it serves (its IPAM lease is not released: that is CNI DEL's).

${FIND_TEXT}

${EXIT_TEXT}`,

  set:
`Usage: umacvlan set NAME CHANGE | --cni CONTAINERID/IFNAME CHANGE [--parent NAME | --control PATH]

CHANGE is one of:
  mode MODE                 private | vepa | bridge | source (to or from passthru is refused, as by the kernel;
                            leaving source mode flushes the allow-list)
  mac MAC                   a unicast MAC not used by the parent or another child
  mtu N                     ${MTU_MIN} up to the parent's MTU
  bcqueuelen N              the broadcast queue this child asks for, 0 to 4294967295 (the port's is the largest)
  bclim N                   the port's broadcast cutoff, -2147483648 to 2147483647 (negative: nothing queued)
${FLAG_OPTIONS.map((f) => `  ${`${f.name} on|off`.padEnd(26)}${f.help}`).join('\n')}
  macaddr add MAC           source-mode allow-list: add one MAC
  macaddr del MAC           remove one MAC
  macaddr set MAC[,MAC...]  replace the list
  macaddr flush             empty the list

${FIND_TEXT}

${EXIT_TEXT}`,

  trace:
`Usage: umacvlan trace --in PORT --dst MAC [--src MAC] [--vlan ID] [--len N] [--parent NAME | --control PATH]

Asks the running daemon where a frame would go and which rule decides it. Nothing is sent.
  --in PORT   where the frame arrives: a child's name or parent
  --dst MAC   destination MAC (unicast, multicast or ff:ff:ff:ff:ff:ff)
  --src MAC   source MAC (default: the MAC of the --in port)
  --vlan ID   an 802.1Q tag, 0-4095
  --len N     frame length in bytes, 0-65535 (lengths decide runt and oversize drops)

${FIND_TEXT}

${EXIT_TEXT}`,

  capture:
`Usage: umacvlan capture start FILE [options] | umacvlan capture stop   [--parent NAME | --control PATH]

Starts or stops a capture on a running daemon. FILE is written by the daemon (a bare name goes to its
./captures/); the standard output ("-") is only for run --capture.
${CAPTURE_OPTS}

${FIND_TEXT}

${EXIT_TEXT}`,

  cni:
`Usage: umacvlan cni install [--dir DIR]

Writes the umacvlan CNI plugin (a static executable, built at npm ci) as DIR/umacvlan, atomically and mode 0755,
and prints its path; DIR defaults to /opt/cni/bin. Container runtimes run it for a network whose config has
"type": "umacvlan": it hands each call to the daemon of the config's "master" (or of the default route's interface)
over its control socket, or to the socket the optional "control" key names. No daemon answering: error 11, except
DEL, which it completes itself (the link in CNI_NETNS, the IPAM plugin's DEL) and STATUS, which answers 50.

${EXIT_TEXT}`,

  stop:
`Usage: umacvlan stop [--remove-children] [--parent NAME | --control PATH]

Asks a running daemon to stop, as SIGTERM does. A --persist daemon leaves its children (they lose carrier until
the next start adopts them); with --remove-children it deletes them and its state file.

${FIND_TEXT}

${EXIT_TEXT}`,
};

/** The help text for `topic` (the main help without one), ending with a newline. */
export function helpText(topic?: HelpTopic): string {
  return `${TEXTS[topic ?? 'main']}\n`;
}
