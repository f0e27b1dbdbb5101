// parent-send.cc - sends to the parent, inline or from the sender thread.
//
// Why a thread: a send to the parent's AF_PACKET socket does the kernel's work for the frame inside the syscall —
// software GSO and checksums when the wire has no offloads, and, on a veth, the receiving namespace's IP and TCP
// stack in softirq. That is most of the engine thread's time when a child sends bulk data out
// (bench/results/profile.md); on its own thread it runs beside the engine's next batch.
// Hand-off: the engine's thread writes descriptors into a ring and publishes the tail; the sender thread sends them
// in order with sendmmsg() (one flow's frames are never reordered) and publishes how many it finished. Each side
// sleeps on a futex only when it has nothing to do, and is woken only when the other side saw it asleep.
// The frames are the engine's memory (ring frames, pool slots): the engine keeps them until Done() passes their
// sequence number (parent-ring.cc, tap-pool.cc Release).
#include "parent-send.h"

#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace umv {

namespace {
/** Frames per sendmmsg() on the sender thread */
constexpr unsigned kChunk = 64;
/** After its last frame the thread keeps looking this long before it sleeps: the next batch of a bulk transfer is
 *  usually there by then, and finding it awake saves the engine's thread a futex wake. Each look yields the CPU;
 *  a yield that comes back late means the core is wanted, and the thread sleeps at once (as wait.cc's spin). */
constexpr uint64_t kSpinNs = 50000, kYieldBusyNs = 50000;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void FutexWait(std::atomic<uint32_t>* word, uint32_t val, long timeoutNs) {
  timespec ts{0, timeoutNs};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, val, timeoutNs > 0 ? &ts : nullptr, nullptr, 0);
}
void FutexWake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}
}  // namespace

int ParentSend::Start(int fd, unsigned capacity) {
  if (running_ || capacity == 0 || (capacity & (capacity - 1))) return -EINVAL;
  fd_ = fd;
  mask_ = capacity - 1;
  ring_.assign(capacity, Desc{nullptr, 0, 0});
  fails_.assign(capacity, Failure{0, 0, 0});
  msgs_.assign(kChunk, mmsghdr{});
  iovs_.assign(kChunk, iovec{});
  stop_.store(false);
  // The thread takes no signals: SIGTERM and the rest stay node's.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&thread_, nullptr, &ParentSend::Main, this);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) return -rc;
  pthread_setname_np(thread_, "umv-send");
  running_ = true;
  return 0;
}

void ParentSend::Stop() {
  if (!running_) return;
  stop_.store(true, std::memory_order_seq_cst);
  asleep_.store(0, std::memory_order_seq_cst);
  FutexWake(&asleep_);
  pthread_join(thread_, nullptr);  // a send in progress finishes first: MSG_DONTWAIT, it never blocks
  running_ = false;
  // What was never sent is finished now: nothing waits for it any more.
  done_.store(queued_, std::memory_order_release);
}

void* ParentSend::Main(void* self) {
  static_cast<ParentSend*>(self)->Loop();
  return nullptr;
}

void ParentSend::Loop() {
  uint64_t head = done_.load(std::memory_order_relaxed);
  uint64_t spinUntil = 0;
  while (!stop_.load(std::memory_order_acquire)) {
    uint64_t tail = tail_.load(std::memory_order_acquire);
    if (tail == head && spinUntil) {
      uint64_t now = NowNs();
      if (now < spinUntil) {
        sched_yield();
        if (NowNs() - now > kYieldBusyNs) spinUntil = 0;
        continue;
      }
      spinUntil = 0;
    }
    if (tail == head) {
      asleep_.store(1, std::memory_order_seq_cst);
      // Checked again after saying so: a tail published before this is seen here, one after it sees asleep_.
      if (tail_.load(std::memory_order_seq_cst) == head && !stop_.load(std::memory_order_seq_cst)) FutexWait(&asleep_, 1, 0);
      asleep_.store(0, std::memory_order_relaxed);
      continue;
    }
    while (head < tail) {
      uint64_t to = tail - head > kChunk ? head + kChunk : tail;
      SendQueued(head, to);
      head = to;
      done_.store(head, std::memory_order_seq_cst);
      if (waiting_.load(std::memory_order_seq_cst) == 1) {
        waiting_.store(0, std::memory_order_relaxed);
        FutexWake(&waiting_);
      }
    }
    spinUntil = NowNs() + kSpinNs;
  }
}

void ParentSend::SendQueued(uint64_t from, uint64_t to) {
  unsigned n = static_cast<unsigned>(to - from);
  for (unsigned i = 0; i < n; i++) {
    const Desc& d = ring_[(from + i) & mask_];
    iovs_[i].iov_base = const_cast<uint8_t*>(d.data);
    iovs_[i].iov_len = d.len;
    memset(&msgs_[i], 0, sizeof(mmsghdr));
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  for (unsigned k = 0; k < n;) {
    int r = sendmmsg(fd_, &msgs_[k], n - k, MSG_DONTWAIT);
    if (r >= 0) { k += static_cast<unsigned>(r); continue; }
    if (errno == EINTR) continue;
    int e = -errno;
    CountError(e);
    const Desc& d = ring_[(from + k) & mask_];
    uint64_t ft = failTail_.load(std::memory_order_relaxed);
    // Reported when there is room (the engine takes them at every poll); counted above in any case.
    if (ft - failHead_.load(std::memory_order_acquire) <= mask_) {
      fails_[ft & mask_] = Failure{d.tag, d.len, e};
      failTail_.store(ft + 1, std::memory_order_release);
    }
    k++;  // this frame failed; the rest still go
  }
}

void ParentSend::CountError(int negErrno) {
  writeErrors_.fetch_add(1, std::memory_order_relaxed);
  lastWriteErr_.store(negErrno, std::memory_order_relaxed);
}

void ParentSend::SendInline(int fd, mmsghdr* msgs, const uint32_t* idx, unsigned n, int32_t* result, unsigned vnet) {
  for (unsigned k = 0; k < n;) {
    int r = sendmmsg(fd, &msgs[k], n - k, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      result[idx[k]] = -errno;
      CountError(-errno);
      k++;
      continue;
    }
    for (int i = 0; i < r; i++) result[idx[k + i]] = static_cast<int32_t>(msgs[k + i].msg_len) - static_cast<int>(vnet);
    k += static_cast<unsigned>(r);
  }
}

uint64_t ParentSend::Queue(const uint8_t* data, uint32_t len, int16_t tag) {
  // Full: publish what is queued and wait for the oldest to go. Every queued frame holds a ring frame or a pool
  // slot, and the queue is as large as both, so this happens only with more copies to the parent than slots.
  if (queued_ - Done() > mask_) { Kick(); WaitDone(queued_ - mask_); }
  ring_[queued_ & mask_] = Desc{data, len, tag};
  return ++queued_;
}

void ParentSend::Kick() {
  if (tail_.load(std::memory_order_relaxed) == queued_) return;
  tail_.store(queued_, std::memory_order_seq_cst);
  if (asleep_.load(std::memory_order_seq_cst) == 1) {
    asleep_.store(0, std::memory_order_relaxed);
    FutexWake(&asleep_);
  }
}

void ParentSend::WaitDone(uint64_t seq) {
  Kick();
  while (Done() < seq) {
    if (!running_) return;
    waiting_.store(1, std::memory_order_seq_cst);
    // A bounded sleep: the thread wakes us after each chunk it sends; the limit only covers a missed word.
    if (Done() < seq) FutexWait(&waiting_, 1, 1000000);
    waiting_.store(0, std::memory_order_relaxed);
  }
}

unsigned ParentSend::TakeFailures(int16_t* tag, uint32_t* len, int32_t* err, unsigned max, unsigned vnet) {
  uint64_t ft = failTail_.load(std::memory_order_acquire);
  uint64_t h = failHead_.load(std::memory_order_relaxed);
  unsigned n = 0;
  for (; h < ft && n < max; h++, n++) {
    const Failure& f = fails_[h & mask_];
    tag[n] = f.tag;
    len[n] = f.len - vnet;
    err[n] = f.err;
  }
  if (max == 0) h = ft;  // nobody to report to: forgotten (they were counted)
  failHead_.store(h, std::memory_order_release);
  return n;
}

}  // namespace umv
