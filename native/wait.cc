// wait.cc - poll(): give back the last batch, then harvest the parent ring and the TAP completions, waiting when
// there is nothing.
//
// DOC: How the engine waits
// The engine sleeps in io_uring_enter() on the TAPs' rx ring, where a one-shot POLL_ADD on the parent socket (armed
// only before sleeping, so a busy ring costs no completions) and the TAP reads wake it. That ring defers its task
// work (DEFER_TASKRUN): completions appear only when we enter. It also raises IORING_SQ_TASKRUN in the shared ring
// when such work waits (TASKRUN_FLAG), so poll() enters only when there is something to run or to submit, and a
// spinning poll() sees a TAP's frame by reading memory.
// Waking a sleeping thread is the expensive part of forwarding sparse traffic (bench/results/profile.md, "Wake-up
// path"): the wake itself, and the cold caches of the code that runs after it. So poll() first spins, for as long
// as frames arrived recently: until `spinUs` after the last frame (adaptive, the default), or `busyPollUs` after
// every empty look (--busy-poll-us, a fixed spin). The reply to a frame just forwarded (a ping's echo, a TCP ACK)
// then finds the worker awake; a quiet engine sleeps at once and costs nothing. The adaptive spin yields the CPU on
// every turn, and stops (the engine sleeps) as soon as a yield comes back late, i.e. another thread wanted this core:
// on a machine whose cores are all busy (two cores, a sender, a receiver and this worker) spinning would take the
// time the work needs, and the wake-up is then the cheaper price. The fixed spin is what its user asked for: it
// neither yields nor stops early.
#include <sched.h>

#include <algorithm>
#include <ctime>

#include "common.h"
#include "engine.h"

namespace umv {

namespace {
// A sched_yield() with nothing else runnable on the core returns in a few microseconds (a system call); one that
// took longer gave the core to another thread.
constexpr uint64_t kYieldBusyNs = 50000;

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

// Runs deferred TAP completions and submits what is queued, only when there is any (one syscall saved per poll).
void Engine::FlushIfNeeded() {
  Uring& rx = taps_.rx();
  if (rx.Pending() || rx.TaskRunPending()) rx.Flush();
}

// Spins until a frame is there or `untilNs` passes → frames harvested (0: time is up, or, `yielding`, the core is
// wanted by another thread).
unsigned Engine::Spin(unsigned max, uint64_t untilNs, bool yielding) {
  Uring& rx = taps_.rx();
  for (;;) {
    if (rx.TaskRunPending()) rx.Flush();
    if (Ready()) {
      unsigned n = Harvest(max);
      if (n > 0) return n;
    }
    uint64_t now = NowNs();
    if (now >= untilNs) return 0;
    if (!yielding) continue;
    sched_yield();
    if (NowNs() - now > kYieldBusyNs) return 0;  // someone else ran: this core is wanted, sleep instead
  }
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
  ReleaseSent();
  taps_.Rearm();
  FlushIfNeeded();
  unsigned n = Harvest(max);
  if (n == 0 && timeoutMs != 0 && !psend_.Idle() && (parent_.heldForSend() > 0 || taps_.deferred() >= taps_.slots() / 2)) {
    // Nothing came, and frames are still held for the sender thread: it is about to finish them (it never blocks).
    // Waiting for it here gives them back before we sleep when holding them could stall us: a held ring frame keeps
    // the parent socket readable (the wait would return at once), and with half the pool held a TAP's read could
    // find no slot and wait for the timeout. Fewer held slots go back at the next poll; the wait costs a wake-up.
    psend_.WaitDone(psend_.queued());
    ReleaseSent();
    taps_.Rearm();
    FlushIfNeeded();
    n = Harvest(max);
  }
  if (n == 0 && timeoutMs != 0) {
    // A multishot read that ended in this harvest (pool empty, say) must be armed again before we sleep, or its TAP
    // would wait for the timeout; the slots given back above are there for it now.
    taps_.Rearm();
    if (rx.Pending()) rx.Enter(0, -1);
    uint64_t now = NowNs();
    uint64_t until = busyPollUs_ ? now + static_cast<uint64_t>(busyPollUs_) * 1000 : lastFrameNs_ + spinNs_;
    if (until > now) n = Spin(max, until, busyPollUs_ == 0);
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
  if (n > 0 && spinNs_) lastFrameNs_ = NowNs();
  ReportLate();
  return Num(env, n);
}

void Engine::ReportLate() {
  if (!psend_.running()) return;
  if (!lateCount_.data) { psend_.TakeFailures(nullptr, nullptr, nullptr, 0, kVnet); return; }
  size_t cap = std::min(std::min(lateTag_.length, lateLen_.length), lateErr_.length);
  static_cast<uint32_t*>(lateCount_.data)[0] = psend_.TakeFailures(static_cast<int16_t*>(lateTag_.data),
      static_cast<uint32_t*>(lateLen_.data), static_cast<int32_t*>(lateErr_.data), static_cast<unsigned>(cap), kVnet);
}

}  // namespace umv
