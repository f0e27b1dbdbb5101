// A minimal io_uring over the kernel's uapi header and its three syscalls (no liburing: nothing to install).
// One Uring per direction of one engine; used from one thread only.
#pragma once
#include <linux/io_uring.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

// The machine's uapi header may predate the kernel it runs on; these values are ABI and never change.
#ifndef IORING_OP_READ_MULTISHOT_VALUE
#define IORING_OP_READ_MULTISHOT_VALUE 49  // Linux 6.7
#endif

namespace umv {

class Uring {
 public:
  Uring() = default;
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;
  ~Uring();

  /** 0 or -errno. cqEntries is rounded up by the kernel to a power of two. */
  int Init(unsigned sqEntries, unsigned cqEntries, unsigned extraFlags = 0);
  /** Submits what is pending and runs deferred completions (DEFER_TASKRUN) without waiting. */
  int Flush();
  int fd() const { return fd_; }

  /** A zeroed SQE, or nullptr when the submission queue is full (Submit() first). */
  io_uring_sqe* GetSqe();
  unsigned Pending() const { return sqTailLocal_ - sqHeadSubmitted_; }
  /** io_uring_enter: submits what is pending and waits for minComplete completions (timeoutNs < 0: no limit).
   *  Returns how many SQEs were submitted, or -errno (-ETIME when the timeout passed: not an error). */
  int Enter(unsigned minComplete, long long timeoutNs);

  /** The next completion, or nullptr; SeenCqe() consumes it. */
  io_uring_cqe* PeekCqe() {
    unsigned head = *cqHead_;
    if (head == __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE)) return nullptr;
    return &cqes_[head & cqMask_];
  }
  void SeenCqe() { __atomic_store_n(cqHead_, *cqHead_ + 1, __ATOMIC_RELEASE); }
  bool CqReady() const { return *cqHead_ != __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE); }
  /** Deferred task work waits for us to enter (a ring set up with IORING_SETUP_TASKRUN_FLAG; false otherwise): lets
   *  a spinning waiter see a TAP's frame without a system call per look. */
  bool TaskRunPending() const {
    return sqFlags_ && (__atomic_load_n(sqFlags_, __ATOMIC_ACQUIRE) & IORING_SQ_TASKRUN) != 0;
  }

  /** Registers a provided-buffer ring of `entries` (power of two) buffers for group `bgid`; returns 0 or -errno. */
  int RegisterBufRing(io_uring_buf_ring* ring, unsigned entries, unsigned bgid);

 private:
  int fd_ = -1;
  void* sqMap_ = nullptr;
  size_t sqMapLen_ = 0;
  void* cqMap_ = nullptr;
  size_t cqMapLen_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqesLen_ = 0;
  unsigned* sqHead_ = nullptr;
  unsigned* sqTail_ = nullptr;
  unsigned* sqArray_ = nullptr;
  unsigned* sqFlags_ = nullptr;
  unsigned sqMask_ = 0;
  unsigned sqEntries_ = 0;
  unsigned sqTailLocal_ = 0;
  unsigned sqHeadSubmitted_ = 0;
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  unsigned cqMask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

}  // namespace umv
