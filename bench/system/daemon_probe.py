#!/usr/bin/env python3
"""Probes for the daemon rows of the system bench (bench/system/daemon-main.ts). Every mode is bounded in count and
in time, and prints one JSON line.

  join IFNAME COUNT                    SIOCADDMULTI COUNT link-layer groups on IFNAME (what `ip maddr add` does; this
                                       machine's `ip -batch` applies only the first maddr line)
  latency join|up RX_IF TX_NETNS TX_IF DST_MAC COUNT
                                       run in RX_IF's namespace: join a group (or set RX_IF up) and time, from the
                                       ioctl returning, until a frame sent from TX_IF (in namespace TX_NETNS) reaches
                                       RX_IF. One process holds both ends, so no clock is shared between processes.
  flood IFNAME SRC_MAC SECONDS COUNT   broadcast frames out of IFNAME as fast as one core sends them
  stream send ADDR PORT RATE COUNT     paced UDP datagrams carrying a sequence number
  stream recv ADDR PORT SECONDS        counts them, and the longest time between two arrivals
"""
import ctypes
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCADDMULTI, SIOCDELMULTI = 0x8913, 0x8914, 0x8931, 0x8932
IFF_UP = 0x1
ETH_P_ALL = 0x0003
ETHERTYPE = 0x88B5  # IEEE 802 local experimental: nothing in the namespaces answers it
CLONE_NEWNET = 0x40000000
MARK = b'UMBPROBE'


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(':'))


def ifreq_mac(ifname, mac):
    return struct.pack('16sH6s8x', ifname.encode(), socket.AF_UNSPEC, mac)


def join(ifname, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    for j in range(count):
        fcntl.ioctl(s, SIOCADDMULTI, ifreq_mac(ifname, (0x01005E100000 + j).to_bytes(6, 'big')))
    print(json.dumps({'joined': count, 'seconds': round(time.monotonic() - t0, 3)}))


def raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def raw_in(netns, ifname):
    """A packet socket in another namespace: a socket keeps the namespace it was made in."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    there = os.open(f'/run/netns/{netns}', os.O_RDONLY)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), 'setns')
        s = raw(ifname)
        if libc.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), 'setns back')
        return s
    finally:
        os.close(home)
        os.close(there)


def drain(rx, dst):
    """True if a frame to dst with our mark arrived; reads everything waiting."""
    hit = False
    while True:
        try:
            f = rx.recv(2048)
        except BlockingIOError:
            return hit
        except OSError as e:
            if e.errno == errno.ENETDOWN:  # told once, when the interface went down under the socket
                continue
            raise
        if f[:6] == dst and f[14:14 + len(MARK)] == MARK:
            hit = True


def set_up(ifname, up):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack('16sH14x', fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack('16sH14x', ifname.encode(), 0)))[1]
    flags = flags | IFF_UP if up else flags & ~IFF_UP
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH14x', ifname.encode(), flags))
    s.close()


def until_delivered(rx, tx, frame, dst, limit_s):
    """Sends frame again every pass and polls rx for 50 µs: seconds until one arrived, or None."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        tx.send(frame)
        r, _, _ = select.select([rx], [], [], 0.00005)
        if r and drain(rx, dst):
            return time.perf_counter() - t0
    return None


def latency(mode, rx_if, tx_ns, tx_if, dst_text, count):
    rx = raw(rx_if)
    tx = raw_in(tx_ns, tx_if)
    ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    src = bytes.fromhex('02ee7f000001')
    deadline = time.monotonic() + 120
    samples, skipped, timeouts, baseline = [], 0, 0, []
    j = 0
    while len(samples) + timeouts < count and time.monotonic() < deadline:
        j += 1
        dst = (0x01005E300000 + j).to_bytes(6, 'big') if mode == 'join' else mac_bytes(dst_text)
        frame = dst + src + struct.pack('!H', ETHERTYPE) + MARK + j.to_bytes(4, 'big') + bytes(40)
        if mode == 'join':
            # The kernel's per-child filter is a 256-bucket hash: a group may pass before it is joined. Such a group
            # measures nothing; skip it.
            for _ in range(3):
                tx.send(frame)
            time.sleep(0.005)
            if drain(rx, dst):
                skipped += 1
                continue
            fcntl.ioctl(ctl, SIOCADDMULTI, ifreq_mac(rx_if, dst))
        else:
            set_up(rx_if, False)
            time.sleep(0.03)  # let the change be seen: a frame after `up` must not pass on a stale state
            drain(rx, dst)
            set_up(rx_if, True)
        took = until_delivered(rx, tx, frame, dst, 1.0)
        if took is None:
            timeouts += 1
        else:
            samples.append(took * 1e6)
            # the same path once the change is in place: what delivery itself costs, for reference
            time.sleep(0.002)
            drain(rx, dst)
            again = until_delivered(rx, tx, frame, dst, 0.2)
            if again is not None:
                baseline.append(again * 1e6)
        if mode == 'join':
            fcntl.ioctl(ctl, SIOCDELMULTI, ifreq_mac(rx_if, dst))
        time.sleep(0.01)
    samples.sort()
    baseline.sort()
    med = lambda xs: xs[len(xs) // 2] if xs else None
    print(json.dumps({'mode': mode, 'samples': len(samples), 'timeouts': timeouts, 'skipped': skipped,
                      'median_us': med(samples), 'p90_us': samples[int(len(samples) * 0.9)] if samples else None,
                      'max_us': samples[-1] if samples else None, 'steady_median_us': med(baseline)}))


def flood(ifname, src_text, seconds, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    frame = b'\xff' * 6 + mac_bytes(src_text) + struct.pack('!H', ETHERTYPE) + bytes(46)
    deadline = time.monotonic() + seconds
    sent = dropped = 0
    while sent < count:
        for _ in range(256):
            try:
                s.send(frame)
                sent += 1
            except OSError as e:
                if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                    raise
                dropped += 1
        if time.monotonic() > deadline:
            break
    print(json.dumps({'sent': sent, 'refused': dropped, 'seconds': seconds}))


def stream_send(addr, port, rate, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    sent = errors = 0
    for seq in range(count):
        wait = t0 + seq / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            s.sendto(seq.to_bytes(4, 'big') + bytes(28), (addr, port))
            sent += 1
        except OSError:
            errors += 1  # a child without carrier refuses: counted as lost, as the network would lose it
    print(json.dumps({'sent': count, 'errors': errors, 'seconds': round(time.monotonic() - t0, 3)}))


def stream_recv(addr, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(0.1)
    print('listening', flush=True)
    deadline = time.monotonic() + seconds
    seen, last, gap = set(), None, 0.0
    while time.monotonic() < deadline:
        try:
            data = s.recv(64)
        except socket.timeout:
            continue
        now = time.monotonic()
        seen.add(int.from_bytes(data[:4], 'big'))
        if last is not None:
            gap = max(gap, now - last)
        last = now
    print(json.dumps({'received': len(seen), 'longest_gap_ms': round(gap * 1000, 1)}))


def main():
    a = sys.argv[1:]
    if a[:1] == ['join']:
        join(a[1], int(a[2]))
    elif a[:1] == ['latency']:
        latency(a[1], a[2], a[3], a[4], a[5], int(a[6]))
    elif a[:1] == ['flood']:
        flood(a[1], a[2], float(a[3]), int(a[4]))
    elif a[:2] == ['stream', 'send']:
        stream_send(a[2], int(a[3]), float(a[4]), int(a[5]))
    elif a[:2] == ['stream', 'recv']:
        stream_recv(a[2], int(a[3]), float(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
