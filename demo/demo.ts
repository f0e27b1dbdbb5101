// npm run demo: builds a sandbox of its own (an outside host behind a hairpin switch, a parent, three children in
// their own namespaces), starts the daemon, shows who reaches whom over UDP, prints the daemon's counters, and
// removes everything. Needs root and iproute2 only.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'main.js');
const echo = join(here, 'echo.js');
const P = `umd${process.pid % 100000}`;
const NS = { out: `${P}o`, par: `${P}p`, c1: `${P}c1`, c2: `${P}c2`, c3: `${P}c3` };
const children = [
  { name: `${P}a`, ns: NS.c1, mac: '02:5e:00:00:00:11', mode: 'bridge', ip: '198.18.0.11' },
  { name: `${P}b`, ns: NS.c2, mac: '02:5e:00:00:00:12', mode: 'bridge', ip: '198.18.0.12' },
  { name: `${P}v`, ns: NS.c3, mac: '02:5e:00:00:00:13', mode: 'vepa', ip: '198.18.0.13' },
];
const OUTSIDE_IP = '198.18.0.1';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const inNs = (ns: string, ...args: string[]): string => ip('netns', 'exec', ns, ...args);
const started: ChildProcess[] = [];

function cleanup(): void {
  for (const p of started) if (p.exitCode === null && p.pid) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
  for (const ns of Object.values(NS)) { try { ip('netns', 'del', ns); } catch { /* not there */ } }
}

function build(): void {
  for (const ns of Object.values(NS)) {
    ip('netns', 'add', ns);
    inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  // The outside switch: a Linux bridge with hairpin on, so VEPA children reach each other through it.
  ip('link', 'add', `${P}x`, 'netns', NS.out, 'type', 'veth', 'peer', 'name', `${P}par`, 'netns', NS.par);
  inNs(NS.out, 'ip', 'link', 'add', `${P}br`, 'type', 'bridge');
  inNs(NS.out, 'ip', 'link', 'set', `${P}x`, 'master', `${P}br`, 'up');
  inNs(NS.out, 'ip', 'link', 'set', `${P}x`, 'type', 'bridge_slave', 'hairpin', 'on');
  inNs(NS.out, 'ip', 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', `${P}br`);
  inNs(NS.out, 'ip', 'link', 'set', `${P}br`, 'up');
  inNs(NS.par, 'ip', 'link', 'set', `${P}par`, 'up');
}

function startDaemon(): Promise<ChildProcess> {
  const args = ['netns', 'exec', NS.par, process.execPath, cli, 'run', '--parent', `${P}par`];
  for (const c of children) args.push('--child', `${c.name}:${c.mac}:${c.mode}`, '--netns', `${c.name}=${c.ns}`);
  console.log(`$ umacvlan run --parent ${P}par ${children.map((c) => `--child ${c.name}:${c.mac}:${c.mode} --netns ${c.name}=${c.ns}`).join(' ')}`);
  const d = spawn('ip', args, { stdio: ['ignore', 'inherit', 'pipe'] });
  started.push(d);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`daemon not ready after 20 s:\n${err}`)), 20_000);
    d.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (/^ready$/m.test(err)) { clearTimeout(timer); resolve(d); }
    });
    d.on('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited with ${code}:\n${err}`)); });
  });
}

function probe(fromNs: string, toIp: string): string {
  try {
    const out = inNs(fromNs, process.execPath, echo, 'ping', toIp, '7', '3', '3000');
    const r = JSON.parse(out) as { received: number; rttUs: number[] };
    const med = [...r.rttUs].sort((a, b) => a - b)[Math.floor(r.rttUs.length / 2)];
    return `ok (${r.received}/3, median ${med} µs)`;
  } catch {
    return 'no answer';
  }
}

async function main(): Promise<void> {
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  build();
  const daemon = await startDaemon();
  let daemonErr = '';
  daemon.stderr!.on('data', (c: Buffer) => { daemonErr += c.toString(); });
  for (const c of children) {
    inNs(c.ns, 'ip', 'addr', 'add', `${c.ip}/24`, 'dev', c.name);
    inNs(c.ns, 'ip', 'link', 'set', c.name, 'up');
  }
  const hosts = [{ name: 'outside', ns: NS.out, ip: OUTSIDE_IP }, ...children.map((c) => ({ name: `${c.name} (${c.mode})`, ns: c.ns, ip: c.ip }))];
  for (const h of hosts) {
    const s = spawn('ip', ['netns', 'exec', h.ns, process.execPath, echo, 'serve', h.ip, '7', '30'], { stdio: 'ignore' });
    started.push(s);
  }
  await new Promise((r) => setTimeout(r, 500));
  console.log('\nUDP echo, 3 probes each (the outside switch hairpins, so the vepa child reaches its siblings through it):');
  for (const a of hosts) for (const b of hosts) {
    if (a === b) continue;
    console.log(`  ${a.name.padEnd(22)} → ${b.name.padEnd(22)} ${probe(a.ns, b.ip)}`);
  }
  const exited = new Promise<number | null>((r) => daemon.on('exit', r));
  process.kill(daemon.pid!, 'SIGTERM');
  const code = await exited;
  console.log(`\nThe daemon's counters, printed as it stopped (exit ${code}):\n${daemonErr.trim()}`);
}

main().then(
  () => { cleanup(); console.log('\nsandbox removed.'); },
  (e: Error) => { cleanup(); console.error(`demo failed: ${e.message}`); process.exitCode = 1; },
);
