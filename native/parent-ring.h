// The parent: one AF_PACKET socket with a TPACKET_V2 rx ring (region 0), made in the parent's namespace.
// Owned by the engine; used from one thread.
#pragma once
#include <linux/if_packet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "frame.h"

namespace umv {

class ParentRing {
 public:
  ParentRing() = default;
  ParentRing(const ParentRing&) = delete;
  ParentRing& operator=(const ParentRing&) = delete;
  ~ParentRing();  // unmaps the ring: only once no JavaScript view of it is left (the engine sees to that)

  /** Socket, options, ring and bind → 0 | -errno; *failedOp names the step that failed. */
  int Open(int nsfd, const std::string& parent, unsigned ringFrames, unsigned frameSize, const char** failedOp);
  /** Closes the socket (memberships go with it); the ring stays mapped. */
  void Close();

  int fd() const { return sock_; }
  int ifindex() const { return ifindex_; }
  uint8_t* base() const { return ring_; }
  size_t size() const { return ringLen_; }

  /** A frame is waiting at the head. */
  bool Ready() const;
  /** Hands out ring frames from the head into out[n..max) → the new n. Skipped and cut frames go back at once. */
  unsigned Harvest(const RxOut& out, unsigned n, unsigned max);
  /** Gives the frames handed out back to the kernel, in ring order, up to the first one a send in flight still reads
   *  (Hold()'s sequence number above `done`). */
  void Release(uint64_t done);
  /** The frame at offset `at` is read by the queued send `seq` (ParentSend::Queue): Release() keeps it until then. */
  void Hold(uint32_t at, uint64_t seq) {
    unsigned idx = static_cast<unsigned>(at / kRingBlock) * perBlock_ + static_cast<unsigned>(at % kRingBlock) / frameSize_;
    if (idx >= frameNr_) return;
    if (!hold_[idx]) heldForSend_++;
    hold_[idx] = seq;
  }
  /** Frames kept for a send in flight */
  unsigned heldForSend() const { return heldForSend_; }
  unsigned frames() const { return frameNr_; }
  /** The socket raised POLLERR: reads (and so clears) SO_ERROR into error(). */
  void TakeSocketError();
  /** PACKET_ADD/DROP_MEMBERSHIP → 0 | -errno */
  int Membership(unsigned type, bool add, double mac);
  /** Adds the kernel's PACKET_STATISTICS drops (reset on each read) to drops(). */
  void ReadKernelDrops();

  /** last socket error (-errno), 0 again once a frame arrives */
  int error() const { return err_; }
  double drops() const { return drops_; }
  /** frames the ring held cut short for another reason than size: no room for the tag put-back, shorter than a header */
  double truncated() const { return truncated_; }
  /** frames larger than a ring slot (snaplen < len): cut by the kernel, never handed out */
  double tooBig() const { return tooBig_; }
  double skipped() const { return skipped_; }

 private:
  int OpenSocket(int nsfd, const std::string& parent, const char** failedOp);
  size_t FrameOffset(unsigned idx) const {
    // Frames never straddle blocks: a block holds perBlock_ frames and its tail end is unused.
    return static_cast<size_t>(idx / perBlock_) * kRingBlock + static_cast<size_t>(idx % perBlock_) * frameSize_;
  }
  void PutTagBack(uint8_t* frame, uint32_t status, const tpacket2_hdr* h);

  int sock_ = -1;
  int ifindex_ = 0;
  uint8_t* ring_ = nullptr;
  size_t ringLen_ = 0;
  unsigned frameSize_ = 0, frameNr_ = 0, perBlock_ = 1;
  unsigned head_ = 0;  // next frame to look at
  unsigned tail_ = 0;  // first frame still held by JavaScript
  unsigned ahead_ = 0;  // slots from tail_ to head_ (0..frameNr_): frameNr_ means head_ has lapped back onto tail_
  std::vector<uint64_t> hold_;  // per frame: the queued send that reads it (0: none)
  unsigned heldForSend_ = 0;
  int err_ = 0;
  double drops_ = 0, truncated_ = 0, tooBig_ = 0, skipped_ = 0;
};

}  // namespace umv
