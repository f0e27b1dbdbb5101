// `umacvlan run`: start the daemon, serve the control socket (and metrics, capture), stop cleanly on a signal.

import type { RunConfig } from './config-file.js';
import { Daemon, DaemonError } from './daemon.js';
import { EXIT, exitOf, exitStatus } from '../errors/catalog.js';
import type { Host } from './host.js';
import { Log } from './log.js';
import { ControlServer } from './server.js';
import { defaultControlPath } from './socket-path.js';
import { handleRequest, portViews, type ExtraHandlers } from './requests.js';
import { MetricsServer, scrape } from './metrics.js';
import { CaptureControl } from './capture-control.js';
import { peerUid } from '../io/peer-cred.js';
import { linuxCniSys } from './netns-config.js';
import { spawnIpam } from './ipam-exec.js';

function printCounters(d: Daemon, log: Log): void {
  const cols = ['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'rx_multicast', 'rx_errors', 'rx_dropped', 'tx_dropped'];
  const lines = [`${'port'.padEnd(16)}${'mode'.padEnd(9)}${cols.map((c) => c.padStart(13)).join('')}  drops`];
  for (const p of portViews(d)) {
    const drops = Object.entries(p.counters).filter(([k, v]) => k.startsWith('drop_') && v > 0).map(([k, v]) => `${k.slice(5)}=${v}`).join(' ');
    lines.push(`${p.name.padEnd(16)}${p.mode.padEnd(9)}${cols.map((c) => String(p.counters[c] ?? 0).padStart(13)).join('')}  ${drops}`);
  }
  log.info(`counters at exit:\n${lines.join('\n')}`);
}

export async function runMain(cfg: RunConfig, host: Host): Promise<number> {
  const log = new Log(cfg.log);
  if (!host.isRoot()) {
    log.warn('run: needs root (AF_PACKET sockets and TAP devices)');
    return exitStatus('UMV_ERR_NOT_ROOT');
  }
  let daemon: Daemon | null = null;
  const extra: ExtraHandlers = {};
  const controlPath = cfg.control ?? defaultControlPath(cfg.parent);
  const control = new ControlServer(controlPath, (req) =>
    daemon ? handleRequest(daemon, req, extra) : { ok: false, error: 'the daemon is starting', code: 'UMV_ERR_STARTING' },
  (fd) => peerUid(fd, controlPath));
  try {
    await control.listen();
  } catch (e) {
    log.warn(`control socket ${controlPath}: ${(e as Error).message}`);
    return exitOf(e);
  }
  let metrics: MetricsServer | null = null;
  let capture: CaptureControl | null = null;
  const shutdown = async (): Promise<void> => {
    await capture?.close();
    await metrics?.close();
    await control.close();
    if (daemon) {
      await daemon.stop();
      printCounters(daemon, log);
    }
  };
  try {
    daemon = await Daemon.start(cfg, host, log);
    if (cfg.metrics) {
      const d = daemon;
      metrics = new MetricsServer(() => scrape(d));
      await metrics.listen(cfg.metrics.host, cfg.metrics.port);
      log.info(`metrics on http://${cfg.metrics.host.includes(':') ? `[${cfg.metrics.host}]` : cfg.metrics.host}:${cfg.metrics.port}/metrics`);
    }
    extra.cni = { sys: linuxCniSys, ipam: { run: spawnIpam, baseEnv: process.env }, controlPath };
    capture = new CaptureControl(daemon, log);
    extra.captureStart = (c) => capture!.start(c.capture);
    extra.captureStop = () => capture!.stop();
    if (cfg.capture) {
      const a = await capture.start(cfg.capture);
      if (!a.ok) throw new DaemonError(`capture: ${a.error}`, a.code);
    }
  } catch (e) {
    log.warn((e as Error).message);
    await shutdown();
    return exitOf(e);
  }
  log.info(`serving ${cfg.parent} with ${daemon.children.size} children; control socket ${controlPath}`);
  log.ready();
  const d = daemon;
  const code = await new Promise<number>((resolve) => {
    const onSignal = (): void => resolve(EXIT.OK);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void d.ended.then(resolve);
    extra.stop = (removeChildren) => {
      d.removeOnStop ||= removeChildren;
      // Answered first: the client hears before the socket closes.
      setImmediate(() => resolve(EXIT.OK));
      return { ok: true, message: removeChildren ? 'stopping; removing the children' : 'stopping' };
    };
  });
  await shutdown();
  return code;
}
