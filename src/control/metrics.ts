// Prometheus text exposition of the daemon's counters (GET /metrics). Read from the shared counter block on each
// scrape, and the engine's statistics asked of the worker then (Daemon.engineStats): nothing per batch.
//
// DOC: a scrape costs the control thread a text of every counter of every port (tens of thousands of lines with
// thousands of children), and any local user can connect. So the text is built at most once a second (scrapes
// within that second, and scrapes that arrive while it is built, get the same text), at most MAX_CONNECTIONS
// connections are open at once (more are closed on accept), and a connection idle for IDLE_MS (a request not
// sent, a response not read) is closed.

import { createServer, type Server } from 'node:http';
import type { Daemon } from './daemon.js';
import { portViews, type PortView } from './requests.js';
import { withEngineStats } from './engine-stats.js';
import type { EngineSnapshot } from '../datapath/engine-stats.js';
import type { ErrorCode } from '../errors/catalog.js';

const HELP: Readonly<Record<string, string>> = {
  rx_packets: 'frames delivered to the port (for the parent: received from the wire)',
  rx_bytes: 'bytes delivered to the port',
  rx_multicast: 'group frames delivered to the port by a flood',
  tx_packets: 'frames the port sent',
  tx_bytes: 'bytes the port sent',
  rx_errors: 'copies that could not be delivered to the port',
  rx_dropped: 'copies dropped on the way to the port',
  tx_dropped: 'frames the port sent that went nowhere',
  nat_rewritten: '--mac-nat: frames of the port whose MAC addresses were rewritten (to or from the wire)',
  nat_unowned: '--mac-nat: frames from the wire to the parent\'s MAC whose destination no child owns',
};

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function exposition(d: Daemon, snap: EngineSnapshot | null): string {
  return expositionOf(withEngineStats(portViews(d), snap));
}

const ENGINE_METRICS: ReadonlyArray<[string, string, 'counter' | 'gauge', (p: PortView) => number | undefined]> = [
  ['umacvlan_ring_drops_total', 'frames the kernel dropped because the parent\'s ring was full', 'counter', (p) => p.ring?.drops],
  ['umacvlan_ring_truncated_total', 'frames the parent\'s ring held cut short (not forwarded)', 'counter', (p) => p.ring?.truncated],
  ['umacvlan_ring_too_big_total', 'frames larger than a slot of the parent\'s ring (not forwarded)', 'counter', (p) => p.ring?.tooBig],
  ['umacvlan_read_errors_total', 'reads from the port that failed or gave an unusable frame', 'counter', (p) => p.io?.readErrors],
  ['umacvlan_write_errors_total', 'frames the port\'s device refused to send', 'counter', (p) => p.io?.writeErrors],
  ['umacvlan_port_error', '1 when reads from the port stopped for good (state error)', 'gauge', (p) => (p.io ? (p.state === 'error' ? 1 : 0) : undefined)],
];

/** The exposition of port views (with the engine's statistics in them, if read). */
export function expositionOf(ports: PortView[]): string {
  const names = ports.length ? Object.keys(ports[0].counters) : [];
  let out = '';
  for (const n of names) {
    const drop = n.startsWith('drop_');
    const metric = drop ? 'umacvlan_drops_total' : `umacvlan_${n}_total`;
    if (!drop || n === names.find((x) => x.startsWith('drop_'))) {
      out += `# HELP ${metric} ${drop ? 'frames that arrived on the port and were not forwarded, by reason' : HELP[n] ?? n}\n# TYPE ${metric} counter\n`;
    }
    for (const p of ports) {
      const labels = `port="${esc(p.name)}",mode="${p.mode}"${drop ? `,reason="${n.slice(5)}"` : ''}`;
      out += `${metric}{${labels}} ${p.counters[n]}\n`;
    }
  }
  out += '# HELP umacvlan_port_up 1 when the port is up (in the address table)\n# TYPE umacvlan_port_up gauge\n';
  for (const p of ports) out += `umacvlan_port_up{port="${esc(p.name)}",mode="${p.mode}"} ${p.state === 'up' ? 1 : 0}\n`;
  for (const [metric, help, type, value] of ENGINE_METRICS) {
    const lines = ports.flatMap((p) => {
      const v = value(p);
      return v === undefined ? [] : [`${metric}{port="${esc(p.name)}",mode="${p.mode}"} ${v}\n`];
    });
    if (lines.length) out += `# HELP ${metric} ${help}\n# TYPE ${metric} ${type}\n${lines.join('')}`;
  }
  return out;
}

/** How long a built exposition is served again */
export const CACHE_MS = 1000;
export const MAX_CONNECTIONS = 16;
export const IDLE_MS = 5000;

export interface MetricsOptions {
  cacheMs?: number;
  maxConnections?: number;
  idleMs?: number;
  /** the clock the cache is judged by; default Date.now */
  now?: () => number;
}

/** The exposition of daemon `d` now, with the engine's statistics asked of the worker. */
export const scrape = (d: Daemon): Promise<string> => d.engineStats().then((snap) => exposition(d, snap));

export class MetricsServer {
  private server: Server | null = null;
  private cached: { text: string; at: number } | null = null;
  private building: Promise<string> | null = null;
  private readonly o: Required<MetricsOptions>;

  constructor(private readonly build: () => Promise<string>, o: MetricsOptions = {}) {
    this.o = { cacheMs: CACHE_MS, maxConnections: MAX_CONNECTIONS, idleMs: IDLE_MS, now: Date.now, ...o };
  }

  /** The exposition, built again only when the last one is older than cacheMs; one build at a time. */
  text(): Promise<string> {
    const c = this.cached;
    if (c !== null && this.o.now() - c.at < this.o.cacheMs) return Promise.resolve(c.text);
    this.building ??= this.build().then(
      (text) => { this.cached = { text, at: this.o.now() }; return text; },
    ).finally(() => { this.building = null; });
    return this.building;
  }

  listen(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics\n');
        return;
      }
      void this.text().then((text) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
      }, (e: Error) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`); });
    });
    server.maxConnections = this.o.maxConnections;
    // no 'timeout' listener: Node destroys a socket idle this long. (A timer per open connection, for a client that
    // went quiet: it discovers nothing the kernel announces.)
    server.setTimeout(this.o.idleMs);
    server.keepAliveTimeout = Math.min(server.keepAliveTimeout, this.o.idleMs);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(Object.assign(new Error(`metrics ${host}:${port}: ${e.message}`), { code: 'UMV_ERR_METRICS' satisfies ErrorCode })));
      server.listen(port, host, () => resolve());
    });
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((r) => s.close(() => r()));
  }
}
