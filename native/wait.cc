// wait.cc - poll(): give back the last batch, then harvest the parent ring and the TAP completions, waiting when
// there is nothing.
//
// The engine sleeps in io_uring_enter() on the TAPs' rx ring, where a one-shot POLL_ADD on the parent socket (armed
// only before sleeping, so a busy ring costs no completions) and the TAP reads wake it. That ring defers its task
// work (DEFER_TASKRUN): completions appear only when we enter, so every poll() enters once (Flush) before
// harvesting. With busyPollUs, poll() spins that long before it sleeps.
#include <ctime>

#include "common.h"
#include "engine.h"

namespace umv {

namespace {
inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

unsigned Engine::Harvest(unsigned max) {
  // Alternate who goes first so neither the wire nor the children can starve the other.
  tapsFirst_ = !tapsFirst_;
  unsigned n = 0;
  if (tapsFirst_) {
    n = taps_.Harvest(rxOut_, 0, max / 2 > 0 ? max / 2 : max);
    n = parent_.Harvest(rxOut_, n, max);
    n = taps_.Harvest(rxOut_, n, max);
  } else {
    n = parent_.Harvest(rxOut_, 0, max);
    n = taps_.Harvest(rxOut_, n, max);
  }
  if (taps_.TakePollError()) parent_.TakeSocketError();
  return n;
}

// poll(max, timeoutMs) → frames written into the bound rx arrays | -errno
Napi::Value Engine::Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_) return Num(env, -EBADF);
  if (!rxPort_.data) return Num(env, -EINVAL);
  unsigned max = static_cast<unsigned>(ArgInt(info, 0, 0));
  double timeoutMs = ArgDouble(info, 1, 0);
  if (max > RxCapacity()) max = static_cast<unsigned>(RxCapacity());
  Uring& rx = taps_.rx();
  parent_.Release();
  taps_.Release();
  taps_.Rearm();
  rx.Flush();  // submits re-arms and runs deferred TAP completions: one syscall per poll
  unsigned n = Harvest(max);
  if (n == 0 && timeoutMs != 0) {
    // A multishot read that ended in this harvest (pool empty, say) must be armed again before we sleep, or its TAP
    // would wait for the timeout; the slots given back above are there for it now.
    taps_.Rearm();
    if (rx.Pending()) rx.Enter(0, -1);
    if (busyPollUs_) {
      uint64_t end = NowNs() + static_cast<uint64_t>(busyPollUs_) * 1000;
      while (NowNs() < end) {
        rx.Flush();  // TAP completions are deferred until we enter the kernel (DEFER_TASKRUN)
        if (Ready() && (n = Harvest(max)) > 0) break;
      }
    }
    if (n == 0) {
      taps_.ArmPoll(parent_.fd());
      long long ns = timeoutMs < 0 ? -1 : static_cast<long long>(timeoutMs * 1e6);
      int rc = rx.Enter(1, ns);
      if (rc < 0 && rc != -ETIME && rc != -EINTR) return Num(env, rc);
      n = Harvest(max);
    }
  } else if (rx.Pending()) {
    rx.Enter(0, -1);
  }
  return Num(env, n);
}

}  // namespace umv
