// Capture files as tshark sees them: what `umacvlan run --capture` wrote while frames crossed a real daemon;
// then, piece by piece: interface names, directions, lengths, timestamps from our pcapng; classic
// pcap; a stream on standard output read by `tshark -r -`; a filter compiled by the system's libpcap keeping
// exactly the frames it matches; rotation on a real file system; a full disk and a read-only one; a machine
// without libpcap. Root: the disk and library cases mount inside `unshare -m` (the host's mounts are untouched).
// tshark, capinfos and libpcap come from test/sys/install-tools.sh (npm test runs it first).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureSession, type CaptureEnv, type CaptureSettings } from '../../src/capture/session.js';
import { CaptureRing } from '../../src/capture/ring.js';
import { Dir } from '../../src/core/direction.js';
import type { BpfNative } from '../../src/capture/filter.js';
import { arp, BCAST, eth, icmpEcho, ipv4, ipv6, mac, tcp, udp, v6 } from '../support/packets.js';
import { createSandbox, type Sandbox } from '../../support/sandbox.js';
import { startDaemon } from '../../support/daemon.js';
import { udpEchoServer, udpPing } from '../../support/echo.js';
import { ADDON, REPO_ROOT as ROOT, ensureBuilt } from '../../support/paths.js';
import { makeLab, type Lab } from '../support/lab.js';
import { transpileTree } from '../support/transpile.js';
import { sleep } from '../../support/time.js';

let dir: string;
let child: string;

function need(cmd: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`${cmd} is not installed: run bash test/sys/install-tools.sh`);
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('capture-files needs root (unshare -m, mount)');
  need('tshark');
  need('capinfos');
  dir = mkdtempSync(join(tmpdir(), `umc${process.pid}-`));
  child = transpileTree(join(ROOT, 'test/fixtures/capture/capture-child.ts'), join(dir, 'js'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** tshark's fields, one array per frame. */
function tshark(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync('tshark', ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=,', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split(','));
}

const addon = (): BpfNative => {
  const a = createRequire(import.meta.url)(ADDON) as Partial<BpfNative>;
  if (typeof a.bpfCompile !== 'function') throw new Error(`${ADDON} has no bpfCompile: native/bpf.cc is not built into it (npm run build)`);
  return a as BpfNative;
};
const env = (over: Partial<CaptureEnv> = {}): CaptureEnv => ({
  parentName: 'eth9', children: [{ port: 1, name: 'c1' }, { port: 2, name: 'c2' }], maxPorts: 8, native: addon,
  ringBytes: 1 << 22, cwd: dir, ...over,
});

// Whole seconds from now, then steps of 1024 ns: integral doubles the worker could have produced.
const T0 = Math.floor(Date.now() / 1000) * 1e9;
const epoch = (ts: number): string => {
  const b = BigInt(ts);
  return `${b / 1_000_000_000n}.${String(b % 1_000_000_000n).padStart(9, '0')}`;
};

/** A child-to-child unicast, a frame from the wire to c1 (longer than the snaplen), a broadcast from c2. */
function crossTraffic(sab: SharedArrayBuffer): void {
  const r = CaptureRing.attach(sab);
  const a = eth(mac(2), mac(1), 0x0800, ipv4('198.18.0.1', '198.18.0.2', 17, udp(1000, 2000, new Array(56).fill(1))));
  const b = eth(mac(1), mac(9), 0x0800, ipv4('198.18.0.9', '198.18.0.1', 17, udp(53, 1000, new Array(1358).fill(2))));
  const c = eth(BCAST, mac(2), 0x0806, arp(mac(2), '198.18.0.2', '198.18.0.1'));
  r.offer(1, Dir.IN, a, 0, a.length, T0 + 1024);   // c1 sends to c2 ...
  r.offer(2, Dir.OUT, a, 0, a.length, T0 + 1024);  // ... and the dispatcher delivers it to c2
  r.offer(0, Dir.IN, b, 0, b.length, T0 + 2048);   // from the wire ...
  r.offer(1, Dir.OUT, b, 0, b.length, T0 + 2048);  // ... to c1
  r.offer(2, Dir.IN, c, 0, c.length, T0 + 3072);   // c2 broadcasts: out to the wire and to c1
  r.offer(0, Dir.OUT, c, 0, c.length, T0 + 3072);
  r.offer(1, Dir.OUT, c, 0, c.length, T0 + 3072);
}

const FIELDS = ['frame.interface_name', 'frame.packet_flags_direction', 'frame.len', 'frame.cap_len', 'frame.time_epoch', 'eth.src'];
const IN = '0x00000001', OUT = '0x00000002';
const M1 = '02:00:00:00:00:01', M2 = '02:00:00:00:00:02', M9 = '02:00:00:00:00:09';

describe('capture files read by tshark', () => {
  test('pcapng: each frame once per port it crossed, with the port name, direction, lengths and time', async () => {
    const s = await CaptureSession.start({ file: 'cross.pcapng', port: 'all', format: 'pcapng', snaplen: 1000 }, env());
    crossTraffic(s.ring.sab);
    await s.stop();
    const file = join(dir, 'captures', 'cross.pcapng');
    expect(tshark(file, FIELDS)).toEqual([
      ['c1', IN, '98', '98', epoch(T0 + 1024), M1],
      ['c2', OUT, '98', '98', epoch(T0 + 1024), M1],
      ['eth9', IN, '1400', '1000', epoch(T0 + 2048), M9],
      ['c1', OUT, '1400', '1000', epoch(T0 + 2048), M9],
      ['c2', IN, '42', '42', epoch(T0 + 3072), M2],
      ['eth9', OUT, '42', '42', epoch(T0 + 3072), M2],
      ['c1', OUT, '42', '42', epoch(T0 + 3072), M2],
    ]);
    const info = execFileSync('capinfos', [file], { encoding: 'utf8' });
    expect(info).toMatch(/Number of interfaces in file: 3/);
    expect(info).toMatch(/Strict time order:\s+True/);
    expect(info.match(/Number of stat entries = 1/g)).toHaveLength(3); // one ISB per interface
    expect(info).toMatch(/Time precision = nanoseconds/);
  });

  test('pcap: the same frames merged, lengths and nanosecond times kept', async () => {
    const s = await CaptureSession.start({ file: 'cross.pcap', port: 'all', format: 'pcap', snaplen: 1000 }, env());
    crossTraffic(s.ring.sab);
    await s.stop();
    const rows = tshark(join(dir, 'captures', 'cross.pcap'), ['frame.len', 'frame.cap_len', 'frame.time_epoch']);
    expect(rows).toEqual([
      ['98', '98', epoch(T0 + 1024)], ['98', '98', epoch(T0 + 1024)],
      ['1400', '1000', epoch(T0 + 2048)], ['1400', '1000', epoch(T0 + 2048)],
      ['42', '42', epoch(T0 + 3072)], ['42', '42', epoch(T0 + 3072)], ['42', '42', epoch(T0 + 3072)],
    ]);
    expect(execFileSync('capinfos', ['-t', join(dir, 'captures', 'cross.pcap')], { encoding: 'utf8' })).toMatch(/File type:\s+Wireshark\/tcpdump\/\.\.\. - nanosecond pcap/);
  });

  test("'-': a stream on standard output that `tshark -r -` reads as it comes", () => {
    const r = spawnSync('sh', ['-c', `node "${child}" stream ${T0} | tshark -r - -T fields -E separator=, -e frame.interface_name -e frame.packet_flags_direction -e frame.len -e frame.cap_len -e frame.time_epoch`],
      { encoding: 'utf8', env: { ...process.env, UMC_ADDON: ADDON }, timeout: 60_000 });
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(','));
    expect(rows).toHaveLength(100);
    rows.forEach((row, k) => {
      const i = k >> 1;
      const len = 14 + 20 + 8 + i * 30;
      expect(row).toEqual([k % 2 === 0 ? 'c1' : 'c2', k % 2 === 0 ? IN : OUT, String(len), String(Math.min(len, 1000)), epoch(T0 + i * 1024)]);
    });
  });
});

describe('--capture-filter compiled by libpcap', () => {
  const M = (n: number): number[] => mac(n);
  // tag each frame by its source MAC's last byte, so tshark's eth.src says which frames were kept
  const frames = [
    eth(BCAST, M(1), 0x0806, arp(M(1), '198.18.0.1', '198.18.0.2')),
    eth(M(1), M(2), 0x0800, ipv4('198.18.0.2', '198.18.0.1', 17, udp(33000, 53, [1, 2, 3, 4]))),
    eth(M(2), M(3), 0x0800, ipv4('198.18.0.1', '198.18.0.2', 17, udp(53, 33000, [1, 2, 3, 4]))),
    eth(M(1), M(4), 0x0800, ipv4('198.18.0.2', '198.18.0.1', 17, udp(5353, 5353, [1, 2, 3, 4]))),
    eth(M(1), M(5), 0x0800, ipv4('198.18.0.2', '198.18.0.1', 6, tcp(40000, 53, 0x02))),
    eth(M(1), M(6), 0x0800, ipv4('198.18.0.2', '198.18.0.1', 1, icmpEcho([9, 9]))),
    eth(M(1), M(7), 0x86dd, ipv6(v6(0xfd00, 1), v6(0xfd00, 2), 17, udp(33000, 53, [1]))),
    eth(M(1), M(8), 0x0800, ipv4('198.18.0.2', '198.18.0.1', 17, [0, 53, 0, 53, 0, 8, 0, 0], { frag: 100 })),
  ];
  const srcs = (file: string): string[] => tshark(file, ['eth.src']).map((r) => r[0]);

  test.each([
    ['udp port 53 or arp', 'udp.port == 53 || arp', [1, 2, 3, 7]],
    // libpcap's "udp" is the IP protocol, so a later fragment of a UDP datagram is udp too
    ['ip and not udp', 'ip && ip.proto != 17', [5, 6]],
    ['ether src 02:00:00:00:00:04', 'eth.src == 02:00:00:00:00:04', [4]],
    ['greater 50', 'frame.len >= 50', [5, 7]],
  ])('%s keeps exactly the frames it matches', async (expr, display, want) => {
    const run = async (file: string, filter?: string): Promise<string> => {
      const settings: CaptureSettings = { file, port: 'all', format: 'pcapng', snaplen: 262144, ...(filter ? { filter } : {}) };
      const s = await CaptureSession.start(settings, env());
      const r = CaptureRing.attach(s.ring.sab);
      frames.forEach((f, i) => r.offer(1, Dir.IN, f, 0, f.length, T0 + i * 1024));
      await s.stop();
      return join(dir, 'captures', file);
    };
    const kept = srcs(await run('kept.pcapng', expr));
    expect(kept).toEqual(want.map((n) => `02:00:00:00:00:0${n}`));
    // and the same as tshark's own reading of the language, on everything
    const all = await run('all.pcapng');
    expect(srcs(all)).toHaveLength(frames.length);
    expect(tshark(all, ['eth.src'], ['-Y', display]).map((r) => r[0])).toEqual(kept);
    expect(tshark(join(dir, 'captures', 'kept.pcapng'), ['frame.interface_name'], ['-V']).length).toBeGreaterThan(0);
  });

  test("a syntax error is libpcap's own text", async () => {
    await expect(CaptureSession.start({ file: 'x', port: 'all', format: 'pcapng', snaplen: 96, filter: 'udp port' }, env()))
      .rejects.toMatchObject({ code: 'UMV_ERR_CAPTURE_FILTER', message: expect.stringMatching(/^--capture-filter "udp port": .*syntax error/) });
  });

  test('without libpcap: one line naming the Debian package; the addon itself does not need libpcap', () => {
    const lib = execFileSync('sh', ['-c', 'readlink -f "$(ldconfig -p | sed -n "s/.*libpcap.so.0.8 (libc6,x86-64) => //p" | head -1)"'], { encoding: 'utf8' }).trim();
    expect(existsSync(lib)).toBe(true);
    expect(execFileSync('ldd', [ADDON], { encoding: 'utf8' })).not.toMatch(/libpcap/);
    const ok = spawnSync('node', [child, 'filter', 'arp'], { encoding: 'utf8', env: { ...process.env, UMC_ADDON: ADDON } });
    expect([ok.status, ok.stdout]).toEqual([0, '4\n']);
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount --bind /dev/null "${lib}" && exec node "${child}" filter arp`],
      { encoding: 'utf8', env: { ...process.env, UMC_ADDON: ADDON } });
    expect(r.stderr).toBe('--capture-filter needs libpcap: apt-get install libpcap0.8\n');
    expect(r.status).toBe(1);
  });
});

describe('files on disk', () => {
  test('rotation 1:3 keeps at most 3 files of at most 10^6 bytes, each one read by tshark, newest frames last', async () => {
    const s = await CaptureSession.start({ file: 'rot.pcapng', port: 'all', format: 'pcapng', snaplen: 262144, rotate: { sizeMb: 1, files: 3 } }, env());
    const r = CaptureRing.attach(s.ring.sab);
    const N = 6000;
    for (let i = 0; i < N; i++) {
      const f = eth(mac(2), mac(1), 0x0800, ipv4('198.18.0.1', '198.18.0.2', 17, udp(1, 2, new Array(958).fill(i & 0xff))));
      f[14 + 20 + 8] = i >>> 8; // the frame's number, to check the order
      f[14 + 20 + 9] = i & 0xff;
      while (!r.offer(1, Dir.IN, f, 0, f.length, T0 + i * 1024)) await sleep(1);
    }
    const st = await s.stop();
    expect(st.filesOpened).toBeGreaterThanOrEqual(6);
    const files = readdirSync(join(dir, 'captures')).filter((f) => f.startsWith('rot.pcapng')).sort();
    expect(files).toEqual(['rot.pcapng0', 'rot.pcapng1', 'rot.pcapng2']);
    const numbers: number[][] = [];
    for (const f of files) {
      const path = join(dir, 'captures', f);
      expect(statSync(path).size).toBeLessThanOrEqual(1_000_000);
      numbers.push(tshark(path, ['udp.payload']).map((row) => parseInt(row[0].slice(0, 4), 16)));
    }
    const last = (st.filesOpened - 1) % 3;
    const order = [(last + 1) % 3, (last + 2) % 3, last].flatMap((i) => numbers[i]);
    expect(order).toEqual(Array.from({ length: order.length }, (_, k) => N - order.length + k));
    expect(order.length).toBeGreaterThan(2000);
  });

  test('a full disk: the capture starts, then loses frames, counted and reported once; the producer never waits', () => {
    const mnt = join(dir, 'full');
    const r = spawnSync('unshare', ['-m', 'sh', '-c',
      `mkdir -p "${mnt}" && mount -t tmpfs -o size=256k tmpfs "${mnt}" && node "${child}" fill "${mnt}/x.pcapng" 2000 1000 > "${dir}/fill.json" && ` +
      `(tshark -r "${mnt}/x.pcapng" -T fields -e frame.number 2>/dev/null | wc -l) > "${dir}/fill.count"`],
      { encoding: 'utf8', env: { ...process.env, UMC_ADDON: ADDON }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(execFileSync('cat', [`${dir}/fill.json`], { encoding: 'utf8' }));
    expect(out.errors).toEqual(['UMV_ERR_CAPTURE_WRITE ENOSPC']);
    expect(out.framesWritten).toBeGreaterThan(100);
    expect(out.framesWritten + out.framesLostWriting + out.ringDrops).toBe(2000);
    expect(out.framesLostWriting).toBeGreaterThan(1000);
    expect(out.refused).toBe(out.ringDrops);
    expect(out.maxOfferMs).toBeLessThan(50);
    const readable = Number(execFileSync('cat', [`${dir}/fill.count`], { encoding: 'utf8' }).trim());
    expect(readable).toBeGreaterThanOrEqual(out.framesWritten);
    expect(existsSync(mnt)).toBe(true); // the mount went with the namespace: the directory is empty here
    expect(readdirSync(mnt)).toEqual([]);
  });

  test('a read-only or missing place: a clear error at start', () => {
    const mnt = join(dir, 'ro');
    const r = spawnSync('unshare', ['-m', 'sh', '-c',
      `mkdir -p "${mnt}" && mount -t tmpfs -o ro,size=64k tmpfs "${mnt}" && node "${child}" open "${mnt}/x.pcapng" && node "${child}" open "${mnt}/no/x.pcapng"`],
      { encoding: 'utf8', env: { ...process.env, UMC_ADDON: ADDON } });
    expect(r.status).toBe(0);
    const [ro, missing] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(ro).toEqual({ ok: false, name: 'CaptureError', code: 'UMV_ERR_CAPTURE_OPEN', errno: 'EROFS', message: `cannot open capture file ${mnt}/x.pcapng: EROFS` });
    expect(missing).toMatchObject({ code: 'UMV_ERR_CAPTURE_OPEN', errno: 'ENOENT' });
  });
});

describe('through the daemon: umacvlan run --capture', () => {
  let sb: Sandbox;
  let lab: Lab;
  beforeAll(() => {
    ensureBuilt();
    sb = createSandbox('umc');
    lab = makeLab(sb, '0', [{ short: 'c1', mode: 'bridge' }, { short: 'c2', mode: 'bridge' }]);
  });
  afterAll(() => { sb?.cleanup(); });

  /** Runs the daemon with `capture` options while c1 pings c2 (bridge: never on the wire) and ext pings c1. */
  async function captureRun(capture: string[]): Promise<void> {
    const [c1, c2] = lab.kids;
    const d = await startDaemon(sb, lab.dp, ['--parent', lab.p0, ...lab.childArgs(), ...capture]);
    try {
      for (const k of lab.kids) lab.configure(k);
      const servers = [udpEchoServer(sb, c2.ns, c2.ip, 30), udpEchoServer(sb, c1.ns, c1.ip, 30)];
      await sleep(300);
      expect(udpPing(sb, c1.ns, c2.ip, 3).ok).toBe(true);
      expect(udpPing(sb, lab.ext, c1.ip, 2).ok).toBe(true);
      for (const p of servers) p.kill();
    } finally {
      const r = await d.stop();
      expect(r.code, r.stderr).toBe(0);
    }
  }

  test('--capture-port all: each frame once per port it crossed, inbound where it came in, outbound where it went', async () => {
    const file = join(dir, 'daemon.pcapng');
    await captureRun(['--capture', file]);
    const [c1, c2] = lab.kids;
    const rows = tshark(file, ['frame.interface_name', 'frame.packet_flags_direction', 'ip.src', 'ip.dst', 'frame.time_epoch'], ['-Y', 'udp.port == 7']);
    const seen = rows.map((r) => `${r[0]} ${r[1] === IN ? 'in' : 'out'} ${r[2]}>${r[3]}`);
    const c2c = [`${c1.name} in ${c1.ip}>${c2.ip}`, `${c2.name} out ${c1.ip}>${c2.ip}`, `${c2.name} in ${c2.ip}>${c1.ip}`, `${c1.name} out ${c2.ip}>${c1.ip}`];
    const wire = [`${lab.p0} in ${lab.extIp}>${c1.ip}`, `${c1.name} out ${lab.extIp}>${c1.ip}`, `${c1.name} in ${c1.ip}>${lab.extIp}`, `${lab.p0} out ${c1.ip}>${lab.extIp}`];
    expect(seen).toEqual([...c2c, ...c2c, ...c2c, ...wire, ...wire]);
    const times = rows.map((r) => BigInt(r[4].replace('.', '')));
    times.forEach((t, i) => { if (i > 0) expect(t >= times[i - 1]).toBe(true); });
    const info = execFileSync('capinfos', [file], { encoding: 'utf8' });
    expect(info).toMatch(/Number of interfaces in file: 3/);
    expect(info.match(/Number of stat entries = 1/g)).toHaveLength(3);
  });

  test('--capture-port CHILD --capture-filter: only that port, only the matching frames', async () => {
    const file = join(dir, 'daemon-c2.pcapng');
    const [c1, c2] = lab.kids;
    await captureRun(['--capture', file, '--capture-port', c2.name, '--capture-filter', `udp and src host ${c1.ip}`, '--capture-snaplen', '64']);
    const rows = tshark(file, ['frame.interface_name', 'frame.packet_flags_direction', 'ip.src', 'frame.cap_len', 'frame.len']);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.slice(0, 4)).toEqual([c2.name, OUT, c1.ip, '64']);
    for (const r of rows) expect(Number(r[4])).toBeGreaterThan(64);
  });
});
