// engine.cc - the engine's glue: open and close, the three memory regions, the bound arrays, TAP ports,
// memberships and statistics. poll() is in wait.cc, send() in send.cc.
//
// DOC: Theory of operation
// Memory. Every frame JavaScript sees is [virtio_net_hdr 10][Ethernet frame] inside one of three regions, each
// exposed once as an external ArrayBuffer: 0 = the parent's TPACKET_V2 rx ring (the kernel writes frames there and we
// never copy them; parent-ring.cc), 1 = the TAP read pool (slots handed to the kernel through an io_uring
// provided-buffer ring, so memory does not grow with the number of TAPs; tap-pool.cc), 2 = scratch for frames
// JavaScript builds itself.
// Ownership. poll() hands out ring frames and pool slots; they stay JavaScript's until the next poll(), which gives
// them back first (ring frames: tp_status = TP_STATUS_KERNEL; slots: back onto the buffer ring). send() only reads,
// and a frame it handed to the sender thread (parent-send.cc) is given back only once that thread has sent it.
// Statistics. Counted where they happen (no allocation, no syscall) and read on demand: stats() asks the kernel for
// the ring's drops, portStats() copies one port's counts.
#include "engine.h"

#include <net/if.h>
#include <linux/if_packet.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>

#include "common.h"

namespace umv {

void Engine::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Engine", {
    InstanceMethod<&Engine::Open>("open"),
    InstanceMethod<&Engine::FailedOp>("failedOp"),
    InstanceMethod<&Engine::Memory>("memory"),
    InstanceMethod<&Engine::BindRx>("bindRx"),
    InstanceMethod<&Engine::BindTx>("bindTx"),
    InstanceMethod<&Engine::BindGather>("bindGather"),
    InstanceMethod<&Engine::Poll>("poll"),
    InstanceMethod<&Engine::Send>("send"),
    InstanceMethod<&Engine::AttachTap>("attachTap"),
    InstanceMethod<&Engine::DetachTap>("detachTap"),
    InstanceMethod<&Engine::PortError>("portError"),
    InstanceMethod<&Engine::PortStats>("portStats"),
    InstanceMethod<&Engine::Membership>("membership"),
    InstanceMethod<&Engine::Stats>("stats"),
    InstanceMethod<&Engine::Ifindex>("ifindex"),
    InstanceMethod<&Engine::Close>("close"),
  });
  exports.Set("Engine", f);
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {}

Engine::~Engine() {
  CloseAll();
  // Mappings outlive close(): JavaScript may still hold views; each external ArrayBuffer keeps this object alive.
  // The ring and the pool are unmapped by their owners' destructors.
  if (scratch_) munmap(scratch_, scratchLen_);
}

void Engine::CloseAll() {
  psend_.Stop();  // first: the thread sends on the parent socket, from the ring and the pool
  taps_.Close();  // closing an io_uring cancels its reads
  tx_.reset();
  parent_.Close();  // memberships (promisc, unicast filters) go with the socket
  open_ = false;
}

// open(parent, nsfd, batch, ringFrames, frameSize, tapBuffers, scratchBytes, busyPollUs, spinUs, sendThreadBytes)
// → 0 | -errno
Napi::Value Engine::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (open_ || parent_.base() || scratch_) return Num(env, Fail("open", -EBUSY));
  std::string parent = ArgString(info, 0);
  int nsfd = ArgInt(info, 1, -1);
  batch_ = static_cast<unsigned>(ArgInt(info, 2, 64));
  unsigned ringFrames = static_cast<unsigned>(ArgInt(info, 3, 256));
  unsigned frameSize = static_cast<unsigned>(ArgInt(info, 4, 65536 + 4096));
  unsigned tapBuffers = static_cast<unsigned>(ArgInt(info, 5, 256));
  size_t scratchLen = static_cast<size_t>(ArgInt(info, 6, 1 << 20));
  busyPollUs_ = static_cast<unsigned>(ArgInt(info, 7, 0));
  int spinUs = ArgInt(info, 8, 0);
  if (spinUs < 0 || spinUs > 1000000) return Num(env, Fail("spinUs", -EINVAL));
  spinNs_ = static_cast<uint64_t>(spinUs) * 1000;
  sendThreadBytes_ = ArgInt(info, 9, -1);
  if (parent.empty() || parent.size() >= IFNAMSIZ) return Num(env, Fail("parent name", -EINVAL));
  if (frameSize < 2048 || frameSize % TPACKET_ALIGNMENT || frameSize > kRingBlock) return Num(env, Fail("frameSize", -EINVAL));
  if (tapBuffers < 2 * batch_ || tapBuffers > 32768 || (tapBuffers & (tapBuffers - 1))) return Num(env, Fail("tapBuffers", -EINVAL));

  int rc = parent_.Open(nsfd, parent, ringFrames, frameSize, &failedOp_);
  if (rc < 0) { CloseAll(); return Num(env, rc); }
  scratch_ = static_cast<uint8_t*>(MapAnon(scratchLen));
  if (!scratch_) { CloseAll(); return Num(env, Fail("mmap pool", -ENOMEM)); }
  scratchLen_ = scratchLen;
  rc = taps_.Open(tapBuffers, frameSize, &failedOp_);
  if (rc < 0) { CloseAll(); return Num(env, rc); }
  tx_.reset(new Uring());
  rc = tx_->Init(1024, 2048);
  if (rc < 0) { CloseAll(); return Num(env, Fail("io_uring_setup", rc)); }
  if (sendThreadBytes_ >= 0) {
    // Room for every ring frame and pool slot: a queued frame holds one of them until it is sent.
    unsigned cap = 1;
    while (cap < parent_.frames() + tapBuffers) cap <<= 1;
    rc = psend_.Start(parent_.fd(), cap);
    if (rc < 0) { CloseAll(); return Num(env, Fail("pthread_create", rc)); }
    senderSeq_.assign(1u << 16, 0);
    senderBytes_.assign(1u << 16, 0);
    senders_.reserve(1u << 16);
  }
  open_ = true;
  return Num(env, 0);
}

Napi::Value Engine::FailedOp(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), failedOp_); }

uint8_t* Engine::RegionBase(unsigned r, size_t* size) {
  switch (r) {
    case kRegionRing: *size = parent_.size(); return parent_.base();
    case kRegionPool: *size = taps_.size(); return taps_.base();
    case kRegionScratch: *size = scratchLen_; return scratch_;
    default: *size = 0; return nullptr;
  }
}

// memory(region) → ArrayBuffer over the region, no copy. Each buffer holds a reference on this engine, so the
// mapping outlives every view of it.
Napi::Value Engine::Memory(const Napi::CallbackInfo& info) {
  size_t size;
  uint8_t* base = RegionBase(static_cast<unsigned>(ArgInt(info, 0, -1)), &size);
  if (!base) return Num(info.Env(), -EINVAL);
  Ref();
  return Napi::ArrayBuffer::New(info.Env(), base, size, [](Napi::Env, void*, Engine* e) { e->Unref(); }, this);
}

bool Engine::BindView(View& v, Napi::Value val, size_t elemSize) {
  if (!val.IsTypedArray()) return false;
  Napi::TypedArray ta = val.As<Napi::TypedArray>();
  if (ta.ElementSize() != elemSize) return false;
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  v.data = static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset();
  v.length = ta.ElementLength();
  v.ref = Napi::Persistent(val.As<Napi::Object>());
  return true;
}

size_t Engine::RxCapacity() const {
  return std::min(std::min(rxPort_.length, rxRegion_.length), std::min(rxAt_.length, rxLen_.length));
}

size_t Engine::TxCapacity() const {
  return std::min(std::min(txPort_.length, txRegion_.length), std::min(std::min(txAt_.length, txLen_.length), txResult_.length));
}

// bindRx(port Int16Array, region Uint8Array, at Uint32Array, len Uint32Array) → capacity | -EINVAL
Napi::Value Engine::BindRx(const Napi::CallbackInfo& info) {
  if (!BindView(rxPort_, info[0], 2) || !BindView(rxRegion_, info[1], 1) || !BindView(rxAt_, info[2], 4) ||
      !BindView(rxLen_, info[3], 4))
    return Num(info.Env(), -EINVAL);
  rxOut_.port = static_cast<int16_t*>(rxPort_.data);
  rxOut_.region = static_cast<uint8_t*>(rxRegion_.data);
  rxOut_.at = static_cast<uint32_t*>(rxAt_.data);
  rxOut_.len = static_cast<uint32_t*>(rxLen_.data);
  return Num(info.Env(), static_cast<double>(RxCapacity()));
}

// bindTx(port, region, at, len, result Int32Array[, tag Int16Array, lateTag Int16Array, lateLen Uint32Array,
// lateErr Int32Array, lateCount Uint32Array[1]]) → capacity | -EINVAL. With the late arrays, each poll() writes there
// the sends to the parent that failed after send() returned (the sender thread's): the tag send() was given for the
// frame, its length and -errno, and their number in lateCount[0].
Napi::Value Engine::BindTx(const Napi::CallbackInfo& info) {
  if (!BindView(txPort_, info[0], 2) || !BindView(txRegion_, info[1], 1) || !BindView(txAt_, info[2], 4) ||
      !BindView(txLen_, info[3], 4) || !BindView(txResult_, info[4], 4))
    return Num(info.Env(), -EINVAL);
  txTag_ = View(); lateTag_ = View(); lateLen_ = View(); lateErr_ = View(); lateCount_ = View();
  gCount_ = View(); gFirst_ = View(); gRegion_ = View(); gAt_ = View(); gLen_ = View();
  if (info.Length() > 5) {
    if (!BindView(txTag_, info[5], 2) || !BindView(lateTag_, info[6], 2) || !BindView(lateLen_, info[7], 4) ||
        !BindView(lateErr_, info[8], 4) || !BindView(lateCount_, info[9], 4) || lateCount_.length < 1 ||
        txTag_.length < TxCapacity()) {
      txTag_ = View(); lateTag_ = View(); lateLen_ = View(); lateErr_ = View(); lateCount_ = View();
      return Num(info.Env(), -EINVAL);
    }
  }
  return Num(info.Env(), static_cast<double>(TxCapacity()));
}

// bindGather(count Uint16Array, first Uint32Array, region Uint8Array, at Uint32Array, len Uint32Array) → piece
// capacity | -EINVAL. After bindTx (which forgets them): count/first per transmit-list entry, the others per piece.
// send() then writes a TAP entry with count n (1..kGatherSkip-1) as one writev of pieces first..first+n-1, and does
// not write one with kGatherSkip.
Napi::Value Engine::BindGather(const Napi::CallbackInfo& info) {
  gCount_ = View(); gFirst_ = View(); gRegion_ = View(); gAt_ = View(); gLen_ = View();
  if (!txPort_.data || !BindView(gCount_, info[0], 2) || !BindView(gFirst_, info[1], 4) || !BindView(gRegion_, info[2], 1) ||
      !BindView(gAt_, info[3], 4) || !BindView(gLen_, info[4], 4) || gCount_.length < TxCapacity() ||
      gFirst_.length < TxCapacity() || gAt_.length != gRegion_.length || gLen_.length != gRegion_.length) {
    gCount_ = View(); gFirst_ = View(); gRegion_ = View(); gAt_ = View(); gLen_ = View();
    return Num(info.Env(), -EINVAL);
  }
  gIovs_.resize(gRegion_.length);
  return Num(info.Env(), static_cast<double>(gRegion_.length));
}

// attachTap(port, fd) → 0 | -errno. The fd stays the caller's; reading starts at the next poll().
Napi::Value Engine::AttachTap(const Napi::CallbackInfo& info) {
  if (!open_) return Num(info.Env(), -EBADF);
  return Num(info.Env(), taps_.Attach(ArgInt(info, 0, -1), ArgInt(info, 1, -1)));
}

// detachTap(port) → 0 | -errno. Cancels the port's read at once, so the caller may close the fd afterwards.
Napi::Value Engine::DetachTap(const Napi::CallbackInfo& info) {
  if (!open_) return Num(info.Env(), -EBADF);
  return Num(info.Env(), taps_.Detach(ArgInt(info, 0, -1)));
}

// portError(port) → 0, or the -errno that stopped reading this TAP (EBADFD: deleted from outside); port 0: the last
// error the parent socket reported (ENETDOWN: the parent went down or was deleted), 0 once frames arrive again
Napi::Value Engine::PortError(const Napi::CallbackInfo& info) {
  int p = ArgInt(info, 0, -1);
  if (p == 0) return Num(info.Env(), parent_.error());
  TapPool::Port* pt = taps_.Find(p);
  return Num(info.Env(), pt ? pt->err : -ENOENT);
}

// portStats(port, out Float64Array[4]) → 0 | -ENOENT | -EINVAL: readErrors, writeErrors, the read error (-errno, as
// portError), the last write error (-errno). Port 0, the parent: frames the ring held cut short, frames sendmmsg()
// refused (inline or on the sender thread).
Napi::Value Engine::PortStats(const Napi::CallbackInfo& info) {
  int p = ArgInt(info, 0, -1);
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    return Num(info.Env(), -EINVAL);
  Napi::Float64Array out = info[1].As<Napi::Float64Array>();
  if (out.ElementLength() < 4) return Num(info.Env(), -EINVAL);
  double* o = out.Data();
  if (p == 0) {
    o[0] = parent_.truncated() + parent_.tooBig(); o[1] = psend_.writeErrors(); o[2] = parent_.error(); o[3] = psend_.lastWriteError();
    return Num(info.Env(), 0);
  }
  TapPool::Port* pt = taps_.Find(p);
  if (!pt) return Num(info.Env(), -ENOENT);
  o[0] = pt->readErrors; o[1] = pt->writeErrors; o[2] = pt->err; o[3] = pt->lastWriteErr;
  return Num(info.Env(), 0);
}

// membership(type PACKET_MR_*, add, mac) → 0 | -errno
Napi::Value Engine::Membership(const Napi::CallbackInfo& info) {
  if (!open_) return Num(info.Env(), -EBADF);
  return Num(info.Env(), parent_.Membership(static_cast<unsigned>(ArgInt(info, 0, -1)), ArgBool(info, 1), ArgDouble(info, 2, 0)));
}

// stats(out Float64Array[7]): ringDrops, rxErrors, rxTruncated, poolEmpty, skipped, ringTruncated, ringTooBig
Napi::Value Engine::Stats(const Napi::CallbackInfo& info) {
  if (open_) parent_.ReadKernelDrops();  // PACKET_STATISTICS resets on read: the ring accumulates
  if (info.Length() > 0 && info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array out = info[0].As<Napi::Float64Array>();
    double ringCut = parent_.truncated() + parent_.tooBig();
    double v[7] = {parent_.drops(), ringCut + taps_.readErrors(), ringCut + taps_.truncated(),
                   taps_.poolEmpty(), parent_.skipped(), parent_.truncated(), parent_.tooBig()};
    for (size_t i = 0; i < 7 && i < out.ElementLength(); i++) out[i] = v[i];
  }
  return Num(info.Env(), 0);
}

Napi::Value Engine::Ifindex(const Napi::CallbackInfo& info) { return Num(info.Env(), parent_.ifindex()); }

Napi::Value Engine::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  return Num(info.Env(), 0);
}

}  // namespace umv
