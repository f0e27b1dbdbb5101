// virtio_net_hdr (include/uapi/linux/virtio_net.h), 10 bytes, native byte order (little-endian here).
// Every frame the native layer hands over has this header immediately before its Ethernet header.

export const VNET = { FLAGS: 0, GSO_TYPE: 1, HDR_LEN: 2, GSO_SIZE: 4, CSUM_START: 6, CSUM_OFFSET: 8, LEN: 10 } as const;
export const VNET_F_NEEDS_CSUM = 1;
export const VNET_GSO_NONE = 0;

/** True when the frame at `at` (its Ethernet header) carries a GSO type: the kernel exempts it from the MTU check. */
export const isGso = (b: Uint8Array, at: number): boolean => b[at - VNET.LEN + VNET.GSO_TYPE] !== VNET_GSO_NONE;
