// names.ts — the names and paths a user writes: interfaces, ports, network namespaces, the control socket, capture
// files.
//
// Interface names follow the kernel's dev_valid_name (at most IFNAMSIZ-1 bytes, no "/", ":" or space, not "." or
// "..") plus our own: "%" (a TAP name with "%" would be taken as a template by TUNSETIFF) and "parent"/"all" (port
// names of capture and trace).

import { problem, quote, type Problem } from './problem.js';

/** Linux IFNAMSIZ: a name is at most 15 bytes and a NUL. */
const IFNAME_MAX_BYTES = 15;
/** Port names that are not children: capture and trace use them for the parent and every port. */
const RESERVED_PORT_NAMES: readonly string[] = ['parent', 'all'];
/** sizeof(sockaddr_un.sun_path) - 1 */
const CONTROL_PATH_MAX_BYTES = 107;
const PATH_MAX_BYTES = 4095;
const NAME_MAX_BYTES = 255;

const utf8 = new TextEncoder();
/** The kernel counts bytes, not characters (a lone surrogate is the 3 bytes of U+FFFD, as Node writes it). */
const bytes = (s: string): number => utf8.encode(s).length;
export const hasNul = (s: string): boolean => s.includes('\u0000');

/** A checker as a parser: the text itself when it passes. */
export const checked = (check: (s: string) => Problem | null) => (s: string): string | Problem => check(s) ?? s;

/** Rules of an existing interface's name (the parent): the kernel's dev_valid_name() plus our "%" and control chars. */
export function ifNameProblem(name: string): Problem | null {
  if (name.length === 0) return problem('empty name');
  if (bytes(name) > IFNAME_MAX_BYTES) return problem(`name ${quote(name)} is longer than ${IFNAME_MAX_BYTES} bytes`);
  if (name === '.' || name === '..') return problem(`name ${quote(name)} is not allowed`);
  const bad = /[:/%]|\s|[\u0000-\u001f\u007f]/.exec(name);
  if (bad) {
    const what = /\s/.test(bad[0]) ? 'white space' : /[:/%]/.test(bad[0]) ? `"${bad[0]}"` : 'a control character';
    return problem(`name ${quote(name)} contains ${what}`);
  }
  return null;
}

/** A child's name: an interface name that is not a reserved port name. */
export function childNameProblem(name: string): Problem | null {
  const p = ifNameProblem(name);
  if (p) return p;
  if (RESERVED_PORT_NAMES.includes(name)) return problem(`name ${quote(name)} is reserved (it names a port in capture and trace)`);
  return null;
}

/** A port of trace and show: a child's name or "parent". */
export function portNameProblem(name: string): Problem | null {
  return name === 'parent' ? null : childNameProblem(name);
}

/** A port of capture: 'parent', 'all' or something that can be a child's name (whether it exists is checked later). */
export function capturePortProblem(port: string): Problem | null {
  return port === 'parent' || port === 'all' ? null : childNameProblem(port);
}

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

export function captureFileProblem(file: string): Problem | null {
  if (file === '') return problem('empty file name ("-" is the standard output)');
  if (hasNul(file)) return problem('file name contains a NUL byte');
  return bytes(file) > PATH_MAX_BYTES ? problem(`path longer than ${PATH_MAX_BYTES} bytes`) : null;
}
