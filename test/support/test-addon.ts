// The test addon (build/Release/umacvlan_test.node, target umacvlan_test in binding.gyp): syscalls only tests use,
// built by the same `node-gyp rebuild` as the product addon (npm ci, npm run build), shipped in no product path.
// Same convention as src/io/native.ts: >= 0 on success, -errno on failure; never throws.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

export interface TestAddon {
  /** Plain AF_PACKET socket on ifname in namespace nsfd, all protocols, non-blocking, PACKET_AUXDATA → fd | -errno */
  packetOpen(nsfd: number, ifname: string): number;
  packetSend(fd: number, frame: Uint8Array): number;
  /** Next frame the interface received (not sent), with a stripped VLAN tag put back, waiting up to timeoutMs
   *  (0: not at all, < 0: no limit) → length | -errno (-EAGAIN) */
  packetRecv(fd: number, buf: Uint8Array, timeoutMs: number): number;
}

const ADDON_FILE = 'umacvlan_test.node';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: TestAddon | null = null;

/** Loads the test addon once per thread. Throws an Error naming where it looked. */
export function loadTestAddon(): TestAddon {
  if (cached !== null) return cached;
  const paths = ['Release', 'Debug'].map((d) => join(ROOT, 'build', d, ADDON_FILE));
  const found = paths.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`test addon not built (run npm ci or npx node-gyp rebuild); looked in: ${paths.join(', ')}`);
  cached = createRequire(import.meta.url)(found) as TestAddon;
  return cached;
}
