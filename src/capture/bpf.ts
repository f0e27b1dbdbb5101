// src/capture/bpf.ts — a classic BPF interpreter over (buf, at, len) and the check that makes it safe to trust.
//
// DOC: Theory of operation
// A program is what libpcap's pcap_compile() emits for DLT_EN10MB, flattened into 32-bit words, four per
// instruction: (code, jt, jf, k) — the layout of struct bpf_insn without its padding. checkBpf() runs once, when a
// filter is installed, and refuses anything the interpreter would have to guard against per frame: unknown
// opcodes, jumps out of the program (cBPF only jumps forward, so every path ends), a last instruction that is not
// a return, division or modulo by a constant 0, shifts by 32 or more, scratch slots out of 0..15 or read before
// every path has written them (the kernel's check_load_and_stores() does the same). runBpf() then needs to check
// only what depends on the frame: packet loads past the end (the frame is rejected, as in the kernel and
// libpcap) and division by X = 0 (rejected too).
// The return value is the number of bytes to keep; 0 rejects. libpcap returns the snaplen for "accept".
// Registers are uint32 held in JS numbers (>>> 0 after each operation); nothing is allocated per frame: the 16
// scratch words are one module-level Int32Array, valid because a program never reads a slot it did not write in
// the same run.

export const BPF_MAXINSNS = 4096;
export const BPF_MEMWORDS = 16;

/** Opcodes, by class | size | mode, or class | op | source (include/uapi/linux/filter.h, bpf_common.h). */
export const Op = {
  LD_IMM: 0x00, LD_W_ABS: 0x20, LD_H_ABS: 0x28, LD_B_ABS: 0x30,
  LD_W_IND: 0x40, LD_H_IND: 0x48, LD_B_IND: 0x50, LD_MEM: 0x60, LD_LEN: 0x80,
  LDX_IMM: 0x01, LDX_MEM: 0x61, LDX_LEN: 0x81, LDX_MSH: 0xb1,
  ST: 0x02, STX: 0x03,
  ADD_K: 0x04, ADD_X: 0x0c, SUB_K: 0x14, SUB_X: 0x1c, MUL_K: 0x24, MUL_X: 0x2c, DIV_K: 0x34, DIV_X: 0x3c,
  OR_K: 0x44, OR_X: 0x4c, AND_K: 0x54, AND_X: 0x5c, LSH_K: 0x64, LSH_X: 0x6c, RSH_K: 0x74, RSH_X: 0x7c,
  NEG: 0x84, MOD_K: 0x94, MOD_X: 0x9c, XOR_K: 0xa4, XOR_X: 0xac,
  JA: 0x05, JEQ_K: 0x15, JEQ_X: 0x1d, JGT_K: 0x25, JGT_X: 0x2d, JGE_K: 0x35, JGE_X: 0x3d, JSET_K: 0x45, JSET_X: 0x4d,
  RET_K: 0x06, RET_X: 0x0e, RET_A: 0x16,
  TAX: 0x07, TXA: 0x87,
} as const;

const VALID = new Set<number>(Object.values(Op));
const READS_MEM = new Set<number>([Op.LD_MEM, Op.LDX_MEM]);
const WRITES_MEM = new Set<number>([Op.ST, Op.STX]);
const isJump = (code: number): boolean => (code & 7) === 5;
const isRet = (code: number): boolean => (code & 7) === 6;

/** A checked program: n instructions in p[0 .. 4n). */
export interface BpfProgram { readonly p: Int32Array; readonly n: number }

/** Returns null when the program is safe to run, else why it is not (for the error message). */
export function checkBpf(words: ArrayLike<number>): string | null {
  if (words.length === 0 || words.length % 4 !== 0) return `program length ${words.length} is not a positive multiple of 4 words`;
  const n = words.length / 4;
  if (n > BPF_MAXINSNS) return `program has ${n} instructions, more than ${BPF_MAXINSNS}`;
  // Scratch slots known written on every path into instruction i; -1 = not reached yet.
  const written = new Int32Array(n + 1).fill(-1);
  written[0] = 0;
  for (let pc = 0; pc < n; pc++) {
    const code = words[pc * 4] >>> 0, jt = words[pc * 4 + 1] >>> 0, jf = words[pc * 4 + 2] >>> 0, k = words[pc * 4 + 3] >>> 0;
    const at = `instruction ${pc} (code 0x${code.toString(16)})`;
    if (!VALID.has(code)) return `${at}: unknown opcode`;
    if (jt > 255 || jf > 255) return `${at}: jt/jf out of range`;
    let w = written[pc];
    if (w === -1) continue; // unreachable: nothing flows from it
    if (READS_MEM.has(code) || WRITES_MEM.has(code)) {
      if (k >= BPF_MEMWORDS) return `${at}: scratch slot ${k} out of range`;
      if (READS_MEM.has(code) && (w & (1 << k)) === 0) return `${at}: reads scratch slot ${k} before it is written`;
      if (WRITES_MEM.has(code)) w |= 1 << k;
    }
    if ((code === Op.DIV_K || code === Op.MOD_K) && k === 0) return `${at}: division by constant 0`;
    if ((code === Op.LSH_K || code === Op.RSH_K) && k >= 32) return `${at}: shift by ${k}`;
    if (isRet(code)) continue;
    const flow = (to: number): string | null => {
      if (to >= n) return `${at}: jumps past the end`;
      written[to] = written[to] === -1 ? w : written[to] & w;
      return null;
    };
    let bad: string | null;
    if (code === Op.JA) bad = flow(pc + 1 + k);
    else if (isJump(code)) bad = flow(pc + 1 + jt) ?? flow(pc + 1 + jf);
    else bad = pc + 1 < n ? flow(pc + 1) : `${at}: the last instruction is not a return`;
    if (bad !== null) return bad;
  }
  return null;
}

/** Checks and copies words into a program runBpf() may trust; throws a RangeError saying what is wrong. */
export function toProgram(words: ArrayLike<number>): BpfProgram {
  const why = checkBpf(words);
  if (why !== null) throw new RangeError(`invalid BPF program: ${why}`);
  return { p: Int32Array.from(words, (v) => v | 0), n: words.length / 4 };
}

const mem = new Int32Array(BPF_MEMWORDS);
const word = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/**
 * Runs a checked program over the frame b[at .. at+len). Returns how many bytes to capture (0 = reject).
 * `p` holds n >= 1 checked instructions (checkBpf); nothing else is validated here.
 */
export function runBpf(p: Int32Array, b: Uint8Array, at: number, len: number): number {
  let A = 0, X = 0, pc = 0, off = 0;
  for (;;) {
    const i = pc << 2;
    const k = p[i + 3] >>> 0;
    pc++;
    switch (p[i]) {
      case Op.LD_W_ABS: if (k + 4 > len) return 0; A = word(b, at + k); break;
      case Op.LD_H_ABS: if (k + 2 > len) return 0; A = (b[at + k] << 8) | b[at + k + 1]; break;
      case Op.LD_B_ABS: if (k + 1 > len) return 0; A = b[at + k]; break;
      case Op.LD_W_IND: off = X + k; if (off + 4 > len) return 0; A = word(b, at + off); break;
      case Op.LD_H_IND: off = X + k; if (off + 2 > len) return 0; A = (b[at + off] << 8) | b[at + off + 1]; break;
      case Op.LD_B_IND: off = X + k; if (off + 1 > len) return 0; A = b[at + off]; break;
      case Op.LD_IMM: A = k; break;
      case Op.LD_MEM: A = mem[k] >>> 0; break;
      case Op.LD_LEN: A = len; break;
      case Op.LDX_IMM: X = k; break;
      case Op.LDX_MEM: X = mem[k] >>> 0; break;
      case Op.LDX_LEN: X = len; break;
      case Op.LDX_MSH: if (k + 1 > len) return 0; X = (b[at + k] & 0xf) << 2; break;
      case Op.ST: mem[k] = A; break;
      case Op.STX: mem[k] = X; break;
      case Op.ADD_K: A = (A + k) >>> 0; break;
      case Op.ADD_X: A = (A + X) >>> 0; break;
      case Op.SUB_K: A = (A - k) >>> 0; break;
      case Op.SUB_X: A = (A - X) >>> 0; break;
      case Op.MUL_K: A = Math.imul(A, k) >>> 0; break;
      case Op.MUL_X: A = Math.imul(A, X) >>> 0; break;
      // uint32 / uint32 in doubles: the quotient is never within 2^-53 of the next integer, so floor is exact.
      case Op.DIV_K: A = Math.floor(A / k); break;
      case Op.DIV_X: if (X === 0) return 0; A = Math.floor(A / X); break;
      case Op.MOD_K: A = A % k; break;
      case Op.MOD_X: if (X === 0) return 0; A = A % X; break;
      case Op.OR_K: A = (A | k) >>> 0; break;
      case Op.OR_X: A = (A | X) >>> 0; break;
      case Op.AND_K: A = (A & k) >>> 0; break;
      case Op.AND_X: A = (A & X) >>> 0; break;
      case Op.XOR_K: A = (A ^ k) >>> 0; break;
      case Op.XOR_X: A = (A ^ X) >>> 0; break;
      case Op.LSH_K: A = (A << k) >>> 0; break;
      // JS masks shift counts to 5 bits; libpcap's bpf_filter() gives 0 for X >= 32, and so do we.
      case Op.LSH_X: A = X < 32 ? (A << X) >>> 0 : 0; break;
      case Op.RSH_K: A = A >>> k; break;
      case Op.RSH_X: A = X < 32 ? A >>> X : 0; break;
      case Op.NEG: A = (0 - A) >>> 0; break;
      case Op.JA: pc += k; break;
      case Op.JEQ_K: pc += A === k ? p[i + 1] : p[i + 2]; break;
      case Op.JEQ_X: pc += A === X ? p[i + 1] : p[i + 2]; break;
      case Op.JGT_K: pc += A > k ? p[i + 1] : p[i + 2]; break;
      case Op.JGT_X: pc += A > X ? p[i + 1] : p[i + 2]; break;
      case Op.JGE_K: pc += A >= k ? p[i + 1] : p[i + 2]; break;
      case Op.JGE_X: pc += A >= X ? p[i + 1] : p[i + 2]; break;
      case Op.JSET_K: pc += (A & k) !== 0 ? p[i + 1] : p[i + 2]; break;
      case Op.JSET_X: pc += (A & X) !== 0 ? p[i + 1] : p[i + 2]; break;
      case Op.RET_K: return k;
      case Op.RET_X: return X;
      case Op.RET_A: return A;
      case Op.TAX: X = A; break;
      case Op.TXA: A = X; break;
      default: return 0; // unreachable for a checked program
    }
  }
}
