// The datapath's I/O engine, as JavaScript sees it: the parent ring (parent-ring.h), the TAP read pool
// (tap-pool.h), a scratch region, and the arrays poll() fills and send() reads. Owned by one thread (the datapath
// worker), beside which the engine runs its sender thread (parent-send.h). engine.cc binds memory and ports, wait.cc
// is poll() (how to wait), send.cc is send().
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>
#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "frame.h"
#include "parent-ring.h"
#include "parent-send.h"
#include "tap-pool.h"
#include "uring.h"

namespace umv {

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override;

 private:
  struct View {  // a JS typed array bound once; the pointer stays valid while the reference holds it
    Napi::ObjectReference ref;
    void* data = nullptr;
    size_t length = 0;
  };

  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value FailedOp(const Napi::CallbackInfo& info);
  Napi::Value Memory(const Napi::CallbackInfo& info);
  Napi::Value BindRx(const Napi::CallbackInfo& info);
  Napi::Value BindTx(const Napi::CallbackInfo& info);
  Napi::Value BindGather(const Napi::CallbackInfo& info);
  Napi::Value Poll(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value AttachTap(const Napi::CallbackInfo& info);
  Napi::Value DetachTap(const Napi::CallbackInfo& info);
  Napi::Value PortError(const Napi::CallbackInfo& info);
  Napi::Value PortStats(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Ifindex(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  int Fail(const char* op, int negErrno) { failedOp_ = op; return negErrno; }
  void CloseAll();
  unsigned Harvest(unsigned max);  // wait.cc
  void FlushIfNeeded();             // wait.cc
  unsigned Spin(unsigned max, uint64_t untilNs, bool yielding);  // wait.cc
  bool Ready() { return parent_.Ready() || taps_.rx().CqReady() || taps_.staged() > 0; }  // without entering
  void ReleaseSent() { uint64_t d = psend_.Done(); parent_.Release(d); taps_.Release(d); }  // wait.cc's
  void ReportLate();  // wait.cc
  bool Gather(size_t j, unsigned n);  // send.cc
  size_t SendParent(size_t nmsg, const uint8_t* region, const uint32_t* at, const uint32_t* len, int32_t* result);  // send.cc
  static bool BindView(View& v, Napi::Value val, size_t elemSize);
  uint8_t* RegionBase(unsigned r, size_t* size);
  size_t RxCapacity() const;
  size_t TxCapacity() const;

  const char* failedOp_ = "";
  bool open_ = false;
  unsigned batch_ = 0;
  unsigned busyPollUs_ = 0;  // fixed spin after every empty look (--busy-poll-us); 0: adaptive (spinNs_)
  uint64_t spinNs_ = 0;      // adaptive spin: keep looking this long after the last frame before sleeping
  uint64_t lastFrameNs_ = 0;
  bool tapsFirst_ = false;
  uint16_t sendGen_ = 0;  // tags TAP write completions with the send() they belong to
  int sendThreadBytes_ = -1;  // a send() with this many bytes for the parent hands them to the thread; < 0: no thread

  ParentRing parent_;  // region 0
  TapPool taps_;       // region 1
  std::unique_ptr<Uring> tx_;  // TAP writes, all of a send() in one io_uring_enter()
  ParentSend psend_;          // sends to the parent, and the thread that makes them
  // Per sender (a send()'s tag, as uint16): the last sequence number handed to the thread, and its bytes in the
  // send() being made (zero between sends); the senders of that send(). Sized at open(): send.cc's SendParent.
  std::vector<uint64_t> senderSeq_;
  std::vector<size_t> senderBytes_;
  std::vector<uint16_t> senders_;
  uint8_t* scratch_ = nullptr;  // region 2: frames JavaScript builds itself
  size_t scratchLen_ = 0;

  View rxPort_, rxRegion_, rxAt_, rxLen_;
  RxOut rxOut_;
  View txPort_, txRegion_, txAt_, txLen_, txResult_;
  View txTag_, lateTag_, lateLen_, lateErr_, lateCount_;  // optional: queued sends that failed, reported at poll()
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<uint32_t> msgIdx_;
  // optional gather writes to TAPs (send.cc): per entry a piece count and first piece, per piece its memory
  View gCount_, gFirst_, gRegion_, gAt_, gLen_;
  std::vector<iovec> gIovs_;  // one per piece, so every write's iovecs stay put until send() reaps it
};

}  // namespace umv
