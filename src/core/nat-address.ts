// Addresses of the MAC-NAT table as text and as the table's four words (nat-table.ts). Control path only.

import { V4_MAPPED } from './nat-table.js';

export type AddrWords = [number, number, number, number];

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4Value(s: string): number | null {
  const m = V4.exec(s);
  if (m === null) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i].length > 1 && m[i][0] === '0')) return null;
    v = v * 256 + o;
  }
  return v | 0;
}

/** The words of an IPv4 or IPv6 address in text, or null when it is neither */
export function addrWords(text: string): AddrWords | null {
  const v4 = v4Value(text);
  if (v4 !== null) return [0, 0, V4_MAPPED, v4];
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.length > 39) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (s: string): number[] | null => {
    if (s === '') return [];
    const g = s.split(':');
    if (g.some((x) => x.length === 0 || x.length > 4)) return null;
    return g.map((x) => parseInt(x, 16));
  };
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const g = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return [(g[0] << 16) | g[1], (g[2] << 16) | g[3], (g[4] << 16) | g[5], (g[6] << 16) | g[7]];
}

/** The words read from frame bytes: 4 (IPv4) or 16 (IPv6) bytes at `p` */
export function wordsAt(b: Uint8Array, p: number, len: 4 | 16): AddrWords {
  const w = (q: number): number => (b[q] << 24) | (b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3];
  return len === 4 ? [0, 0, V4_MAPPED, w(p)] : [w(p), w(p + 4), w(p + 8), w(p + 12)];
}

export const isV4 = (w: AddrWords): boolean => w[0] === 0 && w[1] === 0 && w[2] === V4_MAPPED;

/** Text of an address: dotted IPv4, or IPv6 with the longest run of zero groups as '::' */
export function addrText(w: AddrWords): string {
  if (isV4(w)) return [w[3] >>> 24, (w[3] >>> 16) & 255, (w[3] >>> 8) & 255, w[3] & 255].join('.');
  const g: number[] = [];
  for (const x of w) g.push((x >>> 16) & 0xffff, x & 0xffff);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
