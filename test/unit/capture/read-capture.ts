// A small, independent pcap/pcapng reader for the tests: it parses what the encoders wrote, with BigInt
// arithmetic and DataView (speed does not matter here), so a round trip checks the encoders against a second,
// simpler implementation of the same layouts.

export interface ReadInterface { linktype: number; snaplen: number; name?: string; tsresol?: number; filter?: string }
export interface ReadPacket { ifid: number; tsNs: bigint; capLen: number; origLen: number; data: Uint8Array; flags?: number }
export interface ReadStats {
  ifid: number; tsNs: bigint; start?: bigint; end?: bigint; ifrecv?: bigint; ifdrop?: bigint;
  filteraccept?: bigint; usrdeliv?: bigint;
}
export interface ReadPcapng { sections: number; app?: string; interfaces: ReadInterface[]; packets: ReadPacket[]; stats: ReadStats[] }

const dec = new TextDecoder();

function options(v: DataView, at: number, end: number): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  while (at + 4 <= end) {
    const code = v.getUint16(at, true), len = v.getUint16(at + 2, true);
    if (code === 0) break;
    m.set(code, new Uint8Array(v.buffer, v.byteOffset + at + 4, len));
    at += 4 + ((len + 3) & ~3);
  }
  return m;
}

const u64 = (b: Uint8Array | undefined): bigint | undefined =>
  b === undefined ? undefined : new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
const ts64 = (v: DataView, at: number): bigint =>
  (BigInt(v.getUint32(at, true)) << 32n) | BigInt(v.getUint32(at + 4, true));
const tsOpt = (b: Uint8Array | undefined): bigint | undefined =>
  b === undefined ? undefined : ts64(new DataView(b.buffer, b.byteOffset, 8), 0);

export function readPcapng(bytes: Uint8Array): ReadPcapng {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ReadPcapng = { sections: 0, interfaces: [], packets: [], stats: [] };
  let at = 0;
  while (at < bytes.length) {
    const type = v.getUint32(at, true), total = v.getUint32(at + 4, true);
    if (total < 12 || total % 4 !== 0 || at + total > bytes.length) throw new Error(`bad block length ${total} at ${at}`);
    if (v.getUint32(at + total - 4, true) !== total) throw new Error(`trailing length mismatch at ${at}`);
    const end = at + total - 4;
    if (type === 0x0a0d0d0a) {
      if (v.getUint32(at + 8, true) !== 0x1a2b3c4d) throw new Error('byte-order magic');
      out.sections++;
      out.interfaces = []; // interface ids restart in each section
      const o = options(v, at + 24, end);
      const app = o.get(4);
      if (app) out.app = dec.decode(app);
    } else if (type === 1) {
      const o = options(v, at + 16, end);
      const i: ReadInterface = { linktype: v.getUint16(at + 8, true), snaplen: v.getUint32(at + 12, true) };
      const name = o.get(2), res = o.get(9), filt = o.get(11);
      if (name) i.name = dec.decode(name);
      if (res) i.tsresol = res[0];
      if (filt) i.filter = dec.decode(filt.subarray(1));
      out.interfaces.push(i);
    } else if (type === 6) {
      const capLen = v.getUint32(at + 20, true);
      const p: ReadPacket = {
        ifid: v.getUint32(at + 8, true), tsNs: ts64(v, at + 12), capLen, origLen: v.getUint32(at + 24, true),
        data: bytes.slice(at + 28, at + 28 + capLen),
      };
      if (p.ifid >= out.interfaces.length) throw new Error(`EPB for undeclared interface ${p.ifid}`);
      const o = options(v, at + 28 + ((capLen + 3) & ~3), end);
      const f = o.get(2);
      if (f) p.flags = new DataView(f.buffer, f.byteOffset, 4).getUint32(0, true);
      out.packets.push(p);
    } else if (type === 5) {
      const o = options(v, at + 20, end);
      out.stats.push({
        ifid: v.getUint32(at + 8, true), tsNs: ts64(v, at + 12), start: tsOpt(o.get(2)), end: tsOpt(o.get(3)),
        ifrecv: u64(o.get(4)), ifdrop: u64(o.get(5)), filteraccept: u64(o.get(6)), usrdeliv: u64(o.get(8)),
      });
    } else {
      throw new Error(`unexpected block type ${type.toString(16)}`);
    }
    at += total;
  }
  return out;
}

export interface ReadPcap { snaplen: number; linktype: number; packets: { tsNs: bigint; capLen: number; origLen: number; data: Uint8Array }[] }

export function readPcap(bytes: Uint8Array): ReadPcap {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== 0xa1b23c4d) throw new Error('not a nanosecond pcap');
  const out: ReadPcap = { snaplen: v.getUint32(16, true), linktype: v.getUint32(20, true), packets: [] };
  let at = 24;
  while (at < bytes.length) {
    const capLen = v.getUint32(at + 8, true);
    out.packets.push({
      tsNs: BigInt(v.getUint32(at, true)) * 1_000_000_000n + BigInt(v.getUint32(at + 4, true)),
      capLen, origLen: v.getUint32(at + 12, true), data: bytes.slice(at + 16, at + 16 + capLen),
    });
    at += 16 + capLen;
  }
  return out;
}
