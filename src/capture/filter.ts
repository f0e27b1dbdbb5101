// src/capture/filter.ts — --capture-filter: a tcpdump expression compiled by libpcap (native/bpf.cc) to the
// classic BPF the capture ring runs (bpf.ts). Compiled once, at start, in the control thread.
//
// capture/ does not load the addon (io/native.ts does): the caller passes it in, typed by BpfNative below —
//   compileFilter(expr, snaplen, loadAddon<BpfNative>())
// which also lets the unit tests hand in a fake.

import { getSystemErrorName } from 'node:util';
import { checkBpf } from './bpf.js';
import { CaptureError, NO_LIBPCAP_MESSAGE } from './errors.js';

/** What native/bpf.cc registers on the addon. */
export interface BpfNative {
  /** → the program, 4 words (code, jt, jf, k) per instruction | libpcap's error text | -errno:
   *  -ENOENT no libpcap.so.0.8, -ENOSYS a function missing from it, -ENOMEM, -EINVAL bad arguments */
  bpfCompile(expr: string, snaplen: number): Uint32Array | string | number;
}

const ENOENT = 2;

/**
 * Compiles `expr` for Ethernet frames, to return `snaplen` for a match. Throws CaptureError:
 * UMV_ERR_NO_LIBPCAP (message exactly NO_LIBPCAP_MESSAGE) or UMV_ERR_CAPTURE_FILTER (with libpcap's reason).
 */
export function compileFilter(expr: string, snaplen: number, native: BpfNative): Uint32Array {
  const r = native.bpfCompile(expr, snaplen);
  if (typeof r === 'number') {
    if (r === -ENOENT) throw new CaptureError('UMV_ERR_NO_LIBPCAP', NO_LIBPCAP_MESSAGE, expr, 'ENOENT');
    const code = getSystemErrorName(r);
    throw new CaptureError('UMV_ERR_CAPTURE_FILTER', `--capture-filter ${JSON.stringify(expr)}: libpcap.so.0.8 unusable (${code})`, expr, code);
  }
  if (typeof r === 'string') throw new CaptureError('UMV_ERR_CAPTURE_FILTER', `--capture-filter ${JSON.stringify(expr)}: ${r}`, expr);
  const why = checkBpf(r);
  if (why !== null) throw new CaptureError('UMV_ERR_CAPTURE_FILTER', `--capture-filter ${JSON.stringify(expr)}: libpcap's program cannot run here: ${why}`, expr);
  return r;
}
