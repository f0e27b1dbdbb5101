// IPv6 and the Neighbor Discovery messages of ICMPv6 (RFC 4861) as offset tables. Options are walked in place;
// nothing is copied.

export const ETHERTYPE_IPV6 = 0x86dd;
export const IP6 = { NEXT: 6, HOPS: 7, SRC: 8, DST: 24, HLEN: 40 } as const;
export const PROTO_ICMPV6 = 58;
export const ICMP6 = { TYPE: 0, CODE: 1, CSUM: 2 } as const;
/** Option types carrying a link-layer address */
export const ND_OPT_SLLA = 1;
export const ND_OPT_TLLA = 2;

/** Where the options of an NDP message of ICMPv6 type `type` begin (from the ICMPv6 header), or -1 if not NDP */
export function ndpOptionsOffset(type: number): number {
  switch (type) {
    case 133: return 8;   // router solicitation
    case 134: return 16;  // router advertisement
    case 135: return 24;  // neighbor solicitation
    case 136: return 24;  // neighbor advertisement
    case 137: return 40;  // redirect
    default: return -1;
  }
}
