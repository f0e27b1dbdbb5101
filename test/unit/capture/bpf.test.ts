// The classic BPF interpreter: hand-assembled programs for every instruction class, the checks that make it safe
// to trust, and programs compiled by libpcap (test/fixtures/capture/bpf-programs.json) over a table of frames
// whose expected matches were worked out by hand from the filter language.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkBpf, Op, runBpf, toProgram } from '../../../src/capture/bpf.js';
import { arp, BCAST, eth, icmpEcho, ipv4, ipv6, mac, tcp, udp, v6, vlanEth } from '../../support/packets.js';

type Insn = [code: number, jt: number, jf: number, k: number];
const asm = (...insns: Insn[]): Int32Array => toProgram(insns.flat()).p;
const run = (p: Int32Array, frame: Uint8Array, at = 0, len = frame.length - at): number => runBpf(p, frame, at, len);
const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

describe('hand-assembled programs', () => {
  test('loads: abs word/half/byte, big-endian, bounded by len (not by the buffer)', () => {
    const f = bytes(0xde, 0xad, 0xbe, 0xef, 0x01, 0x02);
    expect(run(asm([Op.LD_W_ABS, 0, 0, 0], [Op.RET_A, 0, 0, 0]), f)).toBe(0xdeadbeef);
    expect(run(asm([Op.LD_H_ABS, 0, 0, 4], [Op.RET_A, 0, 0, 0]), f)).toBe(0x0102);
    expect(run(asm([Op.LD_B_ABS, 0, 0, 5], [Op.RET_A, 0, 0, 0]), f)).toBe(0x02);
    // at/len select a window: byte 0 of the frame is buffer byte 2, and the frame ends before the buffer does
    expect(run(asm([Op.LD_H_ABS, 0, 0, 0], [Op.RET_A, 0, 0, 0]), f, 2, 2)).toBe(0xbeef);
    expect(run(asm([Op.LD_B_ABS, 0, 0, 2], [Op.RET_K, 0, 0, 9]), f, 2, 2)).toBe(0);
    expect(run(asm([Op.LD_W_ABS, 0, 0, 3], [Op.RET_K, 0, 0, 9]), f)).toBe(0);
    expect(run(asm([Op.LD_W_ABS, 0, 0, 2], [Op.RET_K, 0, 0, 9]), f)).toBe(9);
    expect(run(asm([Op.LD_W_ABS, 0, 0, 0xffffffff], [Op.RET_K, 0, 0, 9]), f)).toBe(0);
  });

  test('loads: indirect (X + k), len, immediate, msh', () => {
    const f = bytes(0x45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd);
    expect(run(asm([Op.LDX_MSH, 0, 0, 0], [Op.LD_H_IND, 0, 0, 0], [Op.RET_A, 0, 0, 0]), f)).toBe(0xabcd);
    expect(run(asm([Op.LDX_MSH, 0, 0, 0], [Op.LD_B_IND, 0, 0, 1], [Op.RET_A, 0, 0, 0]), f)).toBe(0xcd);
    expect(run(asm([Op.LDX_MSH, 0, 0, 0], [Op.LD_W_IND, 0, 0, 0], [Op.RET_K, 0, 0, 1]), f)).toBe(0);
    expect(run(asm([Op.LDX_IMM, 0, 0, 0xffffffff], [Op.LD_B_IND, 0, 0, 1], [Op.RET_K, 0, 0, 1]), f)).toBe(0); // no 32-bit wrap to 0
    expect(run(asm([Op.LD_LEN, 0, 0, 0], [Op.RET_A, 0, 0, 0]), f)).toBe(22);
    expect(run(asm([Op.LDX_LEN, 0, 0, 0], [Op.RET_X, 0, 0, 0]), f, 0, 7)).toBe(7);
    expect(run(asm([Op.LD_IMM, 0, 0, 0x80000000], [Op.RET_A, 0, 0, 0]), f)).toBe(0x80000000);
    expect(run(asm([Op.LDX_MSH, 0, 0, 30], [Op.RET_K, 0, 0, 1]), f)).toBe(0);
    // X + k + size past len rejects even when the buffer goes on (the frame sits in a bigger region)
    for (const [op, size] of [[Op.LD_B_IND, 1], [Op.LD_H_IND, 2], [Op.LD_W_IND, 4]] as const) {
      const p = asm([Op.LDX_IMM, 0, 0, 2], [op, 0, 0, 0], [Op.RET_K, 0, 0, 1]);
      expect(run(p, f, 0, 2 + size)).toBe(1);
      expect(run(p, f, 0, 2 + size - 1)).toBe(0);
    }
    for (const [op, size] of [[Op.LD_B_ABS, 1], [Op.LD_H_ABS, 2], [Op.LD_W_ABS, 4], [Op.LDX_MSH, 1]] as const) {
      const p = asm([op, 0, 0, 3], [Op.RET_K, 0, 0, 1]);
      expect(run(p, f, 0, 3 + size)).toBe(1);
      expect(run(p, f, 0, 3 + size - 1)).toBe(0);
    }
  });

  test('ALU on uint32: wraparound, unsigned division, shifts, negation; division by X = 0 rejects', () => {
    const alu = (a: number, op: number, k: number): number => run(asm([Op.LD_IMM, 0, 0, a], [op, 0, 0, k], [Op.RET_A, 0, 0, 0]), bytes());
    const aluX = (a: number, op: number, x: number): number =>
      run(asm([Op.LDX_IMM, 0, 0, x], [Op.LD_IMM, 0, 0, a], [op, 0, 0, 0], [Op.RET_A, 0, 0, 0]), bytes());
    expect(alu(0xffffffff, Op.ADD_K, 2)).toBe(1);
    expect(alu(1, Op.SUB_K, 2)).toBe(0xffffffff);
    expect(alu(0x10000, Op.MUL_K, 0x10000)).toBe(0);
    expect(alu(0xffffffff, Op.MUL_K, 3)).toBe(0xfffffffd);
    expect(alu(0xffffffff, Op.DIV_K, 2)).toBe(0x7fffffff);
    expect(alu(0xfffffffe, Op.DIV_K, 0xffffffff)).toBe(0);
    expect(alu(100, Op.MOD_K, 7)).toBe(2);
    expect(alu(0xf0f0f0f0, Op.AND_K, 0xff00ff00)).toBe(0xf000f000);
    expect(alu(0xf0f0f0f0, Op.OR_K, 0x0f000000)).toBe(0xfff0f0f0);
    expect(alu(0xffff0000, Op.XOR_K, 0xffffffff)).toBe(0x0000ffff);
    expect(alu(1, Op.LSH_K, 31)).toBe(0x80000000);
    expect(alu(0x80000000, Op.RSH_K, 31)).toBe(1);
    expect(alu(5, Op.NEG, 0)).toBe(0xfffffffb);
    expect(aluX(7, Op.ADD_X, 0xfffffff9)).toBe(0);
    expect(aluX(7, Op.SUB_X, 8)).toBe(0xffffffff);
    expect(aluX(6, Op.MUL_X, 7)).toBe(42);
    expect(aluX(42, Op.DIV_X, 5)).toBe(8);
    expect(aluX(42, Op.MOD_X, 5)).toBe(2);
    expect(aluX(42, Op.DIV_X, 0)).toBe(0);
    expect(aluX(42, Op.MOD_X, 0)).toBe(0);
    expect(aluX(0xf0, Op.AND_X, 0x3c)).toBe(0x30);
    expect(aluX(0xf0, Op.OR_X, 0x0f)).toBe(0xff);
    expect(aluX(0xf0, Op.XOR_X, 0xff)).toBe(0x0f);
    expect(aluX(1, Op.LSH_X, 4)).toBe(16);
    expect(aluX(1, Op.LSH_X, 32)).toBe(0); // not 1, as a masked JS shift would give
    expect(aluX(0x80000000, Op.RSH_X, 4)).toBe(0x08000000);
    expect(aluX(0x80000000, Op.RSH_X, 40)).toBe(0);
  });

  test('jumps: unsigned compares, jset, ja; jt/jf are relative to the next instruction', () => {
    const cmp = (op: number, a: number, k: number): number =>
      run(asm([Op.LD_IMM, 0, 0, a], [op, 1, 0, k], [Op.RET_K, 0, 0, 2], [Op.RET_K, 0, 0, 1]), bytes());
    expect(cmp(Op.JEQ_K, 5, 5)).toBe(1);
    expect(cmp(Op.JEQ_K, 5, 6)).toBe(2);
    expect(cmp(Op.JGT_K, 0x80000000, 1)).toBe(1); // unsigned: 2^31 > 1
    expect(cmp(Op.JGT_K, 5, 5)).toBe(2);
    expect(cmp(Op.JGE_K, 5, 5)).toBe(1);
    expect(cmp(Op.JGE_K, 4, 0xffffffff)).toBe(2);
    expect(cmp(Op.JSET_K, 0b1010, 0b0010)).toBe(1);
    expect(cmp(Op.JSET_K, 0b1010, 0b0101)).toBe(2);
    const cmpX = (op: number, a: number, x: number): number =>
      run(asm([Op.LDX_IMM, 0, 0, x], [Op.LD_IMM, 0, 0, a], [op, 1, 0, 0], [Op.RET_K, 0, 0, 2], [Op.RET_K, 0, 0, 1]), bytes());
    expect(cmpX(Op.JEQ_X, 9, 9)).toBe(1);
    expect(cmpX(Op.JGT_X, 0xffffffff, 0x7fffffff)).toBe(1);
    expect(cmpX(Op.JGE_X, 3, 4)).toBe(2);
    expect(cmpX(Op.JSET_X, 0x100, 0x100)).toBe(1);
    expect(run(asm([Op.JA, 0, 0, 1], [Op.RET_K, 0, 0, 2], [Op.RET_K, 0, 0, 3]), bytes())).toBe(3);
  });

  test('scratch memory, tax/txa, ret k/a/x', () => {
    const p = asm(
      [Op.LD_IMM, 0, 0, 11], [Op.ST, 0, 0, 15], [Op.LDX_IMM, 0, 0, 22], [Op.STX, 0, 0, 0],
      [Op.LD_MEM, 0, 0, 0], [Op.TAX, 0, 0, 0], [Op.LD_MEM, 0, 0, 15], [Op.ADD_X, 0, 0, 0], [Op.RET_A, 0, 0, 0],
    );
    expect(run(p, bytes())).toBe(33);
    expect(run(asm([Op.LDX_IMM, 0, 0, 7], [Op.TXA, 0, 0, 0], [Op.RET_A, 0, 0, 0]), bytes())).toBe(7);
    expect(run(asm([Op.RET_K, 0, 0, 0xffffffff]), bytes())).toBe(0xffffffff);
  });
});

describe('checkBpf refuses what the interpreter would have to guard per frame', () => {
  const bad: [string, Insn[], RegExp][] = [
    ['empty', [], /positive multiple/],
    ['unknown opcode', [[0xff, 0, 0, 0], [Op.RET_K, 0, 0, 0]], /unknown opcode/],
    ['jump past the end', [[Op.JEQ_K, 0, 5, 0], [Op.RET_K, 0, 0, 0]], /past the end/],
    ['ja past the end', [[Op.JA, 0, 0, 1], [Op.RET_K, 0, 0, 0]], /past the end/],
    ['falls off the end', [[Op.LD_IMM, 0, 0, 0]], /not a return/],
    ['division by constant 0', [[Op.DIV_K, 0, 0, 0], [Op.RET_A, 0, 0, 0]], /division by constant 0/],
    ['modulo by constant 0', [[Op.MOD_K, 0, 0, 0], [Op.RET_A, 0, 0, 0]], /division by constant 0/],
    ['shift by 32', [[Op.LSH_K, 0, 0, 32], [Op.RET_A, 0, 0, 0]], /shift by 32/],
    ['scratch slot 16', [[Op.ST, 0, 0, 16], [Op.RET_A, 0, 0, 0]], /slot 16 out of range/],
    ['read before write', [[Op.LD_MEM, 0, 0, 3], [Op.RET_A, 0, 0, 0]], /before it is written/],
    ['written on one path only', [
      [Op.JEQ_K, 0, 1, 0], [Op.ST, 0, 0, 3], [Op.LD_MEM, 0, 0, 3], [Op.RET_A, 0, 0, 0],
    ], /slot 3 before it is written/],
  ];
  test.each(bad)('%s', (_name, insns, why) => {
    expect(checkBpf(insns.flat())).toMatch(why);
    expect(() => toProgram(insns.flat())).toThrow(RangeError);
  });

  test('written on every path is fine; unreachable code is not checked', () => {
    expect(checkBpf([
      [Op.JEQ_K, 0, 2, 0], [Op.ST, 0, 0, 3], [Op.JA, 0, 0, 1], [Op.ST, 0, 0, 3], [Op.LD_MEM, 0, 0, 3], [Op.RET_A, 0, 0, 0],
      [Op.LD_MEM, 0, 0, 9],
    ].flat())).toBeNull();
  });

  test('more than 4096 instructions', () => {
    expect(checkBpf(new Array(4097 * 4).fill(0).map((_, i) => (i % 4 === 0 ? Op.RET_K : 0)))).toMatch(/more than 4096/);
  });
});

// ---- programs compiled by libpcap ------------------------------------------------------------------------------

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/capture/bpf-programs.json', import.meta.url), 'utf8')) as
  { snaplen: number; programs: Record<string, number[]> };

const M1 = mac(1), M2 = mac(2);
const frames: Record<string, Uint8Array> = {
  arp: eth(BCAST, M1, 0x0806, arp(M1, '198.18.0.1', '198.18.0.2')),                                        // 42
  dns: eth(M2, M1, 0x0800, ipv4('198.18.0.1', '198.18.0.2', 17, udp(1234, 53, new Array(12).fill(7)))),     // 54
  syn: eth(M1, M2, 0x0800, ipv4('198.18.0.2', '198.19.0.9', 6, tcp(40000, 80, 0x02), { ttl: 32 })),         // 54
  ping: eth(M2, M1, 0x0800, ipv4('198.18.0.1', '198.18.0.2', 1, icmpEcho(new Array(100).fill(0x55)))),     // 142
  mdns6: eth([0x33, 0x33, 0, 0, 0, 0xfb], mac(3), 0x86dd, ipv6(v6(0xfd00, 1), v6(0xff02, 0xfb), 17, udp(5353, 5353, [1, 2, 3, 4]))), // 66
  vlan: vlanEth(M2, M1, 10, 0x0800, ipv4('198.18.0.1', '198.18.0.2', 17, udp(1000, 2000))),               // 46
  // a later fragment: the bytes where a UDP header would be say port 53, which "udp port 53" must not believe
  frag: eth(M2, M1, 0x0800, ipv4('198.18.0.1', '198.18.0.2', 17, [0, 53, 0, 53, 0, 8, 0, 0], { frag: 185 })), // 42
  icmp6: eth(M2, M1, 0x86dd, ipv6(v6(0xfd00, 1), v6(0xfd00, 2), 58, [128, 0, 0, 0, 0, 1, 0, 1])),           // 62
  short: eth(M2, mac(4), 0x0800, []),                                                                       // 14
};
const ALL = Object.keys(frames);
const except = (...names: string[]): string[] => ALL.filter((n) => !names.includes(n));

const expected: Record<string, string[]> = {
  'arp': ['arp'],
  'ip': ['dns', 'syn', 'ping', 'frag', 'short'],
  'ip6': ['mdns6', 'icmp6'],
  'udp': ['dns', 'mdns6', 'frag'],
  'tcp': ['syn'],
  'icmp': ['ping'],
  'udp port 53': ['dns'],
  'tcp dst port 80': ['syn'],
  'tcp[tcpflags] & tcp-syn != 0': ['syn'],
  'ether host 02:00:00:00:00:01': except('mdns6', 'short'),
  'ether src 02:00:00:00:00:01': except('syn', 'mdns6', 'short'),
  'ether dst 02:00:00:00:00:02': ['dns', 'ping', 'vlan', 'frag', 'icmp6', 'short'],
  'ether broadcast': ['arp'],
  'ether multicast': ['arp', 'mdns6'],
  'not arp': except('arp'),
  'vlan 10': ['vlan'],
  'vlan and ip': ['vlan'],
  'host 198.18.0.1': ['arp', 'dns', 'ping', 'frag'],
  'src host 198.18.0.1 and icmp': ['ping'],
  'net 198.18.0.0/15': ['arp', 'dns', 'syn', 'ping', 'frag'],
  'greater 100': ['ping'],
  'less 60': ['arp', 'dns', 'syn', 'vlan', 'frag', 'short'],
  'ip[8] < 64': ['syn'],
  'udp and ip[6:2] & 0x1fff = 0': ['dns'],
  'ip6 and udp port 5353': ['mdns6'],
  'icmp6': ['icmp6'],
};

describe('programs compiled by libpcap (fixture)', () => {
  test('the fixture covers every expression of the table', () => {
    expect(Object.keys(fixture.programs).sort()).toEqual(Object.keys(expected).sort());
  });
  test.each(Object.keys(expected))('%s', (expr) => {
    const p = toProgram(fixture.programs[expr]).p;
    const matched = ALL.filter((n) => {
      // the frame sits inside a larger buffer, at an offset, as frames do in the receive ring
      const f = frames[n];
      const buf = new Uint8Array(f.length + 40).fill(0xaa);
      buf.set(f, 17);
      const r = runBpf(p, buf, 17, f.length);
      expect(r === 0 || r === fixture.snaplen).toBe(true);
      return r !== 0;
    });
    expect(matched).toEqual(expected[expr]);
  });
});
