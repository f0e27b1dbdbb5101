// What the CNI unit tests share: run a call and get the CniError it throws (or fail the test).

import { expect } from 'vitest';
import { CniError } from '../../../src/cni/cni-error.js';
import type { CniEnv } from '../../../src/cni/cni-env.js';

export function cniErr(f: () => unknown): CniError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error('expected a CniError, got none');
}

/** An environment for `command` with every variable set. */
export function envOf(command: CniEnv['command'], over: Partial<CniEnv> = {}): CniEnv {
  return { command, containerId: 'ctr1', netns: '/run/netns/ucs-c1', ifname: 'eth0', args: '', path: '/usr/lib/cni', ...over };
}
