// wire/virtio-net.ts: the 10-byte header that precedes every frame, and the GSO test the MTU checks depend on.

import { describe, expect, it } from 'vitest';
import { VNET, VNET_F_NEEDS_CSUM, VNET_GSO_NONE, isGso } from '../../../src/wire/virtio-net.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));

describe('virtio_net_hdr', () => {
  it('layout: flags 0, gso_type 1, hdr_len 2, gso_size 4, csum_start 6, csum_offset 8; 10 bytes', () => {
    expect(VNET).toEqual({ FLAGS: 0, GSO_TYPE: 1, HDR_LEN: 2, GSO_SIZE: 4, CSUM_START: 6, CSUM_OFFSET: 8, LEN: 10 });
    expect([VNET_F_NEEDS_CSUM, VNET_GSO_NONE]).toEqual([1, 0]);
  });

  it('isGso reads gso_type of the header right before the Ethernet header', () => {
    // TCPv4 GSO (type 1), hdr_len 66, gso_size 1448, csum_start 34, csum_offset 16 (little-endian), then the frame
    const tso = hex('01 01 4200 a805 2200 1000  02cc00000001 02ee00000001 0800');
    expect(isGso(tso, VNET.LEN)).toBe(true);
    const plain = hex('00 00 0000 0000 0000 0000  02cc00000001 02ee00000001 0800');
    expect(isGso(plain, VNET.LEN)).toBe(false);
    const csumOnly = hex('01 00 0000 0000 2200 1000  02cc00000001 02ee00000001 0800');
    expect(isGso(csumOnly, VNET.LEN)).toBe(false);
    const b = new Uint8Array(40);
    b[20 - VNET.LEN + VNET.GSO_TYPE] = 4; // TCPv6 at an offset
    expect([isGso(b, 20), isGso(b, 30)]).toEqual([true, false]);
  });
});
