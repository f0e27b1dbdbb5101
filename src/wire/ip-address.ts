// ip-address.ts — IPv4 and IPv6 addresses as text and as the 4 or 16 bytes a header carries: the one reader and
// writer of IP text in src/ (flags and the config file, the state file, CNI results, rtnetlink requests, the NAT
// table). Control path only.
//
// Read as Go's net.ParseIP and Node's net.isIP read them (the CNI reference stores results as net.IP and prints them
// again): IPv4 dotted quads without leading zeros (iproute2 reads "010" as octal: refused rather than guessed), IPv6
// in any RFC 4291 text form with an optional IPv4 tail, no zone. Written in the RFC 5952 form (lowercase, the first
// longest run of two or more zero groups as "::"); `formatIp` prints an IPv4-mapped IPv6 address as IPv4, as Go does,
// `canonicalIp` keeps it IPv6, as the WHATWG URL parser and the kernel's own listing do.

/** 4 bytes for IPv4, 16 for IPv6. */
export type IpBytes = readonly number[];

function parseV4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function parseV6(s: string): number[] | null {
  let tail: number[] = [];
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = v4;
    text = `${s.slice(0, lastColon + 1)}0:0`; // two placeholder groups, replaced by the IPv4 bytes below
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || rest === null) return null;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    all = head;
  }
  if (all.length !== 8) return null;
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** An IP literal as bytes, or null. */
export function parseIp(s: string): IpBytes | null {
  return s.includes(':') ? parseV6(s) : parseV4(s);
}

/** Node's net.isIPv6 zone (`fe80::1%eth0`): letters, digits, '.', ':' and '-' */
const ZONE = /^[0-9a-zA-Z.:-]+$/;

/** An IPv6 literal with an optional zone, as a listening socket takes it (the zone names the interface). */
export function isIpv6WithZone(text: string): boolean {
  const pct = text.indexOf('%');
  if (pct >= 0 && !ZONE.test(text.slice(pct + 1))) return false;
  return parseIp(pct < 0 ? text : text.slice(0, pct))?.length === 16;
}

const isMapped = (b: IpBytes): boolean => b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Whether Go's To4() would see IPv4: a 4-byte address or an IPv4-mapped IPv6 one. */
export const isV4 = (b: IpBytes): boolean => b.length === 4 || isMapped(b);

/** An address as Go's net.IP.String() prints it: IPv4 (4 bytes or IPv4-mapped) dotted, other IPv6 in RFC 5952. */
export function formatIp(b: IpBytes): string {
  return isV4(b) ? b.slice(-4).join('.') : v6Text(b);
}

/** The canonical text of an IP literal, its family kept (an IPv4-mapped address stays IPv6); null when not one. */
export function canonicalIp(text: string): string | null {
  const b = parseIp(text);
  if (b === null) return null;
  return b.length === 4 ? b.join('.') : v6Text(b);
}

function v6Text(b: IpBytes): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b[i] * 256 + b[i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export interface Cidr { ip: IpBytes; prefix: number }

/** ADDRESS/PREFIX as net.ParseCIDR reads it (the address kept, not masked); null when it is not one. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (ip === null || !/^(?:0|[1-9][0-9]{0,2})$/.test(p)) return null;
  const prefix = Number(p);
  if (prefix > ip.length * 8) return null;
  return { ip, prefix };
}

/** The prefix as Go prints an IPNet: a mapped IPv4 address with its prefix counted in IPv4 bits. */
export function formatCidr(c: Cidr): string {
  const prefix = c.ip.length === 16 && isMapped(c.ip) ? Math.max(0, c.prefix - 96) : c.prefix;
  return `${formatIp(c.ip)}/${prefix}`;
}

/** Equal addresses (IPv4 and its IPv4-mapped form are equal, as in Go). */
export function sameIp(a: IpBytes, b: IpBytes): boolean {
  const x = isV4(a) ? a.slice(-4) : a, y = isV4(b) ? b.slice(-4) : b;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The same network: equal prefix lengths and equal leading bits (a route's destination, whatever its host bits). */
export function sameNet(a: Cidr, b: Cidr): boolean {
  const norm = (c: Cidr): Cidr => (isV4(c.ip) && c.ip.length === 16 ? { ip: c.ip.slice(-4), prefix: Math.max(0, c.prefix - 96) } : c);
  const x = norm(a), y = norm(b);
  if (x.prefix !== y.prefix || x.ip.length !== y.ip.length) return false;
  for (let bit = 0; bit < x.prefix; bit++) {
    const byte = bit >> 3, m = 0x80 >> (bit & 7);
    if ((x.ip[byte] & m) !== (y.ip[byte] & m)) return false;
  }
  return true;
}

// ---- address classes: what no interface may hold, whatever its prefix ----

/** 0.0.0.0 or :: */
export const isUnspecifiedIp = (b: IpBytes): boolean => b.every((x) => x === 0);

/** 224.0.0.0/4 or ff00::/8 */
export const isMulticastIp = (b: IpBytes): boolean => (b.length === 4 ? b[0] >= 224 && b[0] <= 239 : b[0] === 0xff);
