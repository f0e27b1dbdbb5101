// test-addon.cc - the test addon (umacvlan_test.node, built beside the product's, loaded by test/support/test-addon.ts):
// a plain AF_PACKET socket that injects and captures frames on any interface of any namespace. Nothing in the
// product calls it, so it stays out of the product addon.
#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common.h"
#include "netns.h"

namespace umv {

// packetOpen(nsfd, ifname) → fd | -errno: AF_PACKET SOCK_RAW bound to ifname for every protocol, non-blocking,
// with PACKET_AUXDATA so packetRecv() can put back a VLAN tag the kernel stripped.
static Napi::Value PacketOpen(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 1);
  if (name.empty() || name.size() >= IFNAMSIZ) return Num(info.Env(), -EINVAL);
  int rc = InNetns(ArgInt(info, 0, -1), [&]() -> int {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    int one = 1;
    sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0 || setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0 ||
        (sll.sll_ifindex = ifr.ifr_ifindex, bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)) {
      int e = errno; close(fd); return -e;
    }
    return fd;
  });
  return Num(info.Env(), rc);
}

// packetSend(fd, frame Uint8Array) → bytes | -errno
static Napi::Value PacketSend(const Napi::CallbackInfo& info) {
  uint8_t* d; size_t n;
  if (!BytesArg(info, 1, &d, &n)) return Num(info.Env(), -EINVAL);
  ssize_t rc = send(ArgInt(info, 0, -1), d, n, MSG_DONTWAIT);
  return Num(info.Env(), rc < 0 ? -errno : static_cast<double>(rc));
}

// packetRecv(fd, buf Uint8Array, timeoutMs) → frame length | -errno (EAGAIN: none in time). Skips frames the
// interface sent itself; puts a stripped 802.1Q tag back, as a capture shows it.
static Napi::Value PacketRecv(const Napi::CallbackInfo& info) {
  uint8_t* d; size_t n;
  if (!BytesArg(info, 1, &d, &n) || n < 18) return Num(info.Env(), -EINVAL);
  int fd = ArgInt(info, 0, -1);
  int timeoutMs = ArgInt(info, 2, 0);
  for (;;) {
    int w = WaitReadable(fd, timeoutMs);
    if (w < 0) return Num(info.Env(), w);
    if (w == 0) return Num(info.Env(), -EAGAIN);
    // Read 4 bytes in, so a tag can be inserted by moving only the MACs.
    iovec iov = {d + 4, n - 4};
    sockaddr_ll from;
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(tpacket_auxdata))];
    msghdr mh = RecvHeader(from, iov, ctl);
    ssize_t rc = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (rc < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && timeoutMs != 0) continue;
      return Fail(info.Env());
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    size_t len = static_cast<size_t>(rc);
    bool tagged = false;
    unsigned tci = 0, tpid = ETH_P_8021Q;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
      tpacket_auxdata aux;
      memcpy(&aux, CMSG_DATA(c), sizeof aux);
      if (aux.tp_status & TP_STATUS_VLAN_VALID) {
        tagged = true;
        tci = aux.tp_vlan_tci;
        if (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) tpid = aux.tp_vlan_tpid;
      }
    }
    if (tagged && len >= 12 && len + 4 <= n) {
      memmove(d, d + 4, 12);
      d[12] = tpid >> 8; d[13] = tpid & 0xff; d[14] = tci >> 8; d[15] = tci & 0xff;
      return Num(info.Env(), static_cast<double>(len + 4));
    }
    memmove(d, d + 4, len);
    return Num(info.Env(), static_cast<double>(len));
  }
}

}  // namespace umv

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("packetOpen", Napi::Function::New<umv::PacketOpen>(env, "packetOpen"));
  exports.Set("packetSend", Napi::Function::New<umv::PacketSend>(env, "packetSend"));
  exports.Set("packetRecv", Napi::Function::New<umv::PacketRecv>(env, "packetRecv"));
  return exports;
}

NODE_API_MODULE(umacvlan_test, Init)
