// bpf.cc - the capture engineer's packet-filter functions go here. Until then it registers nothing.
#include "bpf.h"

void InitBpf(Napi::Env env, Napi::Object exports) {}
