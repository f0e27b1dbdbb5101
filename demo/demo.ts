// npm run demo: builds a sandbox of its own (an outside host behind a hairpin switch, a parent, three children in
// their own namespaces), starts the daemon, shows who reaches whom over UDP, prints the daemon's counters, and
// removes everything. Needs root and iproute2 only (the sandbox, launcher and echo are the shipped support/).

import { createSandbox } from '../support/sandbox.js';
import { startDaemon } from '../support/daemon.js';
import { udpEchoServer, udpPing } from '../support/echo.js';
import { macText, testIp, testMac } from '../support/addresses.js';
import { sleep } from '../support/time.js';

const sb = createSandbox('umd');
const OUTSIDE_IP = testIp(0, 1);

async function main(): Promise<void> {
  const out = sb.addNs('o');
  const par = sb.addNs('p');
  const children = [
    { name: sb.name('a'), ns: sb.addNs('c1'), mac: macText(testMac(0, 0x11)), mode: 'bridge', ip: testIp(0, 11) },
    { name: sb.name('b'), ns: sb.addNs('c2'), mac: macText(testMac(0, 0x12)), mode: 'bridge', ip: testIp(0, 12) },
    { name: sb.name('v'), ns: sb.addNs('c3'), mac: macText(testMac(0, 0x13)), mode: 'vepa', ip: testIp(0, 13) },
  ];
  // The outside switch: a Linux bridge with hairpin on, so VEPA children reach each other through it.
  const [x, parent] = sb.addVeth(out, 'x', par, 'par');
  const br = sb.name('br');
  sb.run(out, ['ip', 'link', 'add', br, 'type', 'bridge']);
  sb.run(out, ['ip', 'link', 'set', x, 'master', br, 'up']);
  sb.run(out, ['ip', 'link', 'set', x, 'type', 'bridge_slave', 'hairpin', 'on']);
  sb.run(out, ['ip', 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', br]);
  sb.run(out, ['ip', 'link', 'set', br, 'up']);

  const args = ['--parent', parent, ...children.flatMap((c) => ['--child', `${c.name}:${c.mac}:${c.mode}`, '--netns', `${c.name}=${c.ns}`])];
  console.log(`$ umacvlan run ${args.join(' ')}`);
  const daemon = await startDaemon(sb, par, args, { ownControl: false });
  for (const c of children) {
    sb.run(c.ns, ['ip', 'addr', 'add', `${c.ip}/24`, 'dev', c.name]);
    sb.run(c.ns, ['ip', 'link', 'set', c.name, 'up']);
  }
  const hosts = [{ name: 'outside', ns: out, ip: OUTSIDE_IP }, ...children.map((c) => ({ name: `${c.name} (${c.mode})`, ns: c.ns, ip: c.ip }))];
  for (const h of hosts) udpEchoServer(sb, h.ns, h.ip, 30);
  await sleep(500);
  console.log('\nUDP echo, 3 probes each (the outside switch hairpins, so the vepa child reaches its siblings through it):');
  for (const a of hosts) for (const b of hosts) {
    if (a === b) continue;
    const r = udpPing(sb, a.ns, b.ip, 3, 3000);
    const med = [...r.rttUs].sort((p, q) => p - q)[Math.floor(r.rttUs.length / 2)];
    console.log(`  ${a.name.padEnd(22)} → ${b.name.padEnd(22)} ${r.ok ? `ok (${r.received}/3, median ${med} µs)` : 'no answer'}`);
  }
  const { code, stderr } = await daemon.stop();
  console.log(`\nThe daemon's counters, printed as it stopped (exit ${code}):\n${stderr.trim()}`);
}

process.on('SIGINT', () => { sb.cleanup(); process.exit(130); });
main().then(
  () => { sb.cleanup(); console.log('\nsandbox removed.'); },
  (e: Error) => { sb.cleanup(); console.error(`demo failed: ${e.message}`); process.exitCode = 1; },
);
