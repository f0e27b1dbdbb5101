// /metrics under load from anyone: the exposition is built at most once per cache period however many scrape, at
// most N connections are open at once, and an idle connection is closed.
import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { CACHE_MS, IDLE_MS, MAX_CONNECTIONS, MetricsServer } from '../../../src/control/metrics.js';

let m: MetricsServer | null = null;
afterEach(async () => { await m?.close(); m = null; });

/** A server on an ephemeral port of 127.0.0.1 whose exposition counts its builds. */
async function serve(o: ConstructorParameters<typeof MetricsServer>[1] = {}): Promise<{ port: number; builds: () => number }> {
  let builds = 0;
  m = new MetricsServer(async () => { builds++; await new Promise((r) => setTimeout(r, 20)); return `build ${builds}\n`; }, o);
  await m.listen('127.0.0.1', 0);
  const port = ((m as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  return { port, builds: () => builds };
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

const closed = (s: Socket): Promise<void> => new Promise((r) => { if (s.destroyed) r(); else s.on('close', () => r()); });
const opened = (port: number): Promise<Socket> => new Promise((resolve, reject) => {
  const s = connect(port, '127.0.0.1', () => resolve(s));
  s.on('error', reject);
});

test('the limits are what the README says', () => {
  expect([CACHE_MS, MAX_CONNECTIONS, IDLE_MS]).toEqual([1000, 16, 5000]);
});

describe('the exposition is cached', () => {
  test('scrapes at once, and scrapes within the cache period, share one build; a later scrape builds again', async () => {
    let now = 0;
    const s = await serve({ now: () => now });
    const bodies = await Promise.all(Array.from({ length: 10 }, () => get(s.port)));
    expect(bodies.map((b) => [b.status, b.body])).toEqual(Array.from({ length: 10 }, () => [200, 'build 1\n']));
    now += CACHE_MS - 1;
    expect((await get(s.port)).body).toBe('build 1\n');
    expect(s.builds()).toBe(1);
    now += 1;
    expect((await get(s.port)).body).toBe('build 2\n');
    expect(s.builds()).toBe(2);
  });

  test('a failed build is not cached', async () => {
    let fail = true;
    m = new MetricsServer(async () => { if (fail) throw new Error('worker gone'); return 'ok\n'; });
    expect(await m.text().catch((e: Error) => e.message)).toBe('worker gone');
    fail = false;
    expect(await m.text()).toBe('ok\n');
  });
});

describe('connections', () => {
  test('beyond the cap a connection is closed at once; the others are kept and, once gone, scrapes are served', async () => {
    const s = await serve({ maxConnections: 3, idleMs: 60_000 });
    const held = await Promise.all([0, 1, 2].map(() => opened(s.port)));
    const extra = await opened(s.port);
    await closed(extra);
    expect(held.map((h) => h.destroyed)).toEqual([false, false, false]);
    for (const h of held) h.destroy();
    // the server counts them gone once it has seen their close
    let r: { status: number; body: string } | null = null;
    while (r === null) r = await get(s.port).catch(() => null);
    expect(r).toEqual({ status: 200, body: 'build 1\n' });
  });

  test('a connection that sends nothing is closed after the idle time', async () => {
    const s = await serve({ idleMs: 200 });
    const c = await opened(s.port);
    await closed(c);
    expect(c.destroyed).toBe(true);
    expect((await get(s.port)).status).toBe(200);
  });
});
