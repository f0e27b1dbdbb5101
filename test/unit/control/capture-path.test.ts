// `capture start FILE` is resolved by the client, against the client's working directory; the daemon takes only
// absolute paths over its socket.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { absoluteCaptureArgv, requestPathRefusal } from '../../../src/control/capture-path.js';
import { ControlServer } from '../../../src/control/server.js';
import { parseCommand } from '../../../src/control/args.js';
import { clientMain } from '../../../src/control/client.js';
import { UsageError } from '../../../src/control/usage-error.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'umc-cpath-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); vi.restoreAllMocks(); });

describe('absoluteCaptureArgv', () => {
  test('a bare name goes to CWD/captures/ (made 0700), a relative path is resolved, an absolute one kept', () => {
    expect(absoluteCaptureArgv(['capture', 'start', 'x.pcapng'], dir)).toEqual(['capture', 'start', join(dir, 'captures', 'x.pcapng')]);
    expect(statSync(join(dir, 'captures')).mode & 0o7777).toBe(0o700);
    expect(absoluteCaptureArgv(['capture', 'start', './a/b.pcap', '--capture-format', 'pcap'], dir))
      .toEqual(['capture', 'start', join(dir, 'a', 'b.pcap'), '--capture-format', 'pcap']);
    expect(absoluteCaptureArgv(['capture', 'start', '/var/x'], dir)).toEqual(['capture', 'start', '/var/x']);
  });

  test('the FILE word is found as the parser finds it: not an option value that looks the same, and after --', () => {
    expect(absoluteCaptureArgv(['capture', '--capture-format', 'pcap', 'start', 'pcap'], dir))
      .toEqual(['capture', '--capture-format', 'pcap', 'start', join(dir, 'captures', 'pcap')]);
    expect(absoluteCaptureArgv(['capture', 'start', '--capture-port=c1', '--', '-odd/name'], dir))
      .toEqual(['capture', 'start', '--capture-port=c1', '--', join(dir, '-odd', 'name')]);
  });

  test('over the socket a relative path is refused', () => {
    expect(requestPathRefusal('/tmp/x')).toBeNull();
    expect(requestPathRefusal('x.pcapng')).toMatch(/^capture start x\.pcapng: the path must be absolute/);
  });
});

test("the client sends the path made absolute against its own working directory, not the daemon's", async () => {
  const sent: unknown[] = [];
  const path = join(dir, 'd.sock');
  const daemon = new ControlServer(path, (req) => { sent.push(req.argv); return { ok: true, message: 'ok' }; }, () => 0);
  await daemon.listen();
  vi.spyOn(process, 'cwd').mockReturnValue(dir);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const argv = ['capture', 'start', 'mine.pcapng', '--control', path];
    const cmd = parseCommand(argv);
    if (cmd instanceof UsageError || cmd.kind !== 'capture-start') throw new Error('bad test argv');
    expect(await clientMain(cmd, argv)).toBe(0);
  } finally {
    await daemon.close();
  }
  expect(sent).toEqual([['capture', 'start', join(dir, 'captures', 'mine.pcapng'), '--control', path]]);
});
