// Entry point of the addon: registers each file's functions. Syscalls and memory only; no policy, no statics.
#include <napi.h>

#include "bpf.h"
#include "engine.h"

namespace umv {
void InitTap(Napi::Env env, Napi::Object exports);
void InitTapIdentity(Napi::Env env, Napi::Object exports);
void InitNetnsPin(Napi::Env env, Napi::Object exports);
void InitLink(Napi::Env env, Napi::Object exports);
void InitSys(Napi::Env env, Napi::Object exports);
void InitPeerCred(Napi::Env env, Napi::Object exports);
void InitWatch(Napi::Env env, Napi::Object exports);
}  // namespace umv

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  umv::Engine::Init(env, exports);
  umv::InitTap(env, exports);
  umv::InitTapIdentity(env, exports);
  umv::InitNetnsPin(env, exports);
  umv::InitLink(env, exports);
  umv::InitSys(env, exports);
  umv::InitPeerCred(env, exports);
  umv::InitWatch(env, exports);
  InitBpf(env, exports);
  return exports;
}

NODE_API_MODULE(umacvlan, Init)
