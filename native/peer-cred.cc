// peer-cred.cc - who is at the other end of an accepted AF_UNIX stream socket. Node does not expose SO_PEERCRED;
// the control socket's policy (only uid 0 is served) is the TypeScript caller's.
#include <sys/socket.h>

#include "common.h"

namespace umv {

// peerUid(fd) → the peer's uid as the kernel recorded it at connect() | -errno (ENOTSOCK, EBADF, ...)
static Napi::Value PeerUid(const Napi::CallbackInfo& info) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(ArgInt(info, 0, -1), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return Fail(info.Env());
  if (len != sizeof cred) return Num(info.Env(), -EINVAL);
  return Num(info.Env(), static_cast<double>(cred.uid));
}

void InitPeerCred(Napi::Env env, Napi::Object exports) {
  exports.Set("peerUid", Napi::Function::New<PeerUid>(env, "peerUid"));
}

}  // namespace umv
