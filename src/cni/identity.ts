// identity.ts — the daemon's name for a CNI attachment. An attachment is (network name, container ID, interface
// name); its child's handle is derived from the three, so every shim call for the same attachment finds the same
// child without a lookup table, and two attachments never share one.

import { createHash } from 'node:crypto';

// UTF-8 byte counts as Buffer.byteLength gives them (a lone surrogate is U+FFFD's 3 bytes in both), without Node's
// Buffer: src/cni uses no Node global (test/unit/layering.test.ts).
const utf8 = new TextEncoder();

/** 'c' and 12 hex digits of SHA-256 over the three (length-prefixed, so no two triples hash the same input). */
export function cniHandle(network: string, containerId: string, ifname: string): string {
  const h = createHash('sha256');
  for (const part of [network, containerId, ifname]) h.update(`${utf8.encode(part).length}:${part}`);
  return `c${h.digest('hex').slice(0, 12)}`;
}
