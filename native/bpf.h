// Packet filters for capture: compiles a tcpdump filter expression with the system's libpcap, loaded on demand.
#pragma once
#include <napi.h>

// Registers bpfCompile(expr: string, snaplen: number) → Uint32Array | string | -errno (see bpf.cc).
void InitBpf(Napi::Env env, Napi::Object exports);
