// The CNI shim (native/cni-shim.c) as a runtime runs it, without root: VERSION from itself, the request it hands a
// daemon and the answer it prints, garbage and oversized input answered with an error, and DEL with no daemon
// (the tombstone named as the daemon reads it, the IPAM plugin's DEL run with the same stdin). The control socket's
// CNI allowance is checked with the real server.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, MAX_REQUEST_BYTES } from '../../../src/control/server.js';
import { tombstoneName } from '../../../src/control/cni-attachment.js';
import { tombstoneDir } from '../../../src/control/cni-tombstones.js';
import { versionReply } from '../../../src/cni/versions.js';
import { REPO_ROOT } from '../../../support/paths.js';

const SHIM = join(REPO_ROOT, 'build', 'Release', 'cni-shim');
let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ucd-shim-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

interface Run { code: number | null; stdout: string; json: Record<string, any> | null }
function shim(env: Record<string, string>, stdin: string | Buffer): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(SHIM, [], { env: { PATH: '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (c: string) => { out += c; });
    p.stdin.on('error', () => { /* it stopped reading past 1 MiB */ });
    p.on('close', (code) => {
      let json: Run['json'] = null;
      try { json = JSON.parse(out) as Run['json']; } catch { /* not JSON */ }
      resolve({ code, stdout: out, json });
    });
    p.stdin.end(stdin);
  });
}

describe.skipIf(!existsSync(SHIM))('the CNI shim', () => {
  const sock = (): string => join(dir, 'd.sock');
  const cfg = (extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ cniVersion: '1.0.0', name: 'net', type: 'umacvlan', control: sock(), ...extra });

  test('VERSION is its own, the library\'s answer', async () => {
    const r = await shim({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(versionReply());
  });

  test('no CNI_COMMAND: code 4; no daemon: 11 naming the command that starts one, STATUS 50', async () => {
    expect((await shim({}, cfg())).json?.code).toBe(4);
    const add = await shim({ CNI_COMMAND: 'ADD' }, cfg());
    expect([add.code, add.json?.code, add.json?.cniVersion]).toEqual([1, 11, '1.0.0']);
    expect(add.json?.msg).toContain('umacvlan run --parent MASTER --persist');
    const named = await shim({ CNI_COMMAND: 'ADD' }, JSON.stringify({ cniVersion: '1.0.0', master: 'ucdm0' }));
    expect(named.json?.msg).toMatch(/\/run\/umacvlan\/\d+-ucdm0\.sock; start one: umacvlan run --parent ucdm0 --persist/);
    expect((await shim({ CNI_COMMAND: 'STATUS' }, cfg())).json?.code).toBe(50);
  });

  test('garbage, deep nesting, bad keys and more than 1 MiB: an error on stdout, never a crash', async () => {
    for (const input of ['', 'garbage{{{', '['.repeat(100_000), '{"control":7}', '{"control":"relative"}', '{"master":"a/b"}', '{"master":"\\ud800"}']) {
      const r = await shim({ CNI_COMMAND: 'ADD' }, input);
      expect(r.code, input.slice(0, 20)).toBe(1);
      expect(typeof r.json?.code, input.slice(0, 20)).toBe('number');
    }
    const longArgs = await shim({ CNI_COMMAND: 'ADD', CNI_ARGS: 'x'.repeat(4097) }, cfg());
    expect([longArgs.json?.code, longArgs.json?.msg]).toEqual([4, 'CNI_ARGS is longer than 4096 bytes']);
    const big = await shim({ CNI_COMMAND: 'ADD' }, Buffer.alloc(1024 * 1024 + 10, 0x20));
    expect([big.json?.code, big.json?.msg]).toEqual([7, 'the network configuration is larger than 1 MiB']);
  });

  test('fuzz: any JSON-ish input (valid, cut short, spliced) is answered by an error object, never a signal', async () => {
    const inputs = fc.sample(fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.json({ maxDepth: 4 }).chain((j) => fc.nat(j.length).map((n) => j.slice(0, n))),
      fc.tuple(fc.json(), fc.string(), fc.json()).map(([a, b, c]) => `{"master":${a}${b}${c}`),
    ), { numRuns: 40, seed: 4242 });
    for (const input of inputs) {
      const r = await shim({ CNI_COMMAND: 'ADD' }, input.replace(/"control"/gi, '"x"'));
      expect(r.code, input).toBe(1);
      expect(typeof r.json?.code, input).toBe('number');
    }
  });

  test('DEL with no daemon: a tombstone as the daemon names it, the IPAM plugin\'s DEL with the same stdin', async () => {
    const ipam = join(dir, 'bin', 'ucd-ipam');
    rmSync(join(dir, 'bin'), { recursive: true, force: true });
    mkdirSync(join(dir, 'bin'));
    writeFileSync(ipam, `#!/bin/sh\necho "$CNI_COMMAND $CNI_CONTAINERID" > ${join(dir, 'ipam-env')}\ncat > ${join(dir, 'ipam-stdin')}\n`);
    chmodSync(ipam, 0o755);
    const config = cfg({ ipam: { type: 'ucd-ipam' } });
    const env = { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'abc/../x', CNI_IFNAME: 'eth0', CNI_PATH: `/nonexistent:${join(dir, 'bin')}` };
    const r = await shim(env, config);
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(readFileSync(join(tombstoneDir(sock()), tombstoneName('abc/../x', 'eth0')), 'utf8')).toBe('net\n');
    expect(readFileSync(join(dir, 'ipam-env'), 'utf8')).toBe('DEL abc/../x\n');
    expect(readFileSync(join(dir, 'ipam-stdin'), 'utf8')).toBe(config);
    const missing = await shim({ ...env, CNI_PATH: '/nonexistent' }, config);
    expect(missing.json?.code).toBe(7);
    expect((await shim({ ...env, CNI_NETNS: join(dir, 'gone') }, cfg())).code).toBe(0);
  });

  test('a daemon answering: the request it gets, the stdout and status it prints; a refusal is an error', async () => {
    const seen: Array<Record<string, unknown>> = [];
    let answer: Record<string, unknown> = { ok: true, exit: 0, stdout: '{"cniVersion":"1.0.0"}\n' };
    const server = new ControlServer(sock(), (req) => { seen.push(req); return answer as never; }, () => 0);
    await server.listen();
    try {
      const config = cfg({ big: 'x\n"'.repeat(100_000) });
      const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/n', CNI_IFNAME: 'eth0', CNI_ARGS: 'A=1', CNI_PATH: '/p' };
      const r = await shim(env, config);
      expect([r.code, r.stdout]).toEqual([0, '{"cniVersion":"1.0.0"}\n']);
      expect(seen[0]).toEqual({ cmd: 'cni', env, stdin: config });
      answer = { ok: true, exit: 1, stdout: '{"code":7,"msg":"no"}\n' };
      expect((await shim(env, cfg())).code).toBe(1);
      answer = { ok: false, error: 'the daemon is starting', code: 'UMV_ERR_STARTING' };
      const busy = await shim(env, cfg());
      expect([busy.json?.code, busy.json?.msg]).toEqual([11, 'the daemon is starting']);
    } finally {
      await server.close();
    }
  });
});

describe('the control socket\'s allowance', () => {
  test('a client that half-closes after its request gets a slow answer, and the request is handled once', async () => {
    const path = join(dir, 'h.sock');
    let calls = 0;
    const server = new ControlServer(path, async () => { calls++; await new Promise((r) => setTimeout(r, 50)); return { ok: true, n: calls }; }, () => 0);
    await server.listen();
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const c = createConnection(path);
        let buf = '';
        c.setEncoding('utf8');
        c.on('connect', () => { c.write('{"cmd":"ping"}\n{"cmd":"ping"}\n'); c.end(); });
        c.on('data', (d: string) => { buf += d; });
        c.on('end', () => resolve(buf));
        c.on('error', reject);
      });
      expect(JSON.parse(got)).toEqual({ ok: true, n: 1 });
      expect(calls).toBe(1);
    } finally {
      await server.close();
    }
  });


  function raw(path: string, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = createConnection(path);
      let buf = '';
      c.setEncoding('utf8');
      c.on('connect', () => c.write(text));
      c.on('data', (d: string) => { buf += d; });
      c.on('end', () => resolve(buf));
      c.on('error', (e) => (buf ? resolve(buf) : reject(e)));
    });
  }
  test('a CNI request of 900 KiB is served; any other request over 64 KiB is refused; the prefix alone buys nothing', async () => {
    const path = join(dir, 'a.sock');
    const served: unknown[] = [];
    const server = new ControlServer(path, (req) => { served.push(req.cmd); return { ok: true }; }, () => 0);
    await server.listen();
    try {
      const stdin = 'y'.repeat(900 * 1024);
      expect(JSON.parse(await raw(path, JSON.stringify({ cmd: 'cni', env: {}, stdin }) + '\n')).ok).toBe(true);
      const other = JSON.parse(await raw(path, JSON.stringify({ cmd: 'exec', argv: ['show'], pad: 'y'.repeat(MAX_REQUEST_BYTES) }) + '\n'));
      expect(other.error).toMatch(/request larger than 65536 bytes/);
      const sneaky = JSON.parse(await raw(path, `{"cmd":"cni","pad":"${'y'.repeat(MAX_REQUEST_BYTES)}","cmd":"exec","argv":[]}\n`));
      expect(sneaky.error).toMatch(/read as a CNI request, it is not one/);
      expect(served).toEqual(['cni']);
    } finally {
      await server.close();
    }
  });
});
