// The addresses sandboxes use, named once. MACs: locally administered unicast 02:ee:LL:HH:HH:HH, where LL keeps
// one setup's hosts apart from another's and HH:HH:HH is the host. IPv4: only 198.18.0.0/15 (RFC 2544 benchmarking), which
// no real network routes.
import { formatMac } from '../src/wire/ethernet.js';

export { ETHERTYPE_EXPERIMENTAL as TEST_ETHERTYPE } from '../src/wire/ethernet.js';

/** 02:ee:<lab>:<host as 3 bytes> as a 48-bit number (lab < 256, host < 2^24) */
export function testMac(lab: number, host: number): number {
  if (lab < 0 || lab > 0xff || host < 0 || host > 0xff_ffff) throw new Error(`testMac(${lab}, ${host}): out of range`);
  return 0x02_ee_00_00_00_00 + lab * 0x100_0000 + host;
}

/** "02:ee:10:00:00:11" */
export const macText = formatMac;

/** 198.18.<subnet>.<host> (subnet 0..255 stays inside 198.18.0.0/16, half of the /15) */
export function testIp(subnet: number, host: number): string {
  if (subnet < 0 || subnet > 255 || host < 0 || host > 255) throw new Error(`testIp(${subnet}, ${host}): out of range`);
  return `198.18.${subnet}.${host}`;
}
