// The engine's test bed for system tests that drive openEngine() directly (no daemon): an outside host on a veth
// whose other end is the engine's parent, and one TAP beside it, both in the engine's namespace.
//
//   ext  <prefix><pid>e0 ──veth── <prefix><pid>p0  dp: the engine's parent and a TAP t1 (MTU 1500)
//
// e0 carries the MAC the test gives it, so frames the test sends from ext have a known source.

import { macText } from '../../support/addresses.js';
import { createSandbox, type Sandbox } from '../../support/sandbox.js';
import type { RxBatch } from '../../src/io/contract.js';
import { closeTap, openTap, type Tap } from '../../src/io/tap.js';

export interface EngineWire {
  readonly sb: Sandbox;
  /** the outside host's namespace, holding e0 */
  readonly ext: string;
  /** the engine's namespace, holding p0 and the TAP */
  readonly dp: string;
  readonly e0: string;
  /** the engine's parent */
  readonly p0: string;
  readonly tap: Tap;
  /** Closes the TAP and removes the sandbox (namespaces, links, processes it started). */
  close(): void;
}

/** Builds the bed in a new sandbox named `prefix`; on failure removes what it made and throws. */
export function makeEngineWire(prefix: string, macExt: number, macTap: number): EngineWire {
  const sb = createSandbox(prefix);
  try {
    const ext = sb.addNs('ext');
    const dp = sb.addNs('dp');
    const [e0, p0] = sb.addVeth(ext, 'e0', dp, 'p0');
    sb.run(ext, ['ip', 'link', 'set', e0, 'address', macText(macExt)]);
    // the last step that can fail: nothing after it needs undoing here
    const tap = openTap(sb.name('t1'), { netns: dp, mac: macTap, mtu: 1500 });
    return { sb, ext, dp, e0, p0, tap, close: () => { closeTap(tap); sb.cleanup(); } };
  } catch (e) {
    sb.cleanup();
    throw e;
  }
}

/** An empty receive batch of n entries, for engine.poll(). */
export function rxBatch(n: number): RxBatch {
  return { count: 0, port: new Int16Array(n), region: new Uint8Array(n), at: new Uint32Array(n), len: new Uint32Array(n) };
}
