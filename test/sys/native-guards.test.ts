// Two guards of the native layer, tried as they fail in the field.
//
// Netlink: any process may send a datagram to a netlink socket's port id. The daemon must believe only the kernel
// (sender nl_pid 0): a forged RTM_DELLINK for the parent, sent to the daemon's own watch sockets, must not make it
// remove every child and exit.
//
// Threads: the addon enters namespaces from a helper thread. When no thread can be made (the task limit), the call
// must fail with EAGAIN, not abort the process (libstdc++ without exceptions aborts on a failed std::thread).
import { describe, test, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon } from '../../support/daemon.js';
import { ADDON } from '../../support/paths.js';
import { macText, testMac } from '../../support/addresses.js';
import { sleep } from '../../support/time.js';

/** A forged RTM_DELLINK (nlmsghdr + ifinfomsg) for ifindex, sent from a user socket to each port id given */
const FORGE = `
import socket, struct, sys
ifindex = int(sys.argv[1])
msg = struct.pack('=IHHII', 32, 17, 0, 1, 0) + struct.pack('=BxHiII', 0, 1, ifindex, 0, 0)
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
for port in sys.argv[2:]:
    s.sendto(msg, (int(port), 0))
print(len(sys.argv) - 2)
`;

describe.skipIf(!isRoot())('native guards (root)', () => {
  let sb: Sandbox | undefined;
  const dirs: string[] = [];
  afterAll(() => {
    sb?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a forged link event from a user process (nl_pid ≠ 0) is ignored: the parent is not taken for deleted', async () => {
    sb = createSandbox('umvn');
    const dp = sb.addNs('dp');
    const ext = sb.addNs('ext');
    const kid = sb.addNs('kid');
    const [, p0] = sb.addVeth(ext, 'x0', dp, 'p0');
    const c1 = sb.name('c1');
    const d = await startDaemon(sb, dp, ['--parent', p0, '--child', `${c1}:${macText(testMac(0x4e, 1))}:bridge`, '--netns', `${c1}=${kid}`]);
    // The daemon's netlink sockets in its namespace, by inode, and their port ids
    const inodes = new Set(readdirSync(`/proc/${d.proc.pid}/fd`).flatMap((fd) => {
      try { return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d.proc.pid}/fd/${fd}`))?.[1] ?? '']; } catch { return []; }
    }).filter(Boolean));
    const ports = sb.run(dp, ['cat', '/proc/net/netlink']).split('\n').slice(1).map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 10 && f[1] === '0' && inodes.has(f[9]) && f[2] !== '0').map((f) => f[2]);
    expect(ports.length, 'the daemon listens for link events').toBeGreaterThan(0);
    const ifindex = sb.run(dp, ['cat', `/sys/class/net/${p0}/ifindex`]).trim();
    expect(sb.run(dp, ['python3', '-c', FORGE, ifindex, ...ports]).trim()).toBe(String(ports.length));
    const exited = await Promise.race([d.exited.then((e) => e), sleep(1500).then(() => null)]);
    expect(exited, d.stderr()).toBeNull();
    expect(d.stderr()).not.toMatch(/was deleted/);
    expect(d.cli(['show', c1]).code).toBe(0);
    expect(sb.run(kid, ['ip', '-o', 'link'])).toContain(`${c1}:`);
    const stop = await d.stop();
    expect(stop.code).toBe(0);
  });

  test('no thread can be made (task limit): entering a namespace fails with EAGAIN, the process lives on', async () => {
    // As an unprivileged user (root is exempt from RLIMIT_NPROC), from a copy of the addon that user can read.
    const dir = mkdtempSync(join(tmpdir(), 'umv-threads-'));
    dirs.push(dir);
    chmodSync(dir, 0o755);
    copyFileSync(ADDON, join(dir, 'umacvlan.node'));
    // The limit is set by the process's own user (root here may lack CAP_SYS_RESOURCE to set another user's), after
    // node has made its own threads; the user already runs more than one task, so the next thread is refused.
    const script = `
      const m = { exports: {} };
      process.dlopen(m, ${JSON.stringify(join(dir, 'umacvlan.node'))});
      const fd = m.exports.nsOpen('/proc/self/ns/net');
      require('node:child_process').execFileSync('prlimit', ['--pid', String(process.pid), '--nproc=1:1']);
      console.log(JSON.stringify(m.exports.readInNetns(fd, '/proc/thread-self/net/dev')));`;
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
    try {
      const r = await Promise.race([done, sleep(20_000).then(() => null)]);
      expect(r, err).toEqual({ code: 0, signal: null });
      expect(out.trim(), err).toBe('-11');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
