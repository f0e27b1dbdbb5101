// Packet filters for capture (the capture engineer's file): registers their native functions on the addon.
#pragma once
#include <napi.h>

void InitBpf(Napi::Env env, Napi::Object exports);
