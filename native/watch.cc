// watch.cc - descriptors read when the kernel says so: a libuv poll on any fd (rtnetlink sockets, which Node's own
// streams cannot wrap), joining netlink groups above 31, and files kept open in a namespace and re-read with pread
// (one at a time, or all of them at once telling which changed).
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "common.h"
#include "netns.h"

namespace umv {

// A poll handle and the JavaScript function it calls on the main thread's loop when the fd is readable.
struct FdWatch {
  uv_poll_t poll;
  Napi::FunctionReference cb;
  napi_env env;
  bool closed = false;
};

static void OnReadable(uv_poll_t* h, int status, int events) {
  auto* w = static_cast<FdWatch*>(h->data);
  if (w->closed) return;
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  // MakeCallback: runs the microtasks Node would run after any other I/O callback. status < 0 is a poll error.
  // The receiver must be an object (napi_make_callback converts it): the global one.
  w->cb.MakeCallback(env.Global(), {Napi::Number::New(env, status)});
  // A throw must not stay pending into the next, unrelated call into the addon: the callback is meant never to
  // throw, and if it does the error is dropped here rather than surfacing somewhere else.
  if (env.IsExceptionPending()) env.GetAndClearPendingException();
}

// fdWatch(fd, cb(status)) → handle | -errno. cb runs whenever fd is readable, until fdUnwatch. The handle does not
// keep the process alive (uv_unref): the daemon's life is its control socket's and its signals'.
static Napi::Value FdWatchStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, -1);
  if (fd < 0 || info.Length() < 2 || !info[1].IsFunction()) return Num(env, -EINVAL);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Num(env, -EINVAL);
  auto* w = new FdWatch();
  w->env = env;
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc < 0) { delete w; return Num(env, rc); }  // libuv errors are -errno on Linux
  w->cb = Napi::Persistent(info[1].As<Napi::Function>());
  rc = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (rc < 0) {
    w->closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), [](uv_handle_t* h) { delete static_cast<FdWatch*>(h->data); });
    return Num(env, rc);
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->poll));
  return Napi::External<FdWatch>::New(env, w);
}

// fdUnwatch(handle) → 0. Stops the poll before the caller closes the fd (libuv must not poll a closed fd).
static Napi::Value FdWatchStop(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) return Num(info.Env(), -EINVAL);
  auto* w = info[0].As<Napi::External<FdWatch>>().Data();
  if (w->closed) return Num(info.Env(), 0);
  w->closed = true;
  uv_poll_stop(&w->poll);
  w->cb.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), [](uv_handle_t* h) { delete static_cast<FdWatch*>(h->data); });
  return Num(info.Env(), 0);
}

// nlJoin(fd, group) → 0 | -errno. NETLINK_ADD_MEMBERSHIP takes a group number, so groups above 31 (which the
// nl_groups bitmask of bind() cannot name) can be joined.
static Napi::Value NlJoin(const Napi::CallbackInfo& info) {
  int group = ArgInt(info, 1, 0);
  int rc = setsockopt(ArgInt(info, 0, -1), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group);
  return Num(info.Env(), rc < 0 ? -errno : 0);
}

// openInNetns(nsfd, path[, write]) → fd | -errno: opened (read-only, or write-only when write is 1) from a thread
// inside namespace nsfd. A /proc/thread-self/net file
// keeps the namespace it was opened in, so the fd can be re-read from any thread later without entering it again.
static Napi::Value OpenInNetns(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 1);
  int mode = ArgInt(info, 2, 0) == 1 ? O_WRONLY : O_RDONLY;
  int rc = InNetns(ArgInt(info, 0, -1), [&]() -> int {
    int fd = open(path.c_str(), mode | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
  });
  return Num(info.Env(), rc);
}

// preadAll(fd, buf) → bytes | -errno: the file from offset 0 into buf, until EOF or buf is full (then buf.length:
// the caller grows buf and asks again). A seq_file read from offset 0 is generated afresh.
static Napi::Value PreadAll(const Napi::CallbackInfo& info) {
  uint8_t* d; size_t n;
  if (!BytesArg(info, 1, &d, &n)) return Num(info.Env(), -EINVAL);
  int fd = ArgInt(info, 0, -1);
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, d + got, n - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Fail(info.Env());
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return Num(info.Env(), static_cast<double>(got));
}

// 32-bit FNV-1a, continued over each chunk: the same value as io/dev-mcast.ts's fnv1a over the whole file.
static uint32_t Fnv1a(uint32_t h, const uint8_t* d, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 0x01000193u;
  return h;
}

template <typename T, napi_typedarray_type K>
static bool TypedArg(const Napi::CallbackInfo& info, size_t i, T** data, size_t* count) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return false;
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != K) return false;
  *data = reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  *count = ta.ByteLength() / sizeof(T);
  return true;
}

// preadChanged(entries, n, scratch, changed) → how many changed | -EINVAL. entries: Uint32Array of n triples (fd,
// length, FNV-1a hash of the last read); each file is read from offset 0 through scratch, chunk by chunk, hashed as
// it goes (any size fits), and the index of every entry whose length or hash differs - or whose read failed - is
// written to changed (Int32Array, at least n long). One call for every namespace's dev_mcast: the bytes are compared
// here, what to do with a changed file is the caller's.
static Napi::Value PreadChanged(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t* e; size_t ne; uint8_t* buf; size_t nbuf; int32_t* out; size_t nout;
  if (!TypedArg<uint32_t, napi_uint32_array>(info, 0, &e, &ne) || !BytesArg(info, 2, &buf, &nbuf) || nbuf == 0 ||
      !TypedArg<int32_t, napi_int32_array>(info, 3, &out, &nout)) return Num(env, -EINVAL);
  size_t n = static_cast<size_t>(ArgInt(info, 1, 0));
  if (n * 3 > ne || n > nout) return Num(env, -EINVAL);
  int changed = 0;
  for (size_t i = 0; i < n; i++) {
    int fd = static_cast<int>(e[3 * i]);
    uint32_t h = 0x811c9dc5u;
    size_t got = 0;
    bool failed = false;
    for (;;) {
      ssize_t r = pread(fd, buf, nbuf, static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) { failed = true; break; }
      if (r == 0) break;
      h = Fnv1a(h, buf, static_cast<size_t>(r));
      got += static_cast<size_t>(r);
    }
    if (failed || got != e[3 * i + 1] || h != e[3 * i + 2]) out[changed++] = static_cast<int32_t>(i);
  }
  return Num(env, changed);
}

void InitWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("fdWatch", Napi::Function::New<FdWatchStart>(env, "fdWatch"));
  exports.Set("fdUnwatch", Napi::Function::New<FdWatchStop>(env, "fdUnwatch"));
  exports.Set("nlJoin", Napi::Function::New<NlJoin>(env, "nlJoin"));
  exports.Set("openInNetns", Napi::Function::New<OpenInNetns>(env, "openInNetns"));
  exports.Set("preadAll", Napi::Function::New<PreadAll>(env, "preadAll"));
  exports.Set("preadChanged", Napi::Function::New<PreadChanged>(env, "preadChanged"));
}

}  // namespace umv
