// sys.cc - control-path syscalls Node lacks: rtnetlink sockets, sd_notify, a file read from inside a namespace.
#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common.h"
#include "netns.h"

namespace umv {

// nlOpen(nsfd, groups, allNsid) → fd | -errno: NETLINK_ROUTE, non-blocking, subscribed to `groups` (RTMGRP_* bits),
// made in namespace nsfd (-1: here). Stays in that namespace whatever thread uses it later. allNsid: also hear the
// events of every namespace that has an id here (NETLINK_LISTEN_ALL_NSID; recvInto reports which).
static Napi::Value NlOpen(const Napi::CallbackInfo& info) {
  int nsfd = ArgInt(info, 0, -1);
  unsigned groups = static_cast<unsigned>(ArgInt(info, 1, 0));
  bool allNsid = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  int rc = InNetns(nsfd, [&]() -> int {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0) return -errno;
    // The kernel doubles it; a limit, not an allocation. An event socket (groups) must hold what a burst of link
    // changes brings before the event loop reads it: a start makes its TAPs in one synchronous loop, each bringing
    // ~7 link and multicast messages, ~12 KB, to every event socket of its namespace. 4,096 children in a lab
    // peaked at 46 MB (2 MiB overflowed: ~58,000 messages lost, then a re-read of every TAP); past ~5,000 in one
    // namespace they overflow again, and the overflow's re-read still makes it right. Reading between batches of
    // TAPs instead was tried: the reads then run before `ready` and a 4,096 start took 2-3x as long. A request
    // socket holds one answer: a dump datagram, or the ACKs of 512 requests (io/link-group.ts).
    int big = groups != 0 || allNsid ? 32 << 20 : 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    if (allNsid && setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof one) < 0) {
      int e = errno; close(fd); return -e;
    }
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

// recvInto(fd, buf Uint8Array, timeoutMs[, meta Int32Array]) → bytes | -errno (EAGAIN: nothing yet). One datagram per
// call; a netlink datagram holds several messages. MSG_TRUNC: the real size is returned when the buffer was too
// small. Only the kernel's datagrams (sender nl_pid 0) are returned: any process may send to a netlink socket's port,
// and a forged link event must not move the daemon; others are read and discarded. meta[0]: the namespace id the
// datagram came from on a NETLINK_LISTEN_ALL_NSID socket, -1 for this namespace.
static Napi::Value RecvInto(const Napi::CallbackInfo& info) {
  uint8_t* d; size_t n;
  if (!BytesArg(info, 1, &d, &n)) return Num(info.Env(), -EINVAL);
  int32_t* meta = nullptr;
  if (info.Length() > 3 && info[3].IsTypedArray()) {
    Napi::TypedArray ta = info[3].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_int32_array || ta.ElementLength() < 1) return Num(info.Env(), -EINVAL);
    meta = ta.As<Napi::Int32Array>().Data();
  }
  int fd = ArgInt(info, 0, -1);
  int w = WaitReadable(fd, ArgInt(info, 2, 0));
  if (w < 0) return Num(info.Env(), w);
  if (w == 0) return Num(info.Env(), -EAGAIN);
  for (;;) {
    sockaddr_nl from;
    iovec iov = {d, n};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
    msghdr mh = RecvHeader(from, iov, ctl);
    ssize_t rc;
    do rc = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC); while (rc < 0 && errno == EINTR);
    if (rc < 0) return Num(info.Env(), -errno);
    if (mh.msg_namelen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
    if (meta) {
      meta[0] = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) memcpy(&meta[0], CMSG_DATA(c), sizeof(int));
      }
    }
    return Num(info.Env(), static_cast<double>(rc));
  }
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

void InitSys(Napi::Env env, Napi::Object exports) {
  exports.Set("nlOpen", Napi::Function::New<NlOpen>(env, "nlOpen"));
  exports.Set("nlSend", Napi::Function::New<NlSend>(env, "nlSend"));
  exports.Set("recvInto", Napi::Function::New<RecvInto>(env, "recvInto"));
  exports.Set("sdNotify", Napi::Function::New<SdNotify>(env, "sdNotify"));
  exports.Set("readInNetns", Napi::Function::New<ReadInNetns>(env, "readInNetns"));
}

}  // namespace umv
