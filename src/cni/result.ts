// result.ts — CNI results: read from an IPAM plugin or a prevResult in any version umacvlan speaks, kept in one
// internal form (the 1.1.0 shape), written in the version the config asks for.
//
// The reference library converts the same way (pkg/types/100 ⇄ pkg/types/040): 0.3.x and 0.4.0 carry "version"
// ("4"/"6") on every IP and no interface MTU; 1.x drop "version". Addresses are printed again as Go prints them.
// "dns" is always written, an empty object when there is none: Debian's macvlan plugin (library before 1.2) does so at
// every version, and the side-by-side system test compares the shapes.

import { CNI_CODE, CniError } from './cni-error.js';
import { compareVersions, SUPPORTED_VERSIONS } from './versions.js';
import { GoFields, isObject, jsonType } from './go-json.js';
import { formatCidr, formatIp, isV4, parseCidr, parseIp } from '../wire/ip-address.js';

export interface Dns { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] }

export interface Route {
  dst: string; gw?: string;
  /** 1.1.0's optional route attributes, carried as given */
  mtu?: number; advmss?: number; priority?: number; table?: number; scope?: number;
}

export interface Result {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string; mtu?: number; socketPath?: string; pciID?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Route[];
  dns?: Dns;
}

const UINT = 0xffff_ffff;
const bad = (what: string): CniError => new CniError(CNI_CODE.DECODE_FAILED, `failed to decode result: ${what}`);

/** A "dns" object (a result's or a config's): its four fields, the empty ones left out. */
export function decodeDns(f: GoFields | undefined): Dns | undefined {
  if (f === undefined) return undefined;
  const dns: Dns = {};
  const ns = f.strings('nameservers'), domain = f.string('domain'), search = f.strings('search'), options = f.strings('options');
  if (ns?.length) dns.nameservers = ns;
  if (domain) dns.domain = domain;
  if (search?.length) dns.search = search;
  if (options?.length) dns.options = options;
  return dns;
}

function cidr(f: GoFields, key: string): string {
  const text = f.string(key);
  const c = text === undefined ? null : parseCidr(text);
  if (c === null) throw f.fail(key, text === undefined ? 'missing' : `${JSON.stringify(text)} is not ADDRESS/PREFIX`);
  return formatCidr(c);
}

function ip(f: GoFields, key: string): string | undefined {
  const text = f.string(key);
  if (text === undefined || text === '') return undefined;
  const b = parseIp(text);
  if (b === null) throw f.fail(key, `${JSON.stringify(text)} is not an IP address`);
  return formatIp(b);
}

/** A route as the library's types.Route reads it (shared by every version). */
export function decodeRoute(f: GoFields): Route {
  const r: Route = { dst: cidr(f, 'dst') };
  const gw = ip(f, 'gw');
  if (gw !== undefined) r.gw = gw;
  for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const v = f.int(k, 0, UINT);
    if (v !== undefined && (v !== 0 || k === 'table' || k === 'scope')) r[k] = v;
  }
  return r;
}

/**
 * An IPAM plugin's stdout or a prevResult, in any supported version, as the internal result. `fallbackVersion` is
 * the config's version, used when the result has none (the library does the same for a prevResult). CniError 6 when
 * it is not a result, 1 when its version is not one umacvlan speaks.
 */
export function parseResult(json: string | object, fallbackVersion = ''): Result {
  let v: unknown = json;
  if (typeof json === 'string') {
    try {
      v = JSON.parse(json);
    } catch (e) {
      throw bad((e as Error).message);
    }
  }
  if (!isObject(v)) throw bad(`a result is an object, not ${jsonType(v)}`);
  const f = new GoFields(v, 'result', CNI_CODE.DECODE_FAILED);
  const cniVersion = f.string('cniVersion') || fallbackVersion;
  if (!SUPPORTED_VERSIONS.includes(cniVersion)) {
    throw new CniError(CNI_CODE.INCOMPATIBLE_VERSION, `result version ${JSON.stringify(cniVersion || '0.1.0')} is not supported`,
      `umacvlan reads results of versions ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  const r: Result = { cniVersion };
  const interfaces = f.objects('interfaces')?.map((i) => {
    const out: NonNullable<Result['interfaces']>[number] = { name: i.string('name') ?? '' };
    const mac = i.string('mac'), sandbox = i.string('sandbox'), mtu = i.int('mtu', 0, UINT);
    const socketPath = i.string('socketPath'), pciID = i.string('pciID');
    if (mac) out.mac = mac;
    if (mtu) out.mtu = mtu;
    if (sandbox) out.sandbox = sandbox;
    if (socketPath) out.socketPath = socketPath;
    if (pciID) out.pciID = pciID;
    return out;
  });
  if (interfaces?.length) r.interfaces = interfaces;
  const ips = f.objects('ips')?.map((i) => {
    const out: NonNullable<Result['ips']>[number] = { address: cidr(i, 'address') };
    const gateway = ip(i, 'gateway'), index = i.int('interface', 0, UINT);
    if (gateway !== undefined) out.gateway = gateway;
    if (index !== undefined) out.interface = index;
    i.string('version'); // 0.3.x/0.4.0: checked for its type, then derived from the address on output
    return out;
  });
  if (ips?.length) r.ips = ips;
  const routes = f.objects('routes')?.map(decodeRoute);
  if (routes?.length) r.routes = routes;
  const dns = decodeDns(f.object('dns'));
  if (dns !== undefined) r.dns = dns;
  return r;
}

/** The internal result as the JSON object of `cniVersion` (keys in the library's order). CniError 1 for a version not spoken. */
export function resultFor(r: Result, cniVersion: string): object {
  if (!SUPPORTED_VERSIONS.includes(cniVersion)) {
    throw new CniError(CNI_CODE.INCOMPATIBLE_VERSION, 'incompatible CNI versions', `no result of version ${JSON.stringify(cniVersion)}`);
  }
  const v1 = compareVersions(cniVersion, '1.0.0') >= 0;
  const out: Record<string, unknown> = { cniVersion };
  if (r.interfaces?.length) {
    out.interfaces = r.interfaces.map((i) => {
      const o: Record<string, unknown> = { name: i.name };
      if (i.mac) o.mac = i.mac;
      if (v1 && i.mtu) o.mtu = i.mtu;
      if (i.sandbox) o.sandbox = i.sandbox;
      if (v1 && i.socketPath) o.socketPath = i.socketPath;
      if (v1 && i.pciID) o.pciID = i.pciID;
      return o;
    });
  }
  if (r.ips?.length) {
    out.ips = r.ips.map((i) => {
      const o: Record<string, unknown> = {};
      if (!v1) o.version = isV4(parseCidr(i.address)?.ip ?? []) ? '4' : '6';
      if (i.interface !== undefined) o.interface = i.interface;
      o.address = i.address;
      if (i.gateway !== undefined) o.gateway = i.gateway;
      return o;
    });
  }
  if (r.routes?.length) out.routes = r.routes.map((x) => ({ ...x }));
  out.dns = { ...(r.dns ?? {}) };
  return out;
}

/**
 * What ADD prints: the one interface (name, MAC, sandbox), the IPAM result's IPs on it ("interface": 0) and its
 * routes, and the config's "dns" — the reference plugin reports the config's dns, not the IPAM plugin's. CniError
 * when an IPAM plugin was run and returned no IP (the reference's words).
 */
export function macvlanResult(ipam: Result | null, ifname: string, mac: string, sandbox: string, cniVersion: string, dns?: Dns): object {
  const r: Result = { cniVersion, interfaces: [{ name: ifname, mac, sandbox }] };
  if (ipam !== null) {
    if (!ipam.ips?.length) throw new CniError(CNI_CODE.INTERNAL, 'IPAM plugin returned missing IP config');
    r.ips = ipam.ips.map((i) => ({ ...i, interface: 0 }));
    if (ipam.routes?.length) r.routes = ipam.routes;
  }
  if (dns !== undefined) r.dns = dns;
  return resultFor(r, cniVersion);
}
