// Small helpers shared by the addon's files: argument readers and the "-errno" convention.
// Every native call returns >= 0 on success and -errno on failure; policy and text live in TypeScript.
#pragma once
#include <napi.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace umv {

inline int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, int32_t dflt = 0) {
  if (info.Length() <= i || !info[i].IsNumber()) return dflt;
  return info[i].As<Napi::Number>().Int32Value();
}
inline double ArgDouble(const Napi::CallbackInfo& info, size_t i, double dflt = 0) {
  if (info.Length() <= i || !info[i].IsNumber()) return dflt;
  return info[i].As<Napi::Number>().DoubleValue();
}
inline std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) return std::string();
  return info[i].As<Napi::String>().Utf8Value();
}
inline bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].ToBoolean().Value();
}
/** A MAC held as a JS number (48 bits, exact in a double) into 6 bytes, network order. */
inline void MacToBytes(double mac, uint8_t out[6]) {
  uint64_t v = static_cast<uint64_t>(mac);
  for (int i = 5; i >= 0; i--) { out[i] = static_cast<uint8_t>(v & 0xff); v >>= 8; }
}
inline double MacFromBytes(const uint8_t b[6]) {
  uint64_t v = 0;
  for (int i = 0; i < 6; i++) v = (v << 8) | b[i];
  return static_cast<double>(v);
}
inline Napi::Number Num(Napi::Env env, double v) { return Napi::Number::New(env, v); }
/** -errno of the last failed syscall, as a JS number. */
inline Napi::Number Fail(Napi::Env env) { return Napi::Number::New(env, -errno); }

/** A Uint8Array argument's bytes (no copy); false when argument i is not one. */
inline bool BytesArg(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* len) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return false;
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  *len = ta.ByteLength();
  return true;
}
/** Waits for readability: timeoutMs 0 = do not wait, < 0 = no limit. 1 ready, 0 not, -errno. */
inline int WaitReadable(int fd, int timeoutMs) {
  if (timeoutMs == 0) return 1;  // non-blocking fd: recv answers EAGAIN itself
  pollfd p = {fd, POLLIN, 0};
  int rc;
  do rc = poll(&p, 1, timeoutMs); while (rc < 0 && errno == EINTR);
  return rc < 0 ? -errno : rc;
}

// The header recvmsg fills for one datagram: the sender's address into `from`, ancillary data into `ctl`.
template <typename Addr, size_t N>
inline msghdr RecvHeader(Addr& from, iovec& iov, char (&ctl)[N]) {
  msghdr mh{};
  mh.msg_name = &from;
  mh.msg_namelen = sizeof from;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl;
  mh.msg_controllen = N;
  return mh;
}

}  // namespace umv
