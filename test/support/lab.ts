// A daemon's world for system tests: an outside host (ext) on a veth whose other end is the parent in the daemon's
// namespace (dp), and one namespace per child for its TAP. Addresses are static and so are the neighbour entries,
// so no ARP (and, with IPv6 off, nothing at all) crosses the daemon except the test's own frames.
//
//   ext: e0 198.18.0.1 ──veth── p0 (parent, in dp)     umacvlan run --parent p0 --child c1:…:bridge --netns c1=NS …
//   child k: TAP named sb.name(short) in its own namespace, 198.18.0.(10 + k)

import { macText, testIp, testMac } from '../../support/addresses.js';
import type { Sandbox } from '../../support/sandbox.js';

export interface Kid {
  /** child and TAP name (sandbox prefix + short) */
  readonly name: string;
  readonly ns: string;
  readonly mac: number;
  readonly macText: string;
  readonly ip: string;
  mode: string;
}

export interface Lab {
  readonly sb: Sandbox;
  /** the daemon's namespace, holding the parent */
  readonly dp: string;
  /** the outside host */
  readonly ext: string;
  readonly e0: string;
  /** the parent */
  readonly p0: string;
  readonly extIp: string;
  readonly extMac: number;
  readonly kids: Kid[];
  kid(short: string): Kid;
  /** `--child NAME:MAC:MODE --netns NAME=NS` for the kids given (default: all) */
  childArgs(kids?: readonly Kid[]): string[];
  /** Gives a kid's TAP its address and static neighbours (after the daemon made it); ext learns the kid too. */
  configure(k: Kid): void;
  /** A new kid (namespace made now; the daemon does not know it yet) */
  addKid(short: string, mode: string): Kid;
  /**
   * Observers of the wire: per kid, a kernel macvlan on e0 with the kid's MAC and IP, moved into a namespace of its
   * own (returned, one per kid). A counting receiver there counts exactly what reaches the wire addressed to the kid
   * (unlike a packet socket on e0, it never fills up with ext's own frames; and in a namespace of its own, a source
   * address that is another kid's is not "local", so the kernel does not drop it as a martian).
   */
  observeWire(kids: readonly Kid[]): string[];
}

/** The lab's byte in its MACs (support/addresses.ts): kid k is testMac(LAB, 0x10 + k), ext testMac(LAB, 1). */
export const LAB_MACS = 0x10;
const EXT_MAC = testMac(LAB_MACS, 1);
const EXT_IP = testIp(0, 1);

/**
 * Builds ext, dp (names ext+tag, dp+tag) and a namespace per kid. `tag` keeps several labs of one sandbox apart.
 * Kids are numbered from 1 in the order given; their IP is 198.18.0.(10 + number).
 */
export function makeLab(sb: Sandbox, tag: string, kids: ReadonlyArray<{ short: string; mode: string }>): Lab {
  const ext = sb.addNs(`x${tag}`);
  const dp = sb.addNs(`d${tag}`);
  const [e0, p0] = sb.addVeth(ext, `e${tag}`, dp, `p${tag}`);
  sb.run(ext, ['ip', 'link', 'set', e0, 'address', macText(EXT_MAC)]);
  sb.run(ext, ['ip', 'addr', 'add', `${EXT_IP}/24`, 'dev', e0]);
  const list: Kid[] = [];
  let next = 1;
  const lab: Lab = {
    sb, dp, ext, e0, p0, extIp: EXT_IP, extMac: EXT_MAC, kids: list,
    kid(short) {
      const k = list.find((x) => x.name === sb.name(short));
      if (!k) throw new Error(`no kid ${short}`);
      return k;
    },
    childArgs(ks = list) {
      return ks.flatMap((k) => ['--child', `${k.name}:${k.macText}:${k.mode}`, '--netns', `${k.name}=${k.ns}`]);
    },
    configure(k) {
      sb.run(k.ns, ['ip', 'addr', 'replace', `${k.ip}/24`, 'dev', k.name]);
      sb.run(k.ns, ['ip', 'neigh', 'replace', lab.extIp, 'lladdr', macText(EXT_MAC), 'dev', k.name, 'nud', 'permanent']);
      for (const o of list) {
        if (o === k) continue;
        sb.run(k.ns, ['ip', 'neigh', 'replace', o.ip, 'lladdr', o.macText, 'dev', k.name, 'nud', 'permanent']);
      }
      sb.run(ext, ['ip', 'neigh', 'replace', k.ip, 'lladdr', k.macText, 'dev', e0, 'nud', 'permanent']);
    },
    addKid(short, mode) {
      const n = next++;
      const mac = testMac(LAB_MACS, 0x10 + n);
      const k: Kid = { name: sb.name(short), ns: sb.addNs(short), mac, macText: macText(mac), ip: testIp(0, 10 + n), mode };
      list.push(k);
      return k;
    },
    observeWire(ks) {
      return ks.map((k) => {
        const short = `w${k.name.slice(sb.prefix.length)}`;
        const w = sb.name(short);
        const ns = sb.addNs(short);
        sb.run(ext, ['ip', 'link', 'add', w, 'link', e0, 'type', 'macvlan', 'mode', 'bridge']);
        sb.run(ext, ['ip', 'link', 'set', w, 'address', k.macText, 'netns', ns]);
        sb.run(ns, ['ip', 'link', 'set', w, 'up']);
        sb.run(ns, ['ip', 'addr', 'add', `${k.ip}/24`, 'dev', w]);
        return ns;
      });
    },
  };
  for (const k of kids) lab.addKid(k.short, k.mode);
  return lab;
}
