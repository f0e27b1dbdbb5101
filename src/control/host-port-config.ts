// host-port-config.ts — the host port as `run` is told it (--host-port NAME[:MAC], --host-port-addr CIDR): checked
// against the children it stands beside, and the child it is to the kernel's rules (a bridge child in the daemon's
// own namespace).

import { Mode } from '../core/constants.js';
import type { ChildConfig } from './child-config.js';
import { asParsed, describe } from './json-strict.js';
import type { RunOption } from './run-option-row.js';
import { blame, cite, type Said } from './said.js';
import { at, clip, isProblem, problem, quote, UsageError } from './usage-error.js';
import { formatIfAddr, type IfAddr, parseIfAddr } from '../values/addresses.js';
import type { HostPortSpec } from '../values/run-settings.js';

export interface HostPortConfig {
  name: string;
  /** 'auto': picked as a child's is (a random locally administered MAC) */
  mac: number | 'auto';
  /** its addresses, in the order given */
  addrs: IfAddr[];
}

/** The child the host port is: bridge mode (it reaches bridge siblings locally), no namespace (the host's). */
export const hostPortChild = (s: HostPortSpec): ChildConfig => ({ name: s.name, mac: s.mac, mode: Mode.BRIDGE, flags: 0, macaddr: [] });

/** The host port of a merged draft, or undefined; throws the UsageError of what does not fit. */
export function hostPortConfig(spec: Said<HostPortSpec> | undefined, addrs: readonly Said<IfAddr>[],
  children: readonly Said<ChildConfig>[]): HostPortConfig | undefined {
  if (!spec) {
    if (addrs.length) throw blame(addrs[0], 'needs --host-port NAME (config "hostPort"): the port the addresses go on');
    return undefined;
  }
  const taken = children.find((c) => c.value.name === spec.value.name);
  if (taken) throw blame(spec, `name ${quote(spec.value.name)} is already taken by ${cite(taken)}`, 'UMV_ERR_DUP_NAME');
  const seen: Said<IfAddr>[] = [];
  for (const a of addrs) {
    // One address twice, even with two prefix lengths, is one address to the kernel (EEXIST on the second).
    const twice = seen.find((o) => o.value.addr === a.value.addr);
    if (twice) throw blame(a, `address ${a.value.addr} is already given by ${cite(twice)} (${formatIfAddr(twice.value)})`);
    seen.push(a);
  }
  return { name: spec.value.name, mac: spec.value.mac, addrs: addrs.map((a) => ({ ...a.value })) };
}

const sameAddrs = (a: readonly Said<IfAddr>[], b: readonly Said<IfAddr>[]): boolean =>
  a.length === b.length && a.every((c, i) => formatIfAddr(c.value) === formatIfAddr(b[i].value));

/** `--host-port-addr CIDR` (repeatable) and `hostPortAddr: [CIDR]`: one list, from the flags or the file */
export const HOST_PORT_ADDR_OPTION: RunOption = {
  flag: '--host-port-addr', arg: 'CIDR', key: 'hostPortAddr', repeat: true, default: '[]',
  help: 'an address of the host port (198.18.0.1/24, fd00::1/64); repeat for more',
  fromFlag: (d, text) => {
    d.hostPortAddr.push({ value: at(parseIfAddr(text), '--host-port-addr', text), field: '--host-port-addr', text, from: 'flag' });
  },
  fromJson: (d, f, key) => {
    const list = f.get(key, (v) => (Array.isArray(v) ? v : problem(`expected an array of "ADDR/PREFIX" strings, got ${describe(v)}`)));
    list?.value.forEach((item, i) => {
      const field = `${f.at(key)}[${i}]`;
      const c = asParsed(parseIfAddr)(item);
      if (isProblem(c)) throw UsageError.of(c, field);
      d.hostPortAddr.push({ value: c, field, text: JSON.stringify(item), from: 'file' });
    });
  },
  merge: (flags, file, out) => {
    const a = flags.hostPortAddr, b = file.hostPortAddr;
    if (a.length && b.length && !sameAddrs(a, b)) {
      return blame(a[0], `disagrees with ${b[0].field.replace(/\[0\]$/, '')} = ${clip(b.map((c) => formatIfAddr(c.value)).join(', '), 40)}`, 'UMV_ERR_CONFLICT');
    }
    out.hostPortAddr = [...(a.length ? a : b)];
    return null;
  },
};
