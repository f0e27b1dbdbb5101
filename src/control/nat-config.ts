// nat-config.ts — `--mac-nat` and the config file's `macNat` (true, false, or {"static": [{"ip", "child"}]}): the
// row of RUN_OPTIONS, and the check of the whole configuration it needs (no passthru child; static entries name
// known children, once per address).

import { addrWords, addrText } from '../core/nat-address.js';
import { MODE_NAMES, Mode } from '../core/constants.js';
import type { ChildConfig } from './child-config.js';
import { fieldsOf } from './json-fields.js';
import { describe, type Json } from './json-strict.js';
import type { RunOption } from './run-option-row.js';
import { blame, cite, type Said } from './said.js';
import { problem, quote, type Problem } from './usage-error.js';
import { childNameProblem } from '../values/names.js';

export interface NatStatic { ip: string; child: string }
export interface MacNatConfig { static: NatStatic[] }

export const MAC_NAT_STATIC_KEYS = ['ip', 'child'] as const;

function staticEntry(v: Json, path: string): NatStatic {
  const f = fieldsOf(v, path, 'an object {"ip": ADDRESS, "child": NAME}').check(MAC_NAT_STATIC_KEYS, MAC_NAT_STATIC_KEYS);
  const ip = f.get('ip', (x) => {
    if (typeof x !== 'string') return problem(`expected an IPv4 or IPv6 address, got ${describe(x)}`);
    const w = addrWords(x);
    return w === null ? problem(`${quote(x)} is not an IPv4 or IPv6 address`) : addrText(w);
  })!.value;
  const child = f.get('child', (x) => (typeof x !== 'string' ? problem(`expected a child's name, got ${describe(x)}`)
    : childNameProblem(x) ?? x))!.value;
  return { ip, child };
}

/** `macNat` in the file: true, false or an object, which turns it on */
export function macNatJson(v: Json, path: string): MacNatConfig | false | Problem {
  if (v === true) return { static: [] };
  if (v === false) return false;
  const f = fieldsOf(v, path, 'true, false or an object {"static": [...]}').check(['static']);
  const list = f.get('static', (x, at) => {
    if (!Array.isArray(x)) return problem(`expected an array, got ${describe(x)}`);
    return x.map((e, i) => staticEntry(e, `${at}[${i}]`));
  });
  return { static: list?.value ?? [] };
}

export const MAC_NAT_OPTION: RunOption = {
  flag: '--mac-nat', key: 'macNat', default: 'false',
  help: 'the wire sees only the parent\'s MAC: children are told apart by their IP addresses (for\n' +
    'parents that accept one MAC: Wi-Fi, clouds, hypervisors); refused with a passthru child',
  fromFlag: (d) => { d.macNat = { value: { static: [] }, field: '--mac-nat', text: '', from: 'flag' }; },
  fromJson: (d, f, key) => {
    const r = f.get(key, macNatJson);
    if (r) d.macNat = { ...r, from: 'file' };
  },
  merge: (flags, file, out) => {
    const a = flags.macNat;
    const b = file.macNat;
    if (a && b && b.value === false) return blame(a, `disagrees with ${b.field} = false`, 'UMV_ERR_CONFLICT');
    const v = b ?? a;  // the file's object holds the static entries; the flag only turns it on
    if (v) out.macNat = v;
    return null;
  },
};

/** The configuration with --mac-nat on: no passthru child, static entries of known children, each address once */
export function checkMacNat(nat: Said<MacNatConfig>, children: readonly Said<ChildConfig>[]): void {
  const pt = children.find((c) => c.value.mode === Mode.PASSTHRU);
  if (pt) {
    throw blame(nat, `cannot be combined with a ${MODE_NAMES[Mode.PASSTHRU]} child (${cite(pt)}): the wire would see its MAC`,
      'UMV_ERR_NAT_PASSTHRU');
  }
  const seen = new Set<string>();
  for (const s of nat.value.static) {
    if (!children.some((c) => c.value.name === s.child)) {
      throw blame(nat, `static address ${s.ip}: no child named ${quote(s.child)}`, 'UMV_ERR_NO_CHILD');
    }
    if (seen.has(s.ip)) throw blame(nat, `static address ${s.ip} is listed twice`);
    seen.add(s.ip);
  }
}


