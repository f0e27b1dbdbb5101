// A small UDP echo (IPv4 or IPv6, as ADDR is), the demo's and the tests' stand-in for ping (a fresh machine has none):
//   node dist/support/echo-cli.js serve ADDR PORT [SECONDS]      echo every datagram back, stop after SECONDS (default 30)
//   node dist/support/echo-cli.js ping ADDR PORT [COUNT] [TIMEOUT_MS]
// ping prints one JSON line: {"sent":N,"received":N,"rttUs":[...]} and exits 0 if every probe came back, else 1.

import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** ADDR picks the family: an IPv6 address, a udp6 socket */
const family = (addr: string): 'udp4' | 'udp6' => (isIPv6(addr) ? 'udp6' : 'udp4');

function serve(addr: string, port: number, seconds: number): void {
  const s = createSocket(family(addr));
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.bind(port, addr, () => process.stdout.write('listening\n'));
  setTimeout(() => s.close(), seconds * 1000).unref();
  process.on('SIGTERM', () => s.close());
}

function ping(addr: string, port: number, count: number, timeoutMs: number): void {
  const s = createSocket(family(addr));
  const sentAt = new Map<number, bigint>();
  const rtt: number[] = [];
  let seq = 0;
  const done = (): void => {
    s.close();
    process.stdout.write(JSON.stringify({ sent: seq, received: rtt.length, rttUs: rtt }) + '\n');
    process.exitCode = rtt.length === count ? 0 : 1;
  };
  const timer = setTimeout(done, timeoutMs);
  s.on('message', (msg) => {
    const n = msg.readUInt32BE(0);
    const t0 = sentAt.get(n);
    if (t0 === undefined) return;
    sentAt.delete(n);
    rtt.push(Number((process.hrtime.bigint() - t0) / 1000n));
    if (rtt.length === count) { clearTimeout(timer); done(); } else sendOne();
  });
  const sendOne = (): void => {
    const b = Buffer.alloc(32);
    b.writeUInt32BE(seq, 0);
    sentAt.set(seq, process.hrtime.bigint());
    seq++;
    s.send(b, port, addr);
  };
  // A lost probe (e.g. the first one, while ARP resolves) is sent again until the deadline.
  const retry = setInterval(() => { if (rtt.length < count && sentAt.size > 0 && seq < count * 4) sendOne(); }, 200);
  retry.unref();
  s.on('close', () => clearInterval(retry));
  sendOne();
}

const [cmd, addr, portText, a, b] = process.argv.slice(2);
const port = Number(portText);
if (cmd === 'serve' && addr && port > 0) serve(addr, port, Number(a ?? 30));
else if (cmd === 'ping' && addr && port > 0) ping(addr, port, Number(a ?? 3), Number(b ?? 3000));
else {
  process.stderr.write('usage: echo-cli.js serve ADDR PORT [SECONDS] | ping ADDR PORT [COUNT] [TIMEOUT_MS]\n');
  process.exitCode = 2;
}
