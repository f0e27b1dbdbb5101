// Sends to the parent: inline (sendmmsg on the calling thread) or handed to a sender thread through a single-producer
// single-consumer queue of frame descriptors, so the kernel work a send does — software GSO and checksums, and the
// receiving namespace's stack run in softirq inside the syscall — runs on another core than the engine's.
// The engine's thread is the only producer; the sender thread the only consumer. All memory is allocated at Start().
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace umv {

class ParentSend {
 public:
  ParentSend() = default;
  ParentSend(const ParentSend&) = delete;
  ParentSend& operator=(const ParentSend&) = delete;
  ~ParentSend() { Stop(); }

  /** Queue of `capacity` (a power of two) descriptors and the sender thread → 0 | -errno. Without Start() every
   *  send is inline. */
  int Start(int fd, unsigned capacity);
  /** Stops the thread and joins it; frames still queued are not sent. The fd stays the caller's. Idempotent. */
  void Stop();
  bool running() const { return running_; }

  /** Sends msgs[0..n) now on this thread; result[idx[i]] = bytes (the vnet header excluded) or -errno. */
  void SendInline(int fd, mmsghdr* msgs, const uint32_t* idx, unsigned n, int32_t* result, unsigned vnet);
  /** Queues one frame (`tag` comes back with its failure, if it fails) → its sequence number, which Done() reaches
   *  once the frame is sent or has failed. Waits for room when the queue is full. Kick() publishes what was queued. */
  uint64_t Queue(const uint8_t* data, uint32_t len, int16_t tag);
  void Kick();

  /** Frames queued so far (the last sequence number) and frames the thread has finished */
  uint64_t queued() const { return queued_; }
  uint64_t Done() const { return done_.load(std::memory_order_acquire); }
  bool Idle() const { return Done() == queued_; }
  /** Waits until Done() >= seq. */
  void WaitDone(uint64_t seq);

  /** Queued frames that failed, oldest first, into the arrays (at most max) → how many. */
  unsigned TakeFailures(int16_t* tag, uint32_t* len, int32_t* err, unsigned max, unsigned vnet);
  /** Every failed send to the parent, inline or queued, and the last errno */
  double writeErrors() const { return static_cast<double>(writeErrors_.load(std::memory_order_relaxed)); }
  int lastWriteError() const { return lastWriteErr_.load(std::memory_order_relaxed); }

 private:
  struct Desc { const uint8_t* data; uint32_t len; int16_t tag; };
  struct Failure { int16_t tag; uint32_t len; int32_t err; };
  static void* Main(void* self);
  void Loop();
  void SendQueued(uint64_t from, uint64_t to);
  void CountError(int negErrno);

  int fd_ = -1;
  bool running_ = false;
  pthread_t thread_{};
  unsigned mask_ = 0;
  std::vector<Desc> ring_;
  std::vector<Failure> fails_;  // as many as descriptors: never full, each descriptor fails at most once
  std::vector<mmsghdr> msgs_;   // the thread's own
  std::vector<iovec> iovs_;
  uint64_t queued_ = 0;         // the producer's own count; tail_ is its published copy

  alignas(64) std::atomic<uint64_t> tail_{0};  // published by the engine's thread
  std::atomic<uint32_t> asleep_{0};            // futex: the sender thread sleeps (1)
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<uint64_t> done_{0};  // published by the sender thread
  std::atomic<uint64_t> failTail_{0};
  std::atomic<uint32_t> waiting_{0};           // futex: the engine's thread waits for done_ (1)
  alignas(64) std::atomic<uint64_t> failHead_{0};  // moved by the engine's thread
  std::atomic<uint64_t> writeErrors_{0};
  std::atomic<int> lastWriteErr_{0};
};

}  // namespace umv
