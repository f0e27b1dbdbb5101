// Deviation L18 (lifecycle.md §5): the kernel keeps a macvlan's children when their parent moves to another
// namespace. The daemon sees only that the parent left its namespace (RTM_DELLINK), as for a deletion: it removes
// its TAPs and exits 4. This test pins that behaviour.

import { describe, test, expect, afterAll } from 'vitest';
import { createSandbox, isRoot, type Sandbox } from '../../support/sandbox.js';
import { startDaemon } from '../../support/daemon.js';
import { macText, testMac } from '../../support/addresses.js';

describe.skipIf(!isRoot())('parent moved to another namespace (root)', () => {
  let sb: Sandbox;
  afterAll(() => sb?.cleanup());

  test('L18 deviation: the daemon treats a moved parent as deleted: TAPs removed, exit 4', async () => {
    sb = createSandbox('umm');
    const dp = sb.addNs('dp');
    const ext = sb.addNs('ext');
    const away = sb.addNs('away');
    const kid = sb.addNs('kid');
    const [, p0] = sb.addVeth(ext, 'x0', dp, 'p0');
    const c1 = sb.name('c1');
    const d = await startDaemon(sb, dp, ['--parent', p0, '--child', `${c1}:${macText(testMac(0x4d, 1))}:bridge`, '--netns', `${c1}=${kid}`]);
    expect(sb.run(kid, ['ip', '-o', 'link'])).toContain(`${c1}:`);
    sb.run(dp, ['ip', 'link', 'set', p0, 'netns', away]);
    const r = await Promise.race([d.exited, new Promise<null>((res) => setTimeout(() => res(null), 10_000))]);
    if (r === null) await d.stop('SIGKILL');
    expect(r?.code).toBe(4);
    expect(d.stderr()).toMatch(new RegExp(`parent ${p0} was deleted`));
    expect(sb.run(kid, ['ip', '-o', 'link'])).not.toContain(`${c1}:`);
  });
});
