// ARP for IPv4 over Ethernet (RFC 826) as an offset table from the start of the ARP packet (after the Ethernet
// header). Readers take (buf, at) and never copy.

export const ETHERTYPE_ARP = 0x0806;
export const ARP = { HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8, SPA: 14, THA: 18, TPA: 24, LEN: 28 } as const;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

/** True when the `len` bytes at `p` hold an Ethernet/IPv4 ARP packet (htype 1, ptype 0x0800, hlen 6, plen 4) */
export function isEthIpv4Arp(b: Uint8Array, p: number, len: number): boolean {
  return len >= ARP.LEN && b[p] === 0 && b[p + 1] === 1 && b[p + 2] === 0x08 && b[p + 3] === 0
    && b[p + ARP.HLEN] === 6 && b[p + ARP.PLEN] === 4;
}
