// bpf.cc - compiles a tcpdump filter expression to classic BPF with the system's libpcap, opened only when asked.
//
// libpcap is not linked: `npm ci` and a daemon without --capture-filter must not need it. Debian's runtime package
// (libpcap0.8) ships only the versioned libpcap.so.0.8 (the unversioned .so is in -dev), so that is the name we
// dlopen. We declare the few types we use ourselves, copied from libpcap's stable ABI (struct bpf_insn and struct
// bpf_program are part of it since the 1990s), so building needs no libpcap headers either. glibc >= 2.34 has
// dlopen in libc: no -ldl.
//
// bpfCompile(expr, snaplen) →
//   Uint32Array  the program, four words per instruction: code, jt, jf, k (the layout src/capture/bpf.ts runs)
//   string       libpcap's own error text (pcap_geterr) when the expression does not compile
//   -ENOENT      libpcap.so.0.8 cannot be opened; -ENOSYS: it lacks a function we need;
//   -ENOMEM      pcap_open_dead failed; -EINVAL: bad arguments
// No statics: the library handle lives for one call (RTLD_NODELETE keeps the code mapped for the next one).
#include "bpf.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace {

constexpr int kDltEn10mb = 1;                       // DLT_EN10MB
constexpr uint32_t kNetmaskUnknown = 0xffffffffu;   // PCAP_NETMASK_UNKNOWN: "ip broadcast" is refused, not guessed

struct PcapBpfInsn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};
struct PcapBpfProgram {
  unsigned int bf_len;
  PcapBpfInsn* bf_insns;
};

using OpenDeadFn = void* (*)(int linktype, int snaplen);
using CompileFn = int (*)(void* p, PcapBpfProgram* fp, const char* str, int optimize, uint32_t netmask);
using FreeCodeFn = void (*)(PcapBpfProgram* fp);
using CloseFn = void (*)(void* p);
using GetErrFn = char* (*)(void* p);

struct Libpcap {
  void* handle = nullptr;
  OpenDeadFn openDead = nullptr;
  CompileFn compile = nullptr;
  FreeCodeFn freeCode = nullptr;
  CloseFn close = nullptr;
  GetErrFn getErr = nullptr;

  // 0 or -errno
  int Open() {
    handle = dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) return -ENOENT;
    openDead = reinterpret_cast<OpenDeadFn>(dlsym(handle, "pcap_open_dead"));
    compile = reinterpret_cast<CompileFn>(dlsym(handle, "pcap_compile"));
    freeCode = reinterpret_cast<FreeCodeFn>(dlsym(handle, "pcap_freecode"));
    close = reinterpret_cast<CloseFn>(dlsym(handle, "pcap_close"));
    getErr = reinterpret_cast<GetErrFn>(dlsym(handle, "pcap_geterr"));
    if (!openDead || !compile || !freeCode || !close || !getErr) return -ENOSYS;
    return 0;
  }
  ~Libpcap() {
    if (handle != nullptr) dlclose(handle);
  }
};

Napi::Value BpfCompile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) return Napi::Number::New(env, -EINVAL);
  const std::string expr = info[0].As<Napi::String>().Utf8Value();
  const int32_t snaplen = info[1].As<Napi::Number>().Int32Value();
  if (snaplen <= 0 || expr.find('\0') != std::string::npos) return Napi::Number::New(env, -EINVAL);

  Libpcap lib;
  const int rc = lib.Open();
  if (rc < 0) return Napi::Number::New(env, rc);
  void* p = lib.openDead(kDltEn10mb, snaplen);
  if (p == nullptr) return Napi::Number::New(env, -ENOMEM);

  PcapBpfProgram prog{};
  if (lib.compile(p, &prog, expr.c_str(), 1, kNetmaskUnknown) != 0) {
    const std::string why = lib.getErr(p);
    lib.close(p);
    return Napi::String::New(env, why);
  }
  Napi::Uint32Array out = Napi::Uint32Array::New(env, static_cast<size_t>(prog.bf_len) * 4);
  for (unsigned int i = 0; i < prog.bf_len; i++) {
    out[i * 4] = prog.bf_insns[i].code;
    out[i * 4 + 1] = prog.bf_insns[i].jt;
    out[i * 4 + 2] = prog.bf_insns[i].jf;
    out[i * 4 + 3] = prog.bf_insns[i].k;
  }
  lib.freeCode(&prog);
  lib.close(p);
  return out;
}

}  // namespace

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("bpfCompile", Napi::Function::New(env, BpfCompile, "bpfCompile"));
}
