// link.cc - netdev ioctls by name inside a namespace (index, flags, MTU, MAC), and namespace file descriptors.
#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <fcntl.h>
#include <linux/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common.h"
#include "netns.h"

namespace umv {

// One ioctl on a throwaway socket made in the namespace: any socket reaches dev_ioctl() for the SIOC*IF* requests,
// and it resolves names in the namespace the socket was created in.
static int IfIoctl(int nsfd, unsigned long req, ifreq* ifr) {
  return InNetns(nsfd, [&]() -> int {
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    int rc = ioctl(s, req, ifr) < 0 ? -errno : 0;
    close(s);
    return rc;
  });
}

static bool NameArg(const Napi::CallbackInfo& info, size_t i, ifreq* ifr) {
  memset(ifr, 0, sizeof *ifr);
  std::string name = ArgString(info, i);
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  strncpy(ifr->ifr_name, name.c_str(), IFNAMSIZ - 1);
  return true;
}

// ifIndex(nsfd, name) → ifindex | -errno (ENODEV: no such interface there)
static Napi::Value IfIndex(const Napi::CallbackInfo& info) {
  ifreq ifr;
  if (!NameArg(info, 1, &ifr)) return Num(info.Env(), -EINVAL);
  int rc = IfIoctl(ArgInt(info, 0, -1), SIOCGIFINDEX, &ifr);
  return Num(info.Env(), rc < 0 ? rc : ifr.ifr_ifindex);
}

// ifInfo(nsfd, name, out Float64Array[4]: ifindex, flags, mtu, mac) → 0 | -errno
static Napi::Value IfInfo(const Napi::CallbackInfo& info) {
  ifreq ifr;
  if (!NameArg(info, 1, &ifr) || info.Length() < 3 || !info[2].IsTypedArray()) return Num(info.Env(), -EINVAL);
  Napi::Float64Array out = info[2].As<Napi::Float64Array>();
  if (out.ElementLength() < 4) return Num(info.Env(), -EINVAL);
  int nsfd = ArgInt(info, 0, -1);
  double v[4] = {0, 0, 0, 0};  // filled in the helper thread, which must not touch JavaScript values
  int rc = InNetns(nsfd, [&]() -> int {
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    int r = 0;
    if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) r = -errno; else v[0] = ifr.ifr_ifindex;
    if (!r && ioctl(s, SIOCGIFFLAGS, &ifr) < 0) r = -errno; else if (!r) v[1] = static_cast<uint16_t>(ifr.ifr_flags);
    if (!r && ioctl(s, SIOCGIFMTU, &ifr) < 0) r = -errno; else if (!r) v[2] = ifr.ifr_mtu;
    if (!r && ioctl(s, SIOCGIFHWADDR, &ifr) < 0) r = -errno;
    else if (!r) v[3] = MacFromBytes(reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data));
    close(s);
    return r;
  });
  if (rc == 0) for (size_t i = 0; i < 4; i++) out[i] = v[i];
  return Num(info.Env(), rc);
}

// ifSetMtu(nsfd, name, mtu) → 0 | -errno
static Napi::Value IfSetMtu(const Napi::CallbackInfo& info) {
  ifreq ifr;
  if (!NameArg(info, 1, &ifr)) return Num(info.Env(), -EINVAL);
  ifr.ifr_mtu = ArgInt(info, 2, 0);
  return Num(info.Env(), IfIoctl(ArgInt(info, 0, -1), SIOCSIFMTU, &ifr));
}

// ifSetMac(nsfd, name, mac) → 0 | -errno
static Napi::Value IfSetMac(const Napi::CallbackInfo& info) {
  ifreq ifr;
  if (!NameArg(info, 1, &ifr)) return Num(info.Env(), -EINVAL);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  MacToBytes(ArgDouble(info, 2, 0), reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data));
  return Num(info.Env(), IfIoctl(ArgInt(info, 0, -1), SIOCSIFHWADDR, &ifr));
}

// ifChangeFlags(nsfd, name, set, clear) → the new flags | -errno (read, change, write in one namespace visit)
static Napi::Value IfChangeFlags(const Napi::CallbackInfo& info) {
  ifreq ifr;
  if (!NameArg(info, 1, &ifr)) return Num(info.Env(), -EINVAL);
  int set = ArgInt(info, 2, 0), clear = ArgInt(info, 3, 0);
  int rc = InNetns(ArgInt(info, 0, -1), [&]() -> int {
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    int r = ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? -errno : 0;
    if (!r) {
      ifr.ifr_flags = static_cast<short>((ifr.ifr_flags | set) & ~clear);
      r = ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : static_cast<uint16_t>(ifr.ifr_flags);
    }
    close(s);
    return r;
  });
  return Num(info.Env(), rc);
}

// nsOpen(path) → fd | -errno: /run/netns/NAME, /proc/PID/ns/net, /proc/self/ns/net
static Napi::Value NsOpen(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0);
  if (path.empty()) return Num(info.Env(), -EINVAL);
  return Num(info.Env(), OpenNetns(path));
}

// closeFd(fd) → 0 | -errno
static Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  return Num(info.Env(), close(ArgInt(info, 0, -1)) < 0 ? -errno : 0);
}

void InitLink(Napi::Env env, Napi::Object exports) {
  exports.Set("ifIndex", Napi::Function::New<IfIndex>(env, "ifIndex"));
  exports.Set("ifInfo", Napi::Function::New<IfInfo>(env, "ifInfo"));
  exports.Set("ifSetMtu", Napi::Function::New<IfSetMtu>(env, "ifSetMtu"));
  exports.Set("ifSetMac", Napi::Function::New<IfSetMac>(env, "ifSetMac"));
  exports.Set("ifChangeFlags", Napi::Function::New<IfChangeFlags>(env, "ifChangeFlags"));
  exports.Set("nsOpen", Napi::Function::New<NsOpen>(env, "nsOpen"));
  exports.Set("closeFd", Napi::Function::New<CloseFd>(env, "closeFd"));
}

}  // namespace umv
