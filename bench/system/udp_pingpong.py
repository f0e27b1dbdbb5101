#!/usr/bin/env python3
"""UDP ping-pong for the system bench: round-trip times with no ping on the machine.

`serve` echoes every datagram back until its deadline; `ping` sends one datagram at a time, waits for its echo,
and prints one JSON line of statistics. Both are bounded in time, the pinger also in count. Blocking sockets with
SO_RCVTIMEO: one recv system call per reply, no poll loop, so the tool adds as little as it can to each RTT.
With --gap-ms the pings are sparse: one every gap (on a fixed schedule, the pinger sleeping in between), the way
interactive traffic arrives, so every ping pays the wake-up of whatever forwards it.
"""
import argparse
import errno
import json
import socket
import struct
import time


def rcvtimeo(sock, seconds):
    sec = int(seconds)
    usec = int((seconds - sec) * 1e6)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', sec, usec))


def serve(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    rcvtimeo(sock, 0.25)
    deadline = time.monotonic() + args.seconds
    print('listening', flush=True)
    while time.monotonic() < deadline:
        try:
            data, peer = sock.recvfrom(2048)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                continue
            raise
        if data == b'quit':
            break
        sock.sendto(data, peer)


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[i]


def ping(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.to, args.port))
    rcvtimeo(sock, args.timeout_ms / 1000.0)
    deadline = time.monotonic() + args.seconds
    rtts = []
    lost = 0
    sent = 0
    pad = bytes(args.size - 8)
    gap_ns = int(args.gap_ms * 1e6)
    next_ns = time.monotonic_ns()
    for seq in range(args.warmup + args.count):
        if time.monotonic() > deadline:
            break
        if gap_ns > 0:
            next_ns += gap_ns
            wait = next_ns - time.monotonic_ns()
            if wait > 0:
                time.sleep(wait / 1e9)
        msg = seq.to_bytes(8, 'big') + pad
        t0 = time.perf_counter_ns()
        sock.send(msg)
        sent += 1
        got = False
        while True:
            try:
                data = sock.recv(2048)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNREFUSED):
                    break
                raise
            if data[:8] == msg[:8]:
                got = True
                break
            # A late echo of an earlier, timed-out ping: skip it and keep waiting for ours.
        t1 = time.perf_counter_ns()
        if not got:
            lost += 1
            continue
        if seq >= args.warmup:
            rtts.append((t1 - t0) / 1000.0)
    if args.quit:
        sock.send(b'quit')
    rtts.sort()
    print(json.dumps({
        'sent': sent,
        'received': len(rtts),
        'lost': lost,
        'p50_us': percentile(rtts, 50),
        'p99_us': percentile(rtts, 99),
        'min_us': rtts[0] if rtts else None,
        'max_us': rtts[-1] if rtts else None,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('serve')
    s.add_argument('--bind', required=True)
    s.add_argument('--port', type=int, required=True)
    s.add_argument('--seconds', type=float, default=60)
    p = sub.add_parser('ping')
    p.add_argument('--to', required=True)
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--count', type=int, default=1000)
    p.add_argument('--warmup', type=int, default=50)
    p.add_argument('--seconds', type=float, default=10)
    p.add_argument('--timeout-ms', type=float, default=200)
    p.add_argument('--size', type=int, default=32)
    p.add_argument('--gap-ms', type=float, default=0, help='one ping every GAP ms (0: back to back)')
    p.add_argument('--quit', action='store_true', help='tell the server to stop when done')
    args = parser.parse_args()
    serve(args) if args.cmd == 'serve' else ping(args)


if __name__ == '__main__':
    main()
