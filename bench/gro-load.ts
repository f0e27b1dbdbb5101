// A batch of TCP segments from the parent to one child, as the parent's ring would hold them after a wire without
// GRO: for the allocation check of userspace GRO (core-gc.ts). Correct IPv4 and TCP checksums, one flow, 1448-byte
// payloads, so forwardBatch merges them (45 per frame at most) and the merged header's checksum is computed.

import { ETH } from '../src/wire/ethernet.js';
import { fold16, sum16 } from '../src/wire/checksum.js';
import { writeMac } from '../src/wire/ethernet.js';

export interface GroLoad { mem: Uint8Array; at: Uint32Array; len: Uint32Array; count: number }

const PAY = 1448;
const SLOT = 2048;

/** `count` segments of one flow from `src` to `dst` (MACs), each in a 2 KiB slot after its 10-byte vnet header */
export function groLoad(count: number, src: number, dst: number): GroLoad {
  const mem = new Uint8Array(count * SLOT + 64);
  const at = new Uint32Array(count), len = new Uint32Array(count);
  for (let k = 0; k < count; k++) {
    const a = k * SLOT + 16;
    const f = 14 + 20 + 20 + PAY;
    writeMac(mem, a, dst); writeMac(mem, a + 6, src);
    mem[a + 12] = 0x08; mem[a + 13] = 0x00;
    const ip = a + ETH.HLEN;
    mem[ip] = 0x45; mem[ip + 2] = (f - 14) >> 8; mem[ip + 3] = (f - 14) & 0xff;
    mem[ip + 4] = (k >> 8) & 0xff; mem[ip + 5] = k & 0xff; mem[ip + 6] = 0x40; mem[ip + 8] = 64; mem[ip + 9] = 6;
    mem.set([198, 18, 0, 254, 198, 18, 0, 2], ip + 12);
    const ic = ~fold16(sum16(mem, ip, ip + 20, 0)) & 0xffff;
    mem[ip + 10] = ic >> 8; mem[ip + 11] = ic & 0xff;
    const t = ip + 20;
    mem[t] = 0x14; mem[t + 1] = 0xb3; mem[t + 2] = 0x9c; mem[t + 3] = 0x40;
    const seq = 1000 + k * PAY;
    mem[t + 4] = seq >>> 24; mem[t + 5] = (seq >>> 16) & 0xff; mem[t + 6] = (seq >>> 8) & 0xff; mem[t + 7] = seq & 0xff;
    mem[t + 11] = 1; mem[t + 12] = 0x50; mem[t + 13] = 0x10; mem[t + 14] = 2;
    for (let i = 0; i < PAY; i++) mem[t + 20 + i] = (seq + i) & 0xff;
    const tc = ~fold16(sum16(mem, t, t + 20 + PAY, sum16(mem, ip + 12, ip + 20, 0) + 6 + 20 + PAY)) & 0xffff;
    mem[t + 16] = tc >> 8; mem[t + 17] = tc & 0xff;
    at[k] = a; len[k] = f;
  }
  return { mem, at, len, count };
}
