// send.cc - send(): the bound transmit list out, frames to TAPs as io_uring writes on the tx ring, all submitted in
// one io_uring_enter() and reaped before returning; frames to the parent through sendmmsg(), inline or handed to the
// sender thread (parent-send.cc). Only reads the frames; a failed frame is counted on its port (portStats) and the
// rest still go. A TAP entry with gather pieces (bindGather) is one IORING_OP_WRITEV of those pieces: which pieces
// make a frame is JavaScript's choice (datapath/gro.ts), this only points iovecs at them.
//
// DOC: Inline or on the sender thread
// The thread pays when a send is expensive: large (GSO) frames, whose segmentation, checksums and receiving stack
// then run on another core. A small frame costs less to send than to hand over and wake a thread for, and a sparse
// one (a ping) would wait for that wake. The choice is made per sender (the tag send() was given for each frame: the
// child that sent it): a sender's frames of one send() go to the thread when they carry at least `sendThreadBytes`
// bytes, or when the thread still has frames of that sender from an earlier send() (then they must follow those, or
// one flow's frames would be reordered); otherwise they go inline. Per sender, because the thread's queue is one line:
// a child flooding the wire fills it with thousands of frames, and a sibling's ping queued behind them would wait
// milliseconds; order between different children's frames is not a thing the kernel keeps either. A handed-over
// frame's result is its length; if its send fails later, the failure is counted on the parent (portStats) and
// reported at the next poll() with its tag (bindTx's late arrays), for the caller to count as it counts
// result[j] < 0.
#include <cstring>

#include "common.h"
#include "engine.h"

namespace umv {

/** UIO_MAXIOV: the most iovecs one writev takes */
constexpr unsigned kMaxIov = 1024;

// send(count) → frames sent; tx.result[j] = bytes of frame j (>= 0) or -errno
Napi::Value Engine::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_) return Num(env, -EBADF);
  if (!txPort_.data) return Num(env, -EINVAL);
  size_t count = static_cast<size_t>(ArgInt(info, 0, 0));
  if (count > TxCapacity()) count = TxCapacity();
  auto* port = static_cast<int16_t*>(txPort_.data);
  auto* region = static_cast<uint8_t*>(txRegion_.data);
  auto* at = static_cast<uint32_t*>(txAt_.data);
  auto* len = static_cast<uint32_t*>(txLen_.data);
  auto* result = static_cast<int32_t*>(txResult_.data);
  if (msgs_.size() < count) { msgs_.resize(count); iovs_.resize(count); msgIdx_.resize(count); }
  size_t nmsg = 0;
  unsigned inflight = 0;
  const uint16_t* gCount = static_cast<const uint16_t*>(gCount_.data);
  sendGen_++;
  auto reap = [&](bool wait) {
    while (inflight) {
      io_uring_cqe* cqe = tx_->PeekCqe();
      if (!cqe) {
        if (!wait) return;
        int rc = tx_->Enter(1, -1);
        if (rc < 0 && rc != -EINTR && rc != -ETIME) return;
        continue;
      }
      uint64_t ud = cqe->user_data;
      int res = cqe->res;
      tx_->SeenCqe();
      // A completion left over from an earlier send() (one whose wait failed) belongs to nobody now.
      if (TagGen(ud) != sendGen_) continue;
      uint32_t j = TagIdx(ud);
      result[j] = res < 0 ? res : res - static_cast<int>(kVnet);
      if (res < 0) {
        TapPool::Port* pt = taps_.Find(port[j]);
        if (pt) { pt->writeErrors++; pt->lastWriteErr = res; }
      }
      inflight--;
    }
  };
  for (size_t j = 0; j < count; j++) {
    size_t size;
    uint8_t* base = RegionBase(region[j], &size);
    if (!base || at[j] < kVnet || static_cast<size_t>(at[j]) + len[j] > size) { result[j] = -EFAULT; continue; }
    uint8_t* frame = base + at[j] - kVnet;
    int p = port[j];
    if (p == 0) {
      iovs_[nmsg].iov_base = frame;
      iovs_[nmsg].iov_len = len[j] + kVnet;
      memset(&msgs_[nmsg], 0, sizeof(mmsghdr));
      msgs_[nmsg].msg_hdr.msg_iov = &iovs_[nmsg];
      msgs_[nmsg].msg_hdr.msg_iovlen = 1;
      msgIdx_[nmsg++] = static_cast<uint32_t>(j);
      continue;
    }
    TapPool::Port* pt = taps_.Find(p);
    if (!pt) { result[j] = -ENXIO; continue; }
    unsigned pieces = gCount ? gCount[j] : 0;
    if (pieces == kGatherSkip) { result[j] = 0; continue; }
    if (pieces && !Gather(j, pieces)) { result[j] = -EFAULT; continue; }
    io_uring_sqe* sqe = tx_->GetSqe();
    if (!sqe) {  // submission queue full: push what we have and collect its results
      tx_->Enter(0, -1);
      reap(true);
      sqe = tx_->GetSqe();
      if (!sqe) { result[j] = -EAGAIN; continue; }
    }
    sqe->fd = pt->fd;
    if (pieces) {
      sqe->opcode = IORING_OP_WRITEV;
      sqe->addr = reinterpret_cast<uint64_t>(&gIovs_[static_cast<const uint32_t*>(gFirst_.data)[j]]);
      sqe->len = pieces;
    } else {
      sqe->opcode = IORING_OP_WRITE;
      sqe->addr = reinterpret_cast<uint64_t>(frame);
      sqe->len = len[j] + kVnet;
    }
    sqe->off = ~0ull;
    sqe->user_data = Tag(kWrite, sendGen_, j);
    result[j] = -ETIME;  // stays if the kernel never answers this write
    inflight++;
  }
  // Handed to the thread first, so it sends while the TAP writes below run here.
  size_t inlineParent = nmsg > 0 ? SendParent(nmsg, region, at, len, result) : 0;
  if (tx_->Pending()) tx_->Enter(0, -1);  // TAP writes complete inline, while we go on with the parent
  if (inlineParent) psend_.SendInline(parent_.fd(), msgs_.data(), msgIdx_.data(), static_cast<unsigned>(inlineParent), result, kVnet);
  reap(true);
  double sent = 0;
  for (size_t j = 0; j < count; j++) if (result[j] >= 0) sent++;
  return Num(env, sent);
}

// Points the iovecs of pieces first[j]..first[j]+n-1 at their memory → false when one lies outside its region or
// the pieces outside the bound arrays (the write would be the caller's mistake, not the kernel's).
bool Engine::Gather(size_t j, unsigned n) {
  size_t first = static_cast<const uint32_t*>(gFirst_.data)[j];
  if (n > kMaxIov || first > gIovs_.size() || n > gIovs_.size() - first) return false;
  auto* region = static_cast<const uint8_t*>(gRegion_.data);
  auto* at = static_cast<const uint32_t*>(gAt_.data);
  auto* len = static_cast<const uint32_t*>(gLen_.data);
  for (size_t k = first; k < first + n; k++) {
    size_t size;
    uint8_t* base = RegionBase(region[k], &size);
    if (!base || static_cast<size_t>(at[k]) + len[k] > size) return false;
    gIovs_[k].iov_base = base + at[k];
    gIovs_[k].iov_len = len[k];
  }
  return true;
}

// Hands the frames of this send() for the parent that go to the thread (DOC above) to it → how many are left to send
// inline, moved to the front of msgs_ in their order.
size_t Engine::SendParent(size_t nmsg, const uint8_t* region, const uint32_t* at, const uint32_t* len, int32_t* result) {
  if (!psend_.running()) return nmsg;
  auto* tag = static_cast<int16_t*>(txTag_.data);
  auto sender = [tag](uint32_t j) -> uint16_t { return tag ? static_cast<uint16_t>(tag[j]) : 0; };
  bool scratch = false;
  senders_.clear();  // within its reserved capacity: no allocation
  for (size_t i = 0; i < nmsg; i++) {
    uint32_t j = msgIdx_[i];
    if (region[j] == kRegionScratch) scratch = true;
    uint16_t s = sender(j);
    if (senderBytes_[s] == 0) senders_.push_back(s);
    senderBytes_[s] += iovs_[i].iov_len;
  }
  if (scratch) {
    // Scratch is reused as soon as send() returns, so its frames are never handed over; sent inline, they wait for
    // what the thread still has, to keep the order.
    for (uint16_t s : senders_) senderBytes_[s] = 0;
    psend_.WaitDone(psend_.queued());
    return nmsg;
  }
  uint64_t done = psend_.Done();
  size_t kept = 0;
  bool queued = false;
  for (size_t i = 0; i < nmsg; i++) {
    uint32_t j = msgIdx_[i];
    uint16_t s = sender(j);
    if (senderSeq_[s] <= done && senderBytes_[s] < static_cast<size_t>(sendThreadBytes_)) {
      if (kept != i) {
        iovs_[kept] = iovs_[i];
        msgs_[kept] = msgs_[i];
        msgs_[kept].msg_hdr.msg_iov = &iovs_[kept];
        msgIdx_[kept] = j;
      }
      kept++;
      continue;
    }
    uint64_t seq = psend_.Queue(static_cast<uint8_t*>(iovs_[i].iov_base), static_cast<uint32_t>(iovs_[i].iov_len), tag ? tag[j] : 0);
    senderSeq_[s] = seq;
    if (region[j] == kRegionRing) parent_.Hold(at[j], seq); else taps_.Hold(at[j], seq);
    result[j] = static_cast<int32_t>(len[j]);
    queued = true;
  }
  for (uint16_t s : senders_) senderBytes_[s] = 0;
  if (queued) psend_.Kick();
  return kept;
}

}  // namespace umv
