// Entry point of the addon: registers each module's functions. Syscalls and memory only; no policy.
#include <napi.h>

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return exports; }

NODE_API_MODULE(umacvlan, Init)
