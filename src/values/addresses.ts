// addresses.ts — the IP addresses a user writes: an interface address with its prefix (--host-port-addr) and the
// metrics listener (ADDR:PORT). The IP text itself is read and written by wire/ip-address.ts, the one home of it;
// here are the rules of each use (a prefix length, no multicast on an interface, brackets around IPv6 before a port).

import { canonicalIp, isIpv6WithZone, isMulticastIp, isUnspecifiedIp, parseIp } from '../wire/ip-address.js';
import { parseDecimal } from './numbers.js';
import { problem, quote, type Problem } from './problem.js';

/** An address of an interface (the host port's) with its prefix length: canonical text (IPv6 compressed, lower case). */
export interface IfAddr { addr: string; prefix: number }

/** `ADDR/PREFIX` (IPv4 or IPv6; no prefix: a host's, /32 or /128, as ip(8) takes it); not multicast or unspecified. */
export function parseIfAddr(text: string): IfAddr | Problem {
  const slash = text.indexOf('/');
  const addr = canonicalIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return problem(`bad address ${quote(text)} (ADDR/PREFIX, IPv4 or IPv6)`);
  const bytes = parseIp(addr)!;
  const bits = bytes.length * 8;
  const prefix = slash < 0 ? bits : parseDecimal(text.slice(slash + 1), 0, bits, 'prefix length');
  if (typeof prefix !== 'number') return prefix;
  if (isUnspecifiedIp(bytes) || isMulticastIp(bytes)) {
    return problem(`${quote(text)} is ${isUnspecifiedIp(bytes) ? 'unspecified' : 'multicast'}: not an interface address`);
  }
  return { addr, prefix };
}

export const formatIfAddr = (c: IfAddr): string => `${c.addr}/${c.prefix}`;

export interface MetricsAddr {
  /** an IP literal; IPv6 without brackets */
  host: string;
  port: number;
}

/** Loopback: the metrics are readable by anyone who can connect, so they stay on the host unless asked. */
const METRICS_DEFAULT_HOST = '127.0.0.1';
const METRICS_RE = /^(?:\[(?<v6>[^\]]*)\]|(?<host>[^:[\]]*)):(?<port>[^:]*)$/;

/** `ADDR:PORT`, `[IPV6]:PORT` or `:PORT` (= 127.0.0.1:PORT). ADDR is an IP literal: no name lookup at start-up. */
export function parseMetrics(text: string): MetricsAddr | Problem {
  const m = METRICS_RE.exec(text);
  if (!m?.groups) {
    return problem(`bad address ${quote(text)} (ADDR:PORT, [IPV6]:PORT or :PORT)`);
  }
  const { v6, host, port: portText } = m.groups;
  const port = parseDecimal(portText, 1, 65535, 'port');
  if (typeof port !== 'number') return port;
  if (v6 !== undefined) return isIpv6WithZone(v6) ? { host: v6, port } : problem(`bad IPv6 address ${quote(v6)}`);
  if (host === '') return { host: METRICS_DEFAULT_HOST, port };
  // the group holds no ':', so an address here is IPv4 or nothing
  return parseIp(host) !== null ? { host, port } : problem(`bad IPv4 address ${quote(host)} (an IP literal; IPv6 in brackets)`);
}
