#!/usr/bin/env bash
# Installs the Debian tools the system tests use, only those missing (a fresh machine has none of them).
set -euo pipefail
need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v tshark >/dev/null || need+=(tshark)
command -v nft >/dev/null || need+=(nftables); command -v dnsmasq >/dev/null || need+=(dnsmasq-base); [ -x /bin/busybox ] || need+=(busybox-static)  # mac-nat.test.ts
command -v systemd-analyze >/dev/null || need+=(systemd)  # the umacvlan@.service check (restart.test.ts)
[ -e /usr/lib/x86_64-linux-gnu/libpcap.so.0.8 ] || [ -e /usr/lib/aarch64-linux-gnu/libpcap.so.0.8 ] || need+=(libpcap0.8)
for p in podman runc containernetworking-plugins busybox-static; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done  # CNI: cni-podman, cni-side-by-side
[ ${#need[@]} = 0 ] && exit 0
echo "installing for the system tests: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
