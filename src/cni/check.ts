// check.ts — CHECK's pure part: does what the namespace holds now match the prevResult? The daemon gathers what it
// sees (the link named CNI_IFNAME, its MAC and mode, its addresses and the namespace's routes); this says whether
// that is what ADD made, naming the first difference in the reference plugin's words.
//
// As in the reference: the interface is found in prevResult by name and sandbox; its MAC is compared when recorded;
// the mode is the config's; each prevResult address must be on the link with its prefix; each route must be in the
// table (by destination, and by gateway when one is recorded). Extra addresses and routes are allowed: a later
// plugin in the chain may have added them.

import { CNI_CODE, CniError } from './cni-error.js';
import { formatCidr, parseCidr, sameIp, sameNet, type Cidr } from '../wire/ip-address.js';
import type { Result } from './result.js';

export interface Seen {
  ifname: string;
  /** the link's MAC, as any case of xx:xx:xx:xx:xx:xx */
  mac: string;
  /** the child's mode as the daemon holds it */
  mode: string;
  /** the link's addresses, ADDRESS/PREFIX */
  addrs: string[];
  /** the namespace's routes */
  routes: Array<{ dst: string; gw?: string }>;
}

export interface Expected {
  /** CNI_NETNS: the prevResult's interface must name it as its sandbox */
  sandbox?: string;
  /** the config's mode */
  mode?: string;
}

const fail = (msg: string): CniError => new CniError(CNI_CODE.INVALID_CONFIG, msg);

function cidrOf(text: string): Cidr {
  const c = parseCidr(text);
  if (c === null) throw fail(`${JSON.stringify(text)} is not ADDRESS/PREFIX`);
  return c;
}

const sameCidr = (a: Cidr, b: Cidr): boolean => a.prefix === b.prefix && sameIp(a.ip, b.ip);

function sameGw(want: string | undefined, got: string | undefined): boolean {
  if (want === undefined) return true;
  if (got === undefined) return false;
  const w = cidrOf(`${want}/0`).ip, g = cidrOf(`${got}/0`).ip;
  return sameIp(w, g);
}

export function checkAgainst(prev: Result, seen: Seen, expect: Expected = {}): void {
  const intf = prev.interfaces?.find((i) => i.name === seen.ifname && (expect.sandbox === undefined || i.sandbox === expect.sandbox));
  if (intf === undefined) {
    throw fail(`sandbox in prevResult doesn't match configured netns: ${expect.sandbox ?? ''} (no interface ${seen.ifname} there)`);
  }
  if (!intf.sandbox) throw fail(`error: Container interface ${seen.ifname} should not be in host namespace`);
  if (expect.mode !== undefined && expect.mode !== seen.mode) {
    throw fail(`container macvlan mode ${seen.mode} does not match expected value: ${expect.mode}`);
  }
  if (intf.mac && intf.mac.toLowerCase() !== seen.mac.toLowerCase()) {
    throw fail(`interface ${intf.name} Mac ${intf.mac} doesn't match container Mac: ${seen.mac.toLowerCase()}`);
  }
  const have = seen.addrs.map(cidrOf);
  for (const ip of prev.ips ?? []) {
    const want = cidrOf(ip.address);
    if (!have.some((h) => sameCidr(h, want))) throw fail(`Failed to match addr ${formatCidr(want)} on interface ${seen.ifname}`);
  }
  const table = seen.routes.map((r) => ({ dst: cidrOf(r.dst), gw: r.gw }));
  for (const r of prev.routes ?? []) {
    const dst = cidrOf(r.dst);
    if (!table.some((t) => sameNet(t.dst, dst) && sameGw(r.gw, t.gw))) {
      throw fail(`Expected Route {Dst:${formatCidr(dst)} GW:${r.gw ?? '<nil>'}} not found in routing table`);
    }
  }
}
