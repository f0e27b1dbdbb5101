// tap.cc - TAP devices: create (in a namespace if asked), MAC, offloads, carrier, namespace and name of a TAP fd.
// Each call is one syscall (or a few for create) and returns >= 0 or -errno; what to do on failure is TypeScript's.
#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

#include "common.h"
#include "netns.h"

#ifndef TUNGETDEVNETNS
#define TUNGETDEVNETNS _IO('T', 227)  // Linux 5.2; absent from older uapi headers
#endif

namespace umv {

// tapOpen(name, nsfd, vnetHdr, attach) → fd | -errno. Without attach, IFF_TUN_EXCL: a name already in use is EBUSY
// instead of silently attaching to a persistent TAP of that name. With attach, the existing (persistent) TAP of that
// name is opened again: how a restarted daemon takes back its children. Not persistent until tapSetPersist: closing
// the fd removes the device.
static Napi::Value TapOpen(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0);
  int nsfd = ArgInt(info, 1, -1);
  bool vnet = ArgBool(info, 2);
  bool attach = ArgBool(info, 3);
  if (name.empty() || name.size() >= IFNAMSIZ) return Num(info.Env(), -EINVAL);
  int rc = InNetns(nsfd, [&]() -> int {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (attach ? 0 : IFF_TUN_EXCL) | (vnet ? IFF_VNET_HDR : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { int e = errno; close(fd); return -e; }
    return fd;
  });
  return Num(info.Env(), rc);
}

// tapSetOffload(fd, TUN_F_* bits) → 0 | -errno
static Napi::Value TapSetOffload(const Napi::CallbackInfo& info) {
  unsigned long flags = static_cast<unsigned long>(ArgInt(info, 1, 0));
  return Num(info.Env(), ioctl(ArgInt(info, 0, -1), TUNSETOFFLOAD, flags) < 0 ? -errno : 0);
}

// tapSetPersist(fd, on) → 0 | -errno. A persistent TAP outlives its fds: the child outlives the daemon.
static Napi::Value TapSetPersist(const Napi::CallbackInfo& info) {
  unsigned long on = ArgBool(info, 1) ? 1 : 0;
  return Num(info.Env(), ioctl(ArgInt(info, 0, -1), TUNSETPERSIST, on) < 0 ? -errno : 0);
}

// tapSetOwner(fd, uid) → 0 | -errno. Only this uid (and CAP_NET_ADMIN) may attach to the persistent TAP.
static Napi::Value TapSetOwner(const Napi::CallbackInfo& info) {
  unsigned long uid = static_cast<unsigned long>(ArgInt(info, 1, 0));
  return Num(info.Env(), ioctl(ArgInt(info, 0, -1), TUNSETOWNER, uid) < 0 ? -errno : 0);
}

// tapSetCarrier(fd, on) → 0 | -errno
static Napi::Value TapSetCarrier(const Napi::CallbackInfo& info) {
  int on = ArgBool(info, 1) ? 1 : 0;
  return Num(info.Env(), ioctl(ArgInt(info, 0, -1), TUNSETCARRIER, &on) < 0 ? -errno : 0);
}

// tapSetMac(fd, mac) → 0 | -errno. The TAP fd takes SIOCSIFHWADDR itself: no socket in its namespace needed.
static Napi::Value TapSetMac(const Napi::CallbackInfo& info) {
  ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  MacToBytes(ArgDouble(info, 1, 0), reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data));
  return Num(info.Env(), ioctl(ArgInt(info, 0, -1), SIOCSIFHWADDR, &ifr) < 0 ? -errno : 0);
}

// tapNetnsFd(fd) → a new fd on the namespace the TAP's netdev is in now (it may have been moved) | -errno
static Napi::Value TapNetnsFd(const Napi::CallbackInfo& info) {
  int rc = ioctl(ArgInt(info, 0, -1), TUNGETDEVNETNS);
  return Num(info.Env(), rc < 0 ? -errno : rc);
}

// tapIfname(fd) → the netdev's current name | -errno
static Napi::Value TapIfname(const Napi::CallbackInfo& info) {
  ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(ArgInt(info, 0, -1), TUNGETIFF, &ifr) < 0) return Fail(info.Env());
  ifr.ifr_name[IFNAMSIZ - 1] = 0;
  return Napi::String::New(info.Env(), ifr.ifr_name);
}

void InitTap(Napi::Env env, Napi::Object exports) {
  exports.Set("tapOpen", Napi::Function::New<TapOpen>(env, "tapOpen"));
  exports.Set("tapSetOffload", Napi::Function::New<TapSetOffload>(env, "tapSetOffload"));
  exports.Set("tapSetPersist", Napi::Function::New<TapSetPersist>(env, "tapSetPersist"));
  exports.Set("tapSetOwner", Napi::Function::New<TapSetOwner>(env, "tapSetOwner"));
  exports.Set("tapSetCarrier", Napi::Function::New<TapSetCarrier>(env, "tapSetCarrier"));
  exports.Set("tapSetMac", Napi::Function::New<TapSetMac>(env, "tapSetMac"));
  exports.Set("tapNetnsFd", Napi::Function::New<TapNetnsFd>(env, "tapNetnsFd"));
  exports.Set("tapIfname", Napi::Function::New<TapIfname>(env, "tapIfname"));
}

}  // namespace umv
