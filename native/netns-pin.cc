// netns-pin.cc - keeps a network namespace alive by bind-mounting its nsfs file onto a plain file (as `ip netns
// add` does): a namespace known only as /proc/PID/ns/net would otherwise end with that process, and a persistent
// child's TAP with it. Syscalls only; 0 or -errno.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "common.h"

namespace umv {

// nsPin(src, dst) → 0 | -errno: dst (created empty, 0600, if missing) becomes a bind mount of src.
static Napi::Value NsPin(const Napi::CallbackInfo& info) {
  std::string src = ArgString(info, 0), dst = ArgString(info, 1);
  if (src.empty() || dst.empty()) return Num(info.Env(), -EINVAL);
  int fd = open(dst.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(info.Env());
  close(fd);
  if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) < 0) {
    int e = errno;
    unlink(dst.c_str());
    return Num(info.Env(), -e);
  }
  return Num(info.Env(), 0);
}

// nsUnpin(dst) → 0 | -errno: the bind mount detached and the file removed (missing already: 0).
static Napi::Value NsUnpin(const Napi::CallbackInfo& info) {
  std::string dst = ArgString(info, 0);
  if (umount2(dst.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return Fail(info.Env());
  if (unlink(dst.c_str()) < 0 && errno != ENOENT) return Fail(info.Env());
  return Num(info.Env(), 0);
}

void InitNetnsPin(Napi::Env env, Napi::Object exports) {
  exports.Set("nsPin", Napi::Function::New<NsPin>(env, "nsPin"));
  exports.Set("nsUnpin", Napi::Function::New<NsUnpin>(env, "nsUnpin"));
}

}  // namespace umv
