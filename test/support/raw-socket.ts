// Raw frames in and out of one interface of a namespace: an AF_PACKET socket opened, used and closed through the
// addon's test-only calls (packetOpen, packetSend, packetRecv). Every test that sends or receives raw frames goes
// through this module and no other, so where those calls live (product addon or a test-only one) is decided here.

import { loadAddon } from '../../src/io/native.js';
import { loadTestAddon, type TestAddon } from './test-addon.js';
import { withNetns } from '../../src/io/netns.js';

const EAGAIN = 11;
/** Loaded on first use (loadTestAddon caches it), so importing this module costs nothing in a test that skips. */
const addon = (): TestAddon => loadTestAddon();

export class RawSocket {
  private readonly buf = new Uint8Array(70_000);

  private constructor(readonly label: string, readonly ns: string | null, readonly ifname: string, private readonly fd: number) {}

  /** A packet socket bound to ifname in ns (null: this process's namespace); throws with the errno if it cannot. */
  static open(ns: string | null, ifname: string, label = ifname): RawSocket {
    const fd = withNetns(ns ?? undefined, (nsfd) => addon().packetOpen(nsfd, ifname));
    if (fd < 0) throw new Error(`packet socket on ${ifname}${ns ? ` in ${ns}` : ''}: errno ${-fd}`);
    return new RawSocket(label, ns, ifname, fd);
  }

  /** Sends one frame as given; the byte count, or -errno. */
  send(frame: Uint8Array): number {
    return addon().packetSend(this.fd, frame);
  }

  /** Receives one frame into buf, waiting up to timeoutMs (0: not at all); its length, or -errno (-EAGAIN: none). */
  recvInto(buf: Uint8Array, timeoutMs: number): number {
    return addon().packetRecv(this.fd, buf, timeoutMs);
  }

  /** Copies of the frames `keep` accepts, received until `want` came or timeoutMs passed; throws on a socket error. */
  collect(want: number, timeoutMs: number, keep: (b: Uint8Array, len: number) => boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    const end = Date.now() + timeoutMs;
    while (out.length < want) {
      const left = end - Date.now();
      if (left <= 0) break;
      const n = this.recvInto(this.buf, Math.min(left, 50));
      if (n === -EAGAIN) continue;
      if (n < 0) throw new Error(`receive on ${this.ifname}: errno ${-n}`);
      if (keep(this.buf, n)) out.push(this.buf.slice(0, Math.min(n, this.buf.length)));
    }
    return out;
  }

  close(): void {
    loadAddon().closeFd(this.fd);
  }
}
