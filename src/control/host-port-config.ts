// host-port-config.ts — the host port as `run` is told it (--host-port NAME[:MAC], --host-port-addr CIDR): checked
// against the children it stands beside, and the child it is to the kernel's rules (a bridge child in the daemon's
// own namespace).

import { Mode } from '../core/constants.js';
import type { ChildConfig } from './child-config.js';
import { blame, cite, type Said } from './said.js';
import { quote } from './usage-error.js';
import { formatCidr, type Cidr, type HostPortSpec } from './values.js';

export interface HostPortConfig {
  name: string;
  /** 'auto': picked as a child's is (a random locally administered MAC) */
  mac: number | 'auto';
  /** its addresses, in the order given */
  addrs: Cidr[];
}

/** The child the host port is: bridge mode (it reaches bridge siblings locally), no namespace (the host's). */
export const hostPortChild = (s: HostPortSpec): ChildConfig => ({ name: s.name, mac: s.mac, mode: Mode.BRIDGE, flags: 0, macaddr: [] });

/** The host port of a merged draft, or undefined; throws the UsageError of what does not fit. */
export function hostPortConfig(spec: Said<HostPortSpec> | undefined, addrs: readonly Said<Cidr>[],
  children: readonly Said<ChildConfig>[]): HostPortConfig | undefined {
  if (!spec) {
    if (addrs.length) throw blame(addrs[0], 'needs --host-port NAME (config "hostPort"): the port the addresses go on');
    return undefined;
  }
  const taken = children.find((c) => c.value.name === spec.value.name);
  if (taken) throw blame(spec, `name ${quote(spec.value.name)} is already taken by ${cite(taken)}`, 'UMV_ERR_DUP_NAME');
  const seen: Said<Cidr>[] = [];
  for (const a of addrs) {
    // One address twice, even with two prefix lengths, is one address to the kernel (EEXIST on the second).
    const twice = seen.find((o) => o.value.addr === a.value.addr);
    if (twice) throw blame(a, `address ${a.value.addr} is already given by ${cite(twice)} (${formatCidr(twice.value)})`);
    seen.push(a);
  }
  return { name: spec.value.name, mac: spec.value.mac, addrs: addrs.map((a) => ({ ...a.value })) };
}
