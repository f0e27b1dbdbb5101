// send.cc - send(): the bound transmit list out, frames to the parent through one sendmmsg() loop, frames to TAPs
// as io_uring writes on the tx ring, all submitted in one io_uring_enter() and reaped before returning. Only reads
// the frames; a failed frame is counted on its port (portStats) and the rest still go.
#include <cstring>

#include "common.h"
#include "engine.h"

namespace umv {

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
    io_uring_sqe* sqe = tx_->GetSqe();
    if (!sqe) {  // submission queue full: push what we have and collect its results
      tx_->Enter(0, -1);
      reap(true);
      sqe = tx_->GetSqe();
      if (!sqe) { result[j] = -EAGAIN; continue; }
    }
    sqe->opcode = IORING_OP_WRITE;
    sqe->fd = pt->fd;
    sqe->addr = reinterpret_cast<uint64_t>(frame);
    sqe->len = len[j] + kVnet;
    sqe->off = ~0ull;
    sqe->user_data = Tag(kWrite, sendGen_, j);
    result[j] = -ETIME;  // stays if the kernel never answers this write
    inflight++;
  }
  if (tx_->Pending()) tx_->Enter(0, -1);  // TAP writes complete inline, while we go on with the parent
  for (size_t k = 0; k < nmsg;) {
    int r = sendmmsg(parent_.fd(), &msgs_[k], static_cast<unsigned>(nmsg - k), MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      result[msgIdx_[k]] = -errno;  // this frame failed; the rest still go
      parent_.CountWriteError(-errno);
      k++;
      continue;
    }
    for (int i = 0; i < r; i++) result[msgIdx_[k + i]] = static_cast<int32_t>(msgs_[k + i].msg_len) - static_cast<int>(kVnet);
    k += static_cast<size_t>(r);
  }
  reap(true);
  double sent = 0;
  for (size_t j = 0; j < count; j++) if (result[j] >= 0) sent++;
  return Num(env, sent);
}

}  // namespace umv
