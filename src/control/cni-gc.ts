// cni-gc.ts — GC's choice: which children are stale. Only CNI children of this network (a child made outside CNI, or
// another network's, is never touched), and only those whose (container ID, interface) is not a valid attachment.

import type { CniAttachment } from './cni-attachment.js';

export interface GcCandidate { name: string; cni?: CniAttachment }

/** The names of the stale children. Pure. */
export function staleChildren(network: string, children: Iterable<GcCandidate>, valid: ReadonlyArray<{ containerId: string; ifname: string }>): string[] {
  const keep = new Set(valid.map((v) => `${v.containerId}\u0000${v.ifname}`));
  const out: string[] = [];
  for (const c of children) {
    if (!c.cni || c.cni.network !== network) continue;
    if (!keep.has(`${c.cni.containerId}\u0000${c.cni.ifname}`)) out.push(c.name);
  }
  return out;
}

/** Whether an IPAM plugin's VERSION answer lists 1.1.0 (the version that has GC). Pure; garbage is no. */
export function ipamSpeaksGc(versionStdout: string): boolean {
  try {
    const v = JSON.parse(versionStdout) as { supportedVersions?: unknown };
    return Array.isArray(v.supportedVersions) && v.supportedVersions.includes('1.1.0');
  } catch {
    return false;
  }
}
