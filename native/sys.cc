// sys.cc - control-path syscalls Node lacks: rtnetlink sockets, sd_notify, a file read from inside a namespace,
// and a plain AF_PACKET socket (tests and tools: inject and capture frames on any interface).
#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common.h"
#include "netns.h"

namespace umv {

static bool BytesArg(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* len) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return false;
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  *len = ta.ByteLength();
  return true;
}

// Waits for readability: timeoutMs 0 = do not wait, < 0 = no limit. 1 ready, 0 not, -errno.
static int WaitReadable(int fd, int timeoutMs) {
  if (timeoutMs == 0) return 1;  // non-blocking fd: recv answers EAGAIN itself
  pollfd p = {fd, POLLIN, 0};
  int rc;
  do rc = poll(&p, 1, timeoutMs); while (rc < 0 && errno == EINTR);
  return rc < 0 ? -errno : rc;
}

// nlOpen(nsfd, groups) → fd | -errno: NETLINK_ROUTE, non-blocking, subscribed to `groups` (RTMGRP_* bits), made in
// namespace nsfd (-1: here). Stays in that namespace whatever thread uses it later.
static Napi::Value NlOpen(const Napi::CallbackInfo& info) {
  int nsfd = ArgInt(info, 0, -1);
  unsigned groups = static_cast<unsigned>(ArgInt(info, 1, 0));
  int rc = InNetns(nsfd, [&]() -> int {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0) return -errno;
    int big = 1 << 20;  // a burst of link events (many children at once) must not overflow into ENOBUFS
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = groups;
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) { int e = errno; close(fd); return -e; }
    return fd;
  });
  return Num(info.Env(), rc);
}

// nlSend(fd, bytes Uint8Array) → bytes sent | -errno (to the kernel)
static Napi::Value NlSend(const Napi::CallbackInfo& info) {
  uint8_t* d; size_t n;
  if (!BytesArg(info, 1, &d, &n)) return Num(info.Env(), -EINVAL);
  sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  ssize_t rc = sendto(ArgInt(info, 0, -1), d, n, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  return Num(info.Env(), rc < 0 ? -errno : static_cast<double>(rc));
}

// recvInto(fd, buf Uint8Array, timeoutMs) → bytes | -errno (EAGAIN: nothing yet). One datagram per call; a netlink
// datagram holds several messages. MSG_TRUNC: the real size is returned when the buffer was too small.
static Napi::Value RecvInto(const Napi::CallbackInfo& info) {
  uint8_t* d; size_t n;
  if (!BytesArg(info, 1, &d, &n)) return Num(info.Env(), -EINVAL);
  int fd = ArgInt(info, 0, -1);
  int w = WaitReadable(fd, ArgInt(info, 2, 0));
  if (w < 0) return Num(info.Env(), w);
  if (w == 0) return Num(info.Env(), -EAGAIN);
  ssize_t rc;
  do rc = recv(fd, d, n, MSG_DONTWAIT | MSG_TRUNC); while (rc < 0 && errno == EINTR);
  return Num(info.Env(), rc < 0 ? -errno : static_cast<double>(rc));
}

// sdNotify(path, text) → bytes | -errno. '@' at the start names an abstract socket (systemd does that too).
static Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0), msg = ArgString(info, 1);
  sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) return Num(info.Env(), -EINVAL);
  memcpy(sa.sun_path, path.data(), path.size());
  if (path[0] == '@') sa.sun_path[0] = 0;
  socklen_t sl = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(info.Env());
  ssize_t rc = sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), sl);
  int e = errno;
  close(fd);
  return Num(info.Env(), rc < 0 ? -e : static_cast<double>(rc));
}

// readInNetns(nsfd, path) → text | -errno. Files under /proc/thread-self/net/ show the reading thread's namespace
// (/proc/self/net would show the main thread's), so reading them from the helper thread sees namespace nsfd.
static Napi::Value ReadInNetns(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 1), text;
  int rc = InNetns(ArgInt(info, 0, -1), [&]() -> int {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    int e = n < 0 ? -errno : 0;
    close(fd);
    return e;
  });
  if (rc < 0) return Num(info.Env(), rc);
  return Napi::String::New(info.Env(), text);
}

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
    msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl;
    mh.msg_controllen = sizeof ctl;
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

void InitSys(Napi::Env env, Napi::Object exports) {
  exports.Set("nlOpen", Napi::Function::New<NlOpen>(env, "nlOpen"));
  exports.Set("nlSend", Napi::Function::New<NlSend>(env, "nlSend"));
  exports.Set("recvInto", Napi::Function::New<RecvInto>(env, "recvInto"));
  exports.Set("sdNotify", Napi::Function::New<SdNotify>(env, "sdNotify"));
  exports.Set("readInNetns", Napi::Function::New<ReadInNetns>(env, "readInNetns"));
  exports.Set("packetOpen", Napi::Function::New<PacketOpen>(env, "packetOpen"));
  exports.Set("packetSend", Napi::Function::New<PacketSend>(env, "packetSend"));
  exports.Set("packetRecv", Napi::Function::New<PacketRecv>(env, "packetRecv"));
}

}  // namespace umv
