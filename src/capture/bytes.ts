// src/capture/bytes.ts — little-endian stores and the byte copies the capture path uses.
// pcap and pcapng let the writer pick the byte order; we always write little-endian, byte by byte, so the
// files are the same on every host and no DataView has to be made per buffer.

export function u16le(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff; b[at + 1] = (v >>> 8) & 0xff;
}

export function u32le(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff; b[at + 1] = (v >>> 8) & 0xff; b[at + 2] = (v >>> 16) & 0xff; b[at + 3] = (v >>> 24) & 0xff;
}

/** A counter kept as a JS number (exact below 2^53) stored as a 64-bit little-endian integer. */
export function u64le(b: Uint8Array, at: number, v: number): void {
  const lo = v % 0x1_0000_0000;
  u32le(b, at, lo);
  u32le(b, at + 4, (v - lo) / 0x1_0000_0000);
}

/**
 * Writes the nanosecond count of (sec, nsec) as pcapng wants a 64-bit timestamp: high 32 bits, then low 32 bits.
 * sec * 1e9 needs 62 bits, more than a double holds exactly, so the product is built from 16-bit limbs whose
 * partial sums all stay below 2^48.
 */
export function tsHiLo(b: Uint8Array, at: number, sec: number, nsec: number): void {
  const secLo = sec % 0x1_0000;
  const secHi = (sec - secLo) / 0x1_0000;
  const a = secLo * 1e9 + nsec;           // < 2^47
  const m = secHi * 1e9;                  // < 2^46, weight 2^16
  const mLo = m % 0x1_0000;
  const x = mLo * 0x1_0000 + a;           // < 2^48
  const lo = x % 0x1_0000_0000;
  const hi = (m - mLo) / 0x1_0000 + (x - lo) / 0x1_0000_0000;
  u32le(b, at, hi);
  u32le(b, at + 4, lo);
}

/**
 * Copies len bytes from src[srcAt..] to dst[dstAt..] without allocating: a FrameCopier (below) for the destination
 * last seen, made again only when the destination changes. The writer's encoders copy every record from the ring
 * into one output chunk, so theirs is made once; its word loop replaces `dst.set(src.subarray(…))`, which made a
 * view per record.
 */
export function copyBytes(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, len: number): void {
  if (dst !== lastDst) {
    lastCopier = new FrameCopier(dst);
    lastDst = dst;
  }
  lastCopier.copy(dstAt, src, srcAt, len);
}

export const pad4 = (n: number): number => (n + 3) & ~3;

// ---- the hot-path copy: no allocation per frame -------------------------------------------------------------
//
// JS has no memcpy between two buffers that does not first make a view of the source range (dst.set(src.subarray()))
// and that view is one young-generation object per frame. The worker's frames live in a few regions made once, so
// FrameCopier makes one Int32Array over each region's whole buffer the first time it sees it and then moves 4
// bytes per load/store: the destination is word-aligned after at most 3 single bytes; a source at another
// alignment is read as whole words and each output word is stitched from two neighbours by shifts. Int32 (not
// Float64) so no value can pass through a double and have its NaN bits changed; the words stay int32 in
// optimised code, so nothing is boxed either.
//
// The stitching assumes the host stores the low byte of a word first; on a big-endian host every copy takes the
// byte loop instead (same bytes, slower), and so does a buffer of 2 GiB or more (word offsets are kept in int32).

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Below this many bytes the byte loop is as fast as setting up the word loop. */
const WORD_COPY_MIN = 16;

/** How many distinct source arrays keep their word view; the worker has three regions (ring, TAP pool, scratch). */
export const COPIER_SLOTS = 8;

const NO_WORDS = new Int32Array(0);

/** The words of b's whole buffer (its byteOffset is not word-aligned in general, so the view starts at 0). */
function wordsOf(b: Uint8Array): Int32Array {
  const bytes = b.buffer.byteLength;
  return LITTLE_ENDIAN && bytes <= 0x7fff_ffff ? new Int32Array(b.buffer, 0, bytes >>> 2) : NO_WORDS;
}

/**
 * Copies into one destination array from any source array, allocating only the first time it meets a source
 * (and again if more than COPIER_SLOTS sources take turns). Sources are recognised by the Uint8Array object,
 * not by its buffer: the caller's region views are long-lived objects, and comparing them costs nothing.
 */
export class FrameCopier {
  /** Source views made so far (a steady state makes none: the worker's regions are seen once each). */
  views = 0;
  private readonly dst: Uint8Array;
  private readonly dstWords: Int32Array;
  private readonly dstBase: number;
  private readonly keys: (Uint8Array | null)[] = new Array<Uint8Array | null>(COPIER_SLOTS).fill(null);
  private readonly words: Int32Array[] = new Array<Int32Array>(COPIER_SLOTS).fill(NO_WORDS);
  private readonly bases = new Int32Array(COPIER_SLOTS);
  private nextSlot = 0;

  constructor(dst: Uint8Array) {
    this.dst = dst;
    this.dstWords = wordsOf(dst);
    this.dstBase = dst.byteOffset;
  }

  /** dst[dstAt .. dstAt+len) = src[srcAt .. srcAt+len). RangeError if either range is outside its array. */
  copy(dstAt: number, src: Uint8Array, srcAt: number, len: number): void {
    const dst = this.dst;
    if (!(srcAt >= 0 && dstAt >= 0 && len >= 0 && srcAt + len <= src.length && dstAt + len <= dst.length)) {
      throw new RangeError(`copy of ${len} bytes from ${srcAt} (of ${src.length}) to ${dstAt} (of ${dst.length})`);
    }
    if (len >= WORD_COPY_MIN && this.dstWords.length !== 0) {
      const slot = this.slotOf(src);
      const words = this.words[slot];
      if (words.length !== 0) {
        copyWords(dst, this.dstWords, this.dstBase, dstAt, src, words, this.bases[slot], srcAt, len);
        return;
      }
    }
    for (let i = 0; i < len; i++) dst[dstAt + i] = src[srcAt + i];
  }

  private slotOf(src: Uint8Array): number {
    const keys = this.keys;
    for (let i = 0; i < COPIER_SLOTS; i++) if (keys[i] === src) return i;
    const i = this.nextSlot;
    this.nextSlot = i + 1 === COPIER_SLOTS ? 0 : i + 1;
    keys[i] = src;
    this.words[i] = wordsOf(src);
    this.bases[i] = src.byteOffset;
    this.views++;
    return i;
  }
}

let lastDst: Uint8Array | null = null;
let lastCopier: FrameCopier = new FrameCopier(new Uint8Array(0));

/**
 * The word loop behind FrameCopier.copy, for ranges already checked against d8 and s8. d32 and s32 view the whole
 * buffers of d8 and s8 from byte 0; dBase and sBase are d8's and s8's byteOffsets in them.
 */
export function copyWords(
  d8: Uint8Array, d32: Int32Array, dBase: number, dstAt: number,
  s8: Uint8Array, s32: Int32Array, sBase: number, srcAt: number, len: number,
): void {
  let i = 0;
  // single bytes until the destination is on a word boundary of its buffer
  while (i < len && ((dBase + dstAt + i) & 3) !== 0) { d8[dstAt + i] = s8[srcAt + i]; i++; }
  let dw = (dBase + dstAt + i) >>> 2;
  const s = sBase + srcAt + i;
  let sw = s >>> 2;
  const shift = (s & 3) << 3;
  let n = (len - i) >>> 2;
  if (shift === 0) {
    const end = dw + n;
    while (dw < end) d32[dw++] = s32[sw++];
  } else {
    // n output words read n + 1 source words; the last one may lie past the buffer's whole words (then the bytes
    // it would have supplied go to the byte loop below)
    if (n > 0 && sw + n >= s32.length) n--;
    if (n > 0) {
      const back = 32 - shift;
      let cur = s32[sw] >>> shift;
      const end = dw + n;
      while (dw < end) {
        const next = s32[++sw];
        d32[dw++] = cur | (next << back);
        cur = next >>> shift;
      }
    }
  }
  for (i += n << 2; i < len; i++) d8[dstAt + i] = s8[srcAt + i];
}
