// The kernel macvlan's port-filter bucket of a group MAC (forwarding.md §3.1): the port hash is unsalted, so a test
// can pick a group whose bucket no held group (nor broadcast) uses, and the kernel's hash then passes it exactly
// where umacvlan's exact filter does. (A child's own hash is salted with its address in kernel memory: no test can
// predict its collisions.)

/** hash_32 of bytes 2..5 read as a little-endian u32, top 8 bits */
export function portBucket(mac: number): number {
  const b = [0, 0, 0, 0, 0, 0].map((_, j) => Math.floor(mac / 256 ** (5 - j)) % 256);
  const v = (b[2] | (b[3] << 8) | (b[4] << 16) | (b[5] << 24)) >>> 0;
  return Math.imul(v, 0x61c88647) >>> 24;
}

/** The first group from `start` up whose port bucket none of `used` (group MACs) falls in */
export function freeBucketGroup(start: number, used: readonly number[]): number {
  const taken = new Set(used.map(portBucket));
  let g = start;
  while (taken.has(portBucket(g))) g++;
  return g;
}

/** The link-layer groups of `ifname` in a namespace's /proc/net/dev_mcast text */
export function devMcastGroups(text: string, ifname: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 5 && f[1] === ifname) out.push(parseInt(f[4], 16));
  }
  return out;
}
