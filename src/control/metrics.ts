// Prometheus text exposition of the daemon's counters (GET /metrics). Read from the shared counter block on each
// scrape: nothing here touches the datapath.

import { createServer, type Server } from 'node:http';
import type { Daemon } from './daemon.js';
import { portViews } from './requests.js';
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
};

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function exposition(d: Daemon): string {
  const ports = portViews(d);
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
  return out;
}

export class MetricsServer {
  private server: Server | null = null;
  constructor(private readonly d: Daemon) {}

  listen(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(this.d));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(Object.assign(new Error(`metrics ${host}:${port}: ${e.message}`), { code: 'UMV_ERR_METRICS' satisfies ErrorCode })));
      server.listen(port, host, () => resolve());
    });
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    return s ? new Promise((r) => s.close(() => r())) : Promise.resolve();
  }
}
