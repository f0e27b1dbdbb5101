// The datapath's I/O engine: one AF_PACKET TPACKET_V2 ring on the parent, io_uring reads and writes on the TAPs.
// Owned by one thread (the datapath worker). See engine.cc for the theory of operation.
#pragma once
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "uring.h"

namespace umv {

/** Ring block size: a power of two the page allocator serves without waste. */
constexpr size_t kRingBlock = 1u << 20;

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override;

 private:
  struct Port {
    int fd = -1;
    uint16_t gen = 0;    // bumped on detach: completions of an older attachment are recognised and dropped
    bool armed = false;  // a multishot read is in flight
    int err = 0;         // last fatal read error (-errno); the port is no longer read
  };
  struct View {          // a JS typed array bound once; the pointer stays valid while the reference holds it
    Napi::ObjectReference ref;
    void* data = nullptr;
    size_t length = 0;
  };

  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value FailedOp(const Napi::CallbackInfo& info);
  Napi::Value Memory(const Napi::CallbackInfo& info);
  Napi::Value BindRx(const Napi::CallbackInfo& info);
  Napi::Value BindTx(const Napi::CallbackInfo& info);
  Napi::Value Poll(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value AttachTap(const Napi::CallbackInfo& info);
  Napi::Value DetachTap(const Napi::CallbackInfo& info);
  Napi::Value PortError(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Ifindex(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  int Fail(const char* op, int negErrno) { failedOp_ = op; return negErrno; }
  int OpenParent(int nsfd, const std::string& parent);
  int OpenTapRing();
  void CloseAll();
  void Release();
  void Rearm();
  unsigned Harvest(unsigned max);
  unsigned HarvestRing(unsigned n, unsigned max);
  unsigned HarvestTaps(unsigned n, unsigned max);
  bool Ready();
  void RecycleBuf(unsigned bid);
  // The tail overlays entry 0's `resv` field (offset 14), see struct io_uring_buf_ring.
  void PublishBufs() { __atomic_store_n(&reinterpret_cast<io_uring_buf*>(bufRing_)->resv, bufTail_, __ATOMIC_RELEASE); }
  static bool BindView(View& v, Napi::Value val, size_t elemSize);
  uint8_t* RegionBase(unsigned r, size_t* size);

  const char* failedOp_ = "";
  bool open_ = false;
  int ifindex_ = 0;
  unsigned batch_ = 0;
  unsigned busyPollUs_ = 0;
  bool tapsFirst_ = false;
  uint16_t sendGen_ = 0;  // tags TAP write completions with the send() they belong to

  // parent: socket and its mmap'd rx ring (region 0)
  int sock_ = -1;
  uint8_t* ring_ = nullptr;
  size_t ringLen_ = 0;
  unsigned frameSize_ = 0, frameNr_ = 0, perBlock_ = 1;
  // Frames never straddle blocks: a block holds perBlock_ frames and its tail end is unused.
  size_t FrameOffset(unsigned idx) const {
    return static_cast<size_t>(idx / perBlock_) * kRingBlock + static_cast<size_t>(idx % perBlock_) * frameSize_;
  }
  unsigned ringHead_ = 0;   // next frame to look at
  unsigned ringTail_ = 0;   // first frame still held by JavaScript
  bool pollArmed_ = false;
  int parentErr_ = 0;       // last socket error of the parent (-errno), cleared by the next frame

  // TAPs: read pool (region 1) handed to the kernel through a provided-buffer ring; rx and tx io_urings
  std::unique_ptr<Uring> rx_, tx_;
  uint8_t* pool_ = nullptr;
  size_t poolLen_ = 0;
  unsigned bufCount_ = 0;
  io_uring_buf_ring* bufRing_ = nullptr;
  size_t bufRingLen_ = 0;
  uint16_t bufTail_ = 0;
  std::vector<uint16_t> heldBufs_;
  std::vector<Port> ports_;

  // scratch (region 2): frames JavaScript builds itself
  uint8_t* scratch_ = nullptr;
  size_t scratchLen_ = 0;

  View rxPort_, rxRegion_, rxAt_, rxLen_;
  View txPort_, txRegion_, txAt_, txLen_, txResult_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<uint32_t> msgIdx_;

  // counters (stats())
  double ringDrops_ = 0, rxErrors_ = 0, rxTruncated_ = 0, poolEmpty_ = 0, skipped_ = 0;
};

}  // namespace umv
