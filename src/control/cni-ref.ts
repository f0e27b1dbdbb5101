// cni-ref.ts — `--cni CONTAINERID/IFNAME`: show, del and set name a CNI child by its attachment instead of its
// handle. The daemon finds the child among its CNI children; the network is not given, so an attachment served on
// two networks of this master is ambiguous and refused.

import { DaemonError } from './daemon-error.js';
import { problem, type Problem } from './usage-error.js';
import type { CniAttachment } from './cni-attachment.js';

export interface CniRef { containerId: string; ifname: string }

/** 'CONTAINERID/IFNAME' → the reference; the last '/' splits (an interface name has none). Pure. */
export function parseCniRef(text: string): CniRef | Problem {
  const cut = text.lastIndexOf('/');
  if (cut <= 0 || cut === text.length - 1) return problem(`${JSON.stringify(text)} is not CONTAINERID/IFNAME`);
  return { containerId: text.slice(0, cut), ifname: text.slice(cut + 1) };
}

/** The handle of the one child serving the attachment; DaemonError UMV_ERR_NO_CHILD when none or several do. */
export function resolveCniRef(children: Iterable<{ name: string; cfg: { cni?: CniAttachment } }>, ref: CniRef): string {
  const hits = [...children].filter((c) => c.cfg.cni?.containerId === ref.containerId && c.cfg.cni.ifname === ref.ifname);
  const what = `${ref.containerId}/${ref.ifname}`;
  if (hits.length === 0) throw new DaemonError(`no CNI child serves ${what}`, 'UMV_ERR_NO_CHILD');
  if (hits.length > 1) {
    throw new DaemonError(`${what} is attached on several networks (${hits.map((h) => `${h.cfg.cni!.network}: ${h.name}`).join(', ')}); name the child`, 'UMV_ERR_NO_CHILD');
  }
  return hits[0].name;
}
