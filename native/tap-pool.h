// The TAPs' side of receiving: one read pool (region 1) shared by every TAP, handed to the kernel through an
// io_uring provided-buffer ring, and the rx io_uring where TAP reads complete. The engine also sleeps on that ring
// (wait.cc), so the one poll it arms on the parent socket completes here too.
// Owned by the engine; used from one thread.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "frame.h"
#include "uring.h"

namespace umv {

class TapPool {
 public:
  struct Port {
    int fd = -1;
    uint16_t gen = 0;    // bumped on detach: completions of an older attachment are recognised and dropped
    bool armed = false;  // a multishot read is in flight
    int err = 0;         // the read error that stopped reading this TAP (-errno); it is no longer read
    int lastWriteErr = 0;
    double readErrors = 0, writeErrors = 0;
    int head = -1, tail = -1;  // frames read but not handed out yet (nodes_), oldest first
    unsigned staged = 0;
    bool active = false;   // listed in active_
    bool capped = false;   // its read was cancelled for holding too many slots: re-armed once it holds fewer
  };

  TapPool() = default;
  TapPool(const TapPool&) = delete;
  TapPool& operator=(const TapPool&) = delete;
  ~TapPool();  // unmaps the pool: only once no JavaScript view of it is left (the engine sees to that)

  /** Pool, buffer ring and rx io_uring → 0 | -errno; *failedOp names the step that failed. */
  int Open(unsigned buffers, unsigned slotSize, const char** failedOp);
  /** Closes the rx io_uring, which cancels every read; the pool stays mapped. */
  void Close() { rx_.reset(); ports_.clear(); }

  Uring& rx() { return *rx_; }
  uint8_t* base() const { return pool_; }
  size_t size() const { return poolLen_; }

  /** Starts reading fd as port p at the next Rearm() → 0 | -EBUSY | -EINVAL */
  int Attach(int p, int fd);
  /** Cancels p's read and runs the cancellation at once, so the caller may close the fd → 0 | -ENOENT */
  int Detach(int p);
  /** The attached port p, or nullptr */
  Port* Find(int p) {
    return p >= 1 && static_cast<size_t>(p) < ports_.size() && ports_[p].fd >= 0 ? &ports_[p] : nullptr;
  }

  /** Gives the slots handed out back to the kernel, except those a send in flight still reads (Hold()'s sequence
   *  number above `done`): they go back at a later Release(). */
  void Release(uint64_t done);
  /** The slot at offset `at` is read by the queued send `seq` (ParentSend::Queue). */
  void Hold(uint32_t at, uint64_t seq) {
    size_t bid = at / slotSize_;
    if (bid < bufCount_) slotSeq_[bid] = seq;
  }
  /** Arms a multishot read on every attached TAP that has none and has not failed for good. */
  void Rearm();
  /** Takes every completion there is, then hands the frames read out into out[n..max), one port at a time in
   *  turn, so a busy TAP cannot crowd a quiet one out of a batch → the new n. A completed parent poll is only noted. */
  unsigned Harvest(const RxOut& out, unsigned n, unsigned max);
  /** Slots kept for a send in flight after the last Release(), and all slots */
  unsigned deferred() const { return static_cast<unsigned>(deferred_.size()); }
  unsigned slots() const { return bufCount_; }
  /** Frames read and waiting for a turn */
  unsigned staged() const { return stagedTotal_; }
  /** Arms one POLL_ADD for readability of the parent socket, unless one is in flight. */
  void ArmPoll(int fd);
  /** A parent poll completed with POLLERR since the last call. */
  bool TakePollError() { bool e = pollErr_; pollErr_ = false; return e; }

  double poolEmpty() const { return poolEmpty_; }
  /** reads that failed or came back too short or cut (a TAP never cuts: a frame that fills the slot may be) */
  double readErrors() const { return readErrors_; }
  double truncated() const { return truncated_; }

 private:
  void RecycleBuf(unsigned bid);
  // The tail overlays entry 0's `resv` field (offset 14), see struct io_uring_buf_ring.
  void PublishBufs() { __atomic_store_n(&reinterpret_cast<io_uring_buf*>(bufRing_)->resv, bufTail_, __ATOMIC_RELEASE); }
  void ReadFailed(Port* pt, int res, bool hasBuf, unsigned bid);
  void Stage(int p, Port* pt, unsigned bid, unsigned len);
  unsigned HandOut(const RxOut& out, unsigned n, unsigned max);
  void DropStaged(int p);
  void Cancel(int p, const Port& pt);
  struct Node { uint16_t bid; uint32_t len; int next; };
  std::vector<Node> nodes_;  // one per pool slot: a staged frame holds its slot
  int freeNode_ = -1;
  std::vector<int> active_;  // ports with staged frames, in turn order
  size_t turn_ = 0;
  unsigned stagedTotal_ = 0;
  unsigned cap_ = 0;  // slots one port may hold staged before its read is stopped: half the pool

  std::unique_ptr<Uring> rx_;
  uint8_t* pool_ = nullptr;
  size_t poolLen_ = 0;
  unsigned slotSize_ = 0;
  unsigned bufCount_ = 0;
  io_uring_buf_ring* bufRing_ = nullptr;
  size_t bufRingLen_ = 0;
  uint16_t bufTail_ = 0;
  bool recycled_ = false;  // slots went back during this harvest: publish once at its end
  std::vector<uint16_t> held_;      // handed out in the last batch
  std::vector<uint16_t> deferred_;  // handed out earlier, kept for a send in flight
  std::vector<uint64_t> slotSeq_;   // per slot: the queued send that reads it (0: none)
  std::vector<Port> ports_;
  bool pollArmed_ = false, pollErr_ = false;
  double poolEmpty_ = 0, readErrors_ = 0, truncated_ = 0;
};

}  // namespace umv
