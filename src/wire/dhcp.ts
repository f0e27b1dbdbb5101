// IPv4, UDP and the BOOTP/DHCPv4 fields (RFC 2131) the MAC-NAT reads and writes, as offset tables.

export const IP4 = { VHL: 0, LEN: 2, PROTO: 9, CSUM: 10, SRC: 12, DST: 16, MIN: 20 } as const;
export const PROTO_UDP = 17;
export const UDP = { SPORT: 0, DPORT: 2, LEN: 4, CSUM: 6, HLEN: 8 } as const;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
/** From the start of the BOOTP message */
export const BOOTP = { OP: 0, HLEN: 2, FLAGS: 10, YIADDR: 16, CHADDR: 28, COOKIE: 236, OPTIONS: 240 } as const;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const BOOTP_BROADCAST = 0x8000;
export const DHCP_COOKIE = 0x63825363;
export const OPT_PAD = 0;
export const OPT_END = 255;
export const OPT_LEASE = 51;
export const OPT_MSG_TYPE = 53;
export const DHCPACK = 5;

/** Header length of the IPv4 packet at `p` (IHL × 4), or 0 when it is not version 4 or shorter than 20 */
export function ip4HeaderLength(b: Uint8Array, p: number): number {
  const vhl = b[p + IP4.VHL];
  if (vhl >>> 4 !== 4) return 0;
  const ihl = (vhl & 15) * 4;
  return ihl < IP4.MIN ? 0 : ihl;
}

/** True when the IPv4 packet at `p` is a first (or only) fragment offset 0 — the only one carrying a UDP header */
export const ip4FirstFragment = (b: Uint8Array, p: number): boolean => ((b[p + 6] & 0x1f) | b[p + 7]) === 0;
