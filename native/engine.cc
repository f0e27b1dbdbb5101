// engine.cc - the parent's AF_PACKET ring and the TAPs' io_uring, behind poll() and send().
//
// DOC: Theory of operation
// Memory. Every frame JavaScript sees is [virtio_net_hdr 10][Ethernet frame] inside one of three regions, each
// exposed once as an external ArrayBuffer: 0 = the parent's TPACKET_V2 rx ring (the kernel writes frames there and we
// never copy them), 1 = the TAP read pool (slots handed to the kernel through an io_uring provided-buffer ring, so
// memory does not grow with the number of TAPs), 2 = scratch for frames JavaScript builds itself.
// Ownership. poll() hands out ring frames and pool slots; they stay JavaScript's until the next poll(), which gives
// them back first (ring frames: tp_status = TP_STATUS_KERNEL; slots: back onto the buffer ring). send() only reads.
// Parent. PACKET_VNET_HDR puts the virtio-net header just before the frame in the ring and makes sendmmsg() expect
// one, so GSO frames and CHECKSUM_PARTIAL cross unchanged. PACKET_RESERVE keeps 4 bytes free before the header: the
// kernel strips 802.1Q tags into tp_vlan_tci, and we move header + MACs 4 bytes back to put the tag in again.
// PACKET_IGNORE_OUTGOING keeps our own (and the host's) transmissions out of the ring.
// TAPs. One multishot read per TAP (IORING_OP_READ_MULTISHOT): the kernel keeps reading while frames are queued and
// posts one completion per frame; it ends on error or when the pool is empty, and we re-arm on the next poll().
// Writes to TAPs go through a second ring, all of a send() in one io_uring_enter().
// Waiting. poll() sleeps in io_uring_enter() on the rx ring, where a one-shot POLL_ADD on the parent socket (armed
// only before sleeping, so a busy ring costs no completions) and the TAP reads wake it. The rx ring defers its task
// work (DEFER_TASKRUN): completions appear only when we enter, so every poll() enters once (Flush) before harvesting.
#include "engine.h"

#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common.h"
#include "netns.h"

namespace umv {

namespace {
// virtio_net_hdr (10 bytes, little-endian): <linux/virtio_net.h> itself does not compile as C++ (a field is named
// `class`), so the few values used are spelled here: flags@0, gso_type@1, hdr_len@2, csum_start@6.
constexpr unsigned kVnet = 10;
constexpr uint8_t kVnetNeedsCsum = 1, kVnetGsoNone = 0;
constexpr unsigned kVlan = 4;
constexpr unsigned kRegionRing = 0, kRegionPool = 1, kRegionScratch = 2;
constexpr uint64_t kRead = 1, kPoll = 2, kCancel = 3, kWrite = 4;
constexpr unsigned kBufGroup = 0;
constexpr size_t kBlock = kRingBlock;

inline uint64_t Tag(uint64_t kind, uint64_t gen, uint64_t port) { return (kind << 56) | (gen << 32) | port; }
inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
inline uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline void SetLe16(uint8_t* p, unsigned v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
void* MapAnon(size_t len) {
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}
}  // namespace

void Engine::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Engine", {
    InstanceMethod<&Engine::Open>("open"),
    InstanceMethod<&Engine::FailedOp>("failedOp"),
    InstanceMethod<&Engine::Memory>("memory"),
    InstanceMethod<&Engine::BindRx>("bindRx"),
    InstanceMethod<&Engine::BindTx>("bindTx"),
    InstanceMethod<&Engine::Poll>("poll"),
    InstanceMethod<&Engine::Send>("send"),
    InstanceMethod<&Engine::AttachTap>("attachTap"),
    InstanceMethod<&Engine::DetachTap>("detachTap"),
    InstanceMethod<&Engine::PortError>("portError"),
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
  if (ring_) munmap(ring_, ringLen_);
  if (pool_) munmap(pool_, poolLen_);
  if (bufRing_) munmap(bufRing_, bufRingLen_);
  if (scratch_) munmap(scratch_, scratchLen_);
}

void Engine::CloseAll() {
  rx_.reset();  // closing an io_uring cancels its reads
  tx_.reset();
  if (sock_ >= 0) close(sock_);  // memberships (promisc, unicast filters) go with the socket
  sock_ = -1;
  open_ = false;
}

// open(parent, nsfd, batch, ringFrames, frameSize, tapBuffers, scratchBytes, busyPollUs) → 0 | -errno
Napi::Value Engine::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (open_ || ring_) return Num(env, Fail("open", -EBUSY));
  std::string parent = ArgString(info, 0);
  int nsfd = ArgInt(info, 1, -1);
  batch_ = static_cast<unsigned>(ArgInt(info, 2, 64));
  unsigned ringFrames = static_cast<unsigned>(ArgInt(info, 3, 256));
  frameSize_ = static_cast<unsigned>(ArgInt(info, 4, 65536 + 4096));
  unsigned tapBuffers = static_cast<unsigned>(ArgInt(info, 5, 256));
  scratchLen_ = static_cast<size_t>(ArgInt(info, 6, 1 << 20));
  busyPollUs_ = static_cast<unsigned>(ArgInt(info, 7, 0));
  if (parent.empty() || parent.size() >= IFNAMSIZ) return Num(env, Fail("parent name", -EINVAL));
  if (frameSize_ < 2048 || frameSize_ % TPACKET_ALIGNMENT || frameSize_ > kBlock) return Num(env, Fail("frameSize", -EINVAL));
  if (tapBuffers < 2 * batch_ || tapBuffers > 32768 || (tapBuffers & (tapBuffers - 1))) return Num(env, Fail("tapBuffers", -EINVAL));
  perBlock_ = static_cast<unsigned>(kBlock / frameSize_);
  unsigned perBlock = perBlock_;
  unsigned blocks = (ringFrames + perBlock - 1) / perBlock;
  frameNr_ = blocks * perBlock;

  int rc = OpenParent(nsfd, parent);
  if (rc < 0) { CloseAll(); return Num(env, rc); }
  tpacket_req req;
  req.tp_block_size = kBlock;
  req.tp_block_nr = blocks;
  req.tp_frame_size = frameSize_;
  req.tp_frame_nr = frameNr_;
  if (setsockopt(sock_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
    CloseAll();
    return Num(env, Fail("PACKET_RX_RING", -errno));
  }
  ringLen_ = kBlock * blocks;
  void* m = mmap(nullptr, ringLen_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, sock_, 0);
  if (m == MAP_FAILED) { int e = errno; CloseAll(); return Num(env, Fail("mmap ring", -e)); }
  ring_ = static_cast<uint8_t*>(m);
  // Bound only now: until bind() with a protocol the socket receives nothing, so no frame lands before the ring.
  sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(sock_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    int e = errno; CloseAll(); return Num(env, Fail("bind", -e));
  }

  bufCount_ = tapBuffers;
  poolLen_ = static_cast<size_t>(bufCount_) * frameSize_;
  pool_ = static_cast<uint8_t*>(MapAnon(poolLen_));
  scratch_ = static_cast<uint8_t*>(MapAnon(scratchLen_));
  bufRingLen_ = (bufCount_ * sizeof(io_uring_buf) + 4095) & ~static_cast<size_t>(4095);
  bufRing_ = static_cast<io_uring_buf_ring*>(MapAnon(bufRingLen_));
  if (!pool_ || !scratch_ || !bufRing_) { CloseAll(); return Num(env, Fail("mmap pool", -ENOMEM)); }
  rc = OpenTapRing();
  if (rc < 0) { CloseAll(); return Num(env, rc); }
  heldBufs_.reserve(bufCount_);
  open_ = true;
  return Num(env, 0);
}

int Engine::OpenParent(int nsfd, const std::string& parent) {
  // The socket is made inside the parent's namespace; the ifindex is asked through it, so it is that namespace's.
  return InNetns(nsfd, [&]() -> int {
    sock_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sock_ < 0) return Fail("socket(AF_PACKET)", -errno);
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, parent.c_str(), IFNAMSIZ - 1);
    if (ioctl(sock_, SIOCGIFINDEX, &ifr) < 0) return Fail("SIOCGIFINDEX", -errno);
    ifindex_ = ifr.ifr_ifindex;
    int v = TPACKET_V2;
    if (setsockopt(sock_, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return Fail("PACKET_VERSION", -errno);
    v = 1;
    if (setsockopt(sock_, SOL_PACKET, PACKET_VNET_HDR, &v, sizeof v) < 0) return Fail("PACKET_VNET_HDR", -errno);
    v = kVlan;
    if (setsockopt(sock_, SOL_PACKET, PACKET_RESERVE, &v, sizeof v) < 0) return Fail("PACKET_RESERVE", -errno);
    v = 1;
    if (setsockopt(sock_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof v) < 0)
      return Fail("PACKET_IGNORE_OUTGOING", -errno);
    // A batch of 64 KiB GSO frames is several MB; the default sndbuf would refuse most of it with EAGAIN.
    v = 8 << 20;
    if (setsockopt(sock_, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0) setsockopt(sock_, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    return 0;
  });
}

int Engine::OpenTapRing() {
  rx_.reset(new Uring());
  tx_.reset(new Uring());
  // Every pool slot can be a pending completion, plus polls and cancels: the CQ never overflows in practice.
  // SINGLE_ISSUER + DEFER_TASKRUN: TAP read completions are produced when poll() enters the kernel, in one batch,
  // instead of interrupting the JavaScript thread per wake-up (measured: +30-45 % TAP->parent frames/s). The engine
  // is used by the thread that opened it, which is what SINGLE_ISSUER asks.
  int rc = rx_->Init(256, bufCount_ * 2 + 1024, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
  if (rc < 0) return Fail("io_uring_setup", rc);
  rc = tx_->Init(1024, 2048);
  if (rc < 0) return Fail("io_uring_setup", rc);
  for (unsigned i = 0; i < bufCount_; i++) RecycleBuf(i);
  rc = rx_->RegisterBufRing(bufRing_, bufCount_, kBufGroup);
  if (rc < 0) return Fail("IORING_REGISTER_PBUF_RING", rc);
  PublishBufs();
  return 0;
}

void Engine::RecycleBuf(unsigned bid) {
  // Indexed as a plain array: in C++ the uapi header's flexible `bufs` member lands 8 bytes late (an empty struct
  // has size 1 there), which would write past the ring.
  io_uring_buf* b = reinterpret_cast<io_uring_buf*>(bufRing_) + (bufTail_ & (bufCount_ - 1));
  b->addr = reinterpret_cast<uint64_t>(pool_ + static_cast<size_t>(bid) * frameSize_);
  b->len = frameSize_;
  b->bid = static_cast<uint16_t>(bid);
  bufTail_++;
}

Napi::Value Engine::FailedOp(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), failedOp_); }

uint8_t* Engine::RegionBase(unsigned r, size_t* size) {
  switch (r) {
    case kRegionRing: *size = ringLen_; return ring_;
    case kRegionPool: *size = poolLen_; return pool_;
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

// bindRx(port Int16Array, region Uint8Array, at Uint32Array, len Uint32Array) → capacity | -EINVAL
Napi::Value Engine::BindRx(const Napi::CallbackInfo& info) {
  if (!BindView(rxPort_, info[0], 2) || !BindView(rxRegion_, info[1], 1) || !BindView(rxAt_, info[2], 4) ||
      !BindView(rxLen_, info[3], 4))
    return Num(info.Env(), -EINVAL);
  size_t cap = std::min(std::min(rxPort_.length, rxRegion_.length), std::min(rxAt_.length, rxLen_.length));
  return Num(info.Env(), static_cast<double>(cap));
}

// bindTx(port, region, at, len, result Int32Array) → capacity | -EINVAL
Napi::Value Engine::BindTx(const Napi::CallbackInfo& info) {
  if (!BindView(txPort_, info[0], 2) || !BindView(txRegion_, info[1], 1) || !BindView(txAt_, info[2], 4) ||
      !BindView(txLen_, info[3], 4) || !BindView(txResult_, info[4], 4))
    return Num(info.Env(), -EINVAL);
  size_t cap = std::min(std::min(txPort_.length, txRegion_.length),
                        std::min(std::min(txAt_.length, txLen_.length), txResult_.length));
  return Num(info.Env(), static_cast<double>(cap));
}

void Engine::Release() {
  for (; ringTail_ != ringHead_; ringTail_ = (ringTail_ + 1) % frameNr_) {
    auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + FrameOffset(ringTail_));
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }
  if (!heldBufs_.empty()) {
    for (uint16_t bid : heldBufs_) RecycleBuf(bid);
    heldBufs_.clear();
    PublishBufs();
  }
}

void Engine::Rearm() {
  for (size_t p = 1; p < ports_.size(); p++) {
    Port& pt = ports_[p];
    if (pt.fd < 0 || pt.armed || pt.err) continue;
    io_uring_sqe* sqe = rx_->GetSqe();
    if (!sqe) { rx_->Enter(0, -1); sqe = rx_->GetSqe(); if (!sqe) return; }
    sqe->opcode = IORING_OP_READ_MULTISHOT_VALUE;
    sqe->fd = pt.fd;
    sqe->off = ~0ull;  // a stream: no file position
    sqe->flags = IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufGroup;
    sqe->user_data = Tag(kRead, pt.gen, p);
    pt.armed = true;
  }
}

bool Engine::Ready() {
  auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + FrameOffset(ringHead_));
  return (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) || rx_->CqReady();
}

unsigned Engine::HarvestRing(unsigned n, unsigned max) {
  auto* outPort = static_cast<int16_t*>(rxPort_.data);
  auto* outRegion = static_cast<uint8_t*>(rxRegion_.data);
  auto* outAt = static_cast<uint32_t*>(rxAt_.data);
  auto* outLen = static_cast<uint32_t*>(rxLen_.data);
  while (n < max) {
    size_t slot = FrameOffset(ringHead_);
    auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + slot);
    uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) break;
    unsigned idx = ringHead_;
    ringHead_ = (ringHead_ + 1) % frameNr_;
    auto* sll = reinterpret_cast<sockaddr_ll*>(reinterpret_cast<uint8_t*>(h) + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
    bool skip = false;
    // PACKET_IGNORE_OUTGOING already keeps transmissions out; looped-back multicast is not a frame from the wire.
    if (sll->sll_pkttype == PACKET_OUTGOING || sll->sll_pkttype == PACKET_LOOPBACK) { skipped_++; skip = true; }
    else if (h->tp_snaplen < h->tp_len || h->tp_mac < kVnet + kVlan || h->tp_snaplen < ETH_HLEN) {
      rxTruncated_++; rxErrors_++; skip = true;
    }
    if (skip) {
      // Give it back at once when nothing older is held, so a ring of skipped frames never looks readable.
      if (idx == ringTail_) { __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE); ringTail_ = ringHead_; }
      continue;
    }
    uint32_t mac = h->tp_mac, len = h->tp_snaplen;
    if (status & TP_STATUS_VLAN_VALID) {
      uint8_t* f = ring_ + slot + mac;
      unsigned tpid = (status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
      unsigned tci = h->tp_vlan_tci;
      memmove(f - kVnet - kVlan, f - kVnet, kVnet + 2 * ETH_ALEN);  // vnet header and both MACs, 4 bytes back
      f -= kVlan;
      f[12] = tpid >> 8; f[13] = tpid & 0xff; f[14] = tci >> 8; f[15] = tci & 0xff;
      uint8_t* v = f - kVnet;
      if (v[0] & kVnetNeedsCsum) SetLe16(v + 6, Le16(v + 6) + kVlan);  // csum_start
      if (v[1] != kVnetGsoNone || Le16(v + 2)) SetLe16(v + 2, Le16(v + 2) + kVlan);  // hdr_len
      mac -= kVlan;
      len += kVlan;
    }
    parentErr_ = 0;
    outPort[n] = 0;
    outRegion[n] = kRegionRing;
    outAt[n] = static_cast<uint32_t>(slot + mac);
    outLen[n] = len;
    n++;
  }
  return n;
}

unsigned Engine::HarvestTaps(unsigned n, unsigned max) {
  auto* outPort = static_cast<int16_t*>(rxPort_.data);
  auto* outRegion = static_cast<uint8_t*>(rxRegion_.data);
  auto* outAt = static_cast<uint32_t*>(rxAt_.data);
  auto* outLen = static_cast<uint32_t*>(rxLen_.data);
  bool recycled = false;
  io_uring_cqe* cqe;
  while (n < max && (cqe = rx_->PeekCqe()) != nullptr) {
    uint64_t ud = cqe->user_data;
    int res = cqe->res;
    unsigned fl = cqe->flags;
    rx_->SeenCqe();
    uint64_t kind = ud >> 56;
    if (kind == kPoll) {
      pollArmed_ = false;
      // The parent went down or away (ENETDOWN): sk_err keeps POLLERR raised until read, and every later poll would
      // return at once. Reading SO_ERROR clears it; the errno stays visible as portError(0).
      if (res > 0 && (res & POLLERR)) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(sock_, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err) parentErr_ = -err;
      }
      continue;
    }
    if (kind != kRead) continue;
    size_t p = ud & 0xffffffffu;
    uint16_t gen = static_cast<uint16_t>(ud >> 32);
    Port* pt = (p < ports_.size() && ports_[p].fd >= 0 && ports_[p].gen == gen) ? &ports_[p] : nullptr;
    bool hasBuf = fl & IORING_CQE_F_BUFFER;
    unsigned bid = fl >> IORING_CQE_BUFFER_SHIFT;
    if (pt && !(fl & IORING_CQE_F_MORE)) pt->armed = false;  // the multishot read ended: re-armed next poll
    if (res < 0) {
      if (hasBuf) { RecycleBuf(bid); recycled = true; }
      if (!pt) continue;
      if (res == -ENOBUFS) poolEmpty_++;
      else if (res != -EAGAIN && res != -EINTR && res != -ECANCELED) { pt->err = res; rxErrors_++; }  // e.g. EBADFD: TAP deleted
      continue;
    }
    if (!hasBuf) continue;
    if (!pt || res < static_cast<int>(kVnet + ETH_HLEN) || static_cast<unsigned>(res) >= frameSize_) {
      if (pt) { rxErrors_++; if (static_cast<unsigned>(res) >= frameSize_) rxTruncated_++; }
      RecycleBuf(bid);
      recycled = true;
      continue;
    }
    heldBufs_.push_back(static_cast<uint16_t>(bid));
    outPort[n] = static_cast<int16_t>(p);
    outRegion[n] = kRegionPool;
    outAt[n] = static_cast<uint32_t>(static_cast<size_t>(bid) * frameSize_ + kVnet);
    outLen[n] = static_cast<uint32_t>(res) - kVnet;
    n++;
  }
  if (recycled) PublishBufs();
  return n;
}

unsigned Engine::Harvest(unsigned max) {
  // Alternate who goes first so neither the wire nor the children can starve the other.
  tapsFirst_ = !tapsFirst_;
  unsigned n = 0;
  if (tapsFirst_) { n = HarvestTaps(0, max / 2 > 0 ? max / 2 : max); n = HarvestRing(n, max); n = HarvestTaps(n, max); }
  else { n = HarvestRing(0, max); n = HarvestTaps(n, max); }
  return n;
}

// poll(max, timeoutMs) → frames written into the bound rx arrays | -errno
Napi::Value Engine::Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_) return Num(env, -EBADF);
  if (!rxPort_.data) return Num(env, -EINVAL);
  unsigned max = static_cast<unsigned>(ArgInt(info, 0, 0));
  double timeoutMs = ArgDouble(info, 1, 0);
  size_t cap = std::min(std::min(rxPort_.length, rxRegion_.length), std::min(rxAt_.length, rxLen_.length));
  if (max > cap) max = static_cast<unsigned>(cap);
  Release();
  Rearm();
  rx_->Flush();  // submits re-arms and runs deferred TAP completions: one syscall per poll
  unsigned n = Harvest(max);
  if (n == 0 && timeoutMs != 0) {
    // A multishot read that ended in this harvest (pool empty, say) must be armed again before we sleep, or its TAP
    // would wait for the timeout; the slots given back above are there for it now.
    Rearm();
    if (rx_->Pending()) rx_->Enter(0, -1);
    if (busyPollUs_) {
      uint64_t end = NowNs() + static_cast<uint64_t>(busyPollUs_) * 1000;
      while (NowNs() < end) {
        rx_->Flush();  // TAP completions are deferred until we enter the kernel (DEFER_TASKRUN)
        if (Ready() && (n = Harvest(max)) > 0) break;
      }
    }
    if (n == 0) {
      if (!pollArmed_) {
        io_uring_sqe* sqe = rx_->GetSqe();
        if (sqe) {
          sqe->opcode = IORING_OP_POLL_ADD;
          sqe->fd = sock_;
          sqe->poll32_events = POLLIN;
          sqe->user_data = Tag(kPoll, 0, 0);
          pollArmed_ = true;
        }
      }
      long long ns = timeoutMs < 0 ? -1 : static_cast<long long>(timeoutMs * 1e6);
      int rc = rx_->Enter(1, ns);
      if (rc < 0 && rc != -ETIME && rc != -EINTR) return Num(env, rc);
      n = Harvest(max);
    }
  } else if (rx_->Pending()) {
    rx_->Enter(0, -1);
  }
  return Num(env, n);
}

// send(count) → frames sent; tx.result[j] = bytes of frame j (>= 0) or -errno
Napi::Value Engine::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_) return Num(env, -EBADF);
  if (!txPort_.data) return Num(env, -EINVAL);
  size_t cap = std::min(std::min(txPort_.length, txRegion_.length),
                        std::min(std::min(txAt_.length, txLen_.length), txResult_.length));
  size_t count = static_cast<size_t>(ArgInt(info, 0, 0));
  if (count > cap) count = cap;
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
      tx_->SeenCqe();
      // A completion left over from an earlier send() (one whose wait failed) belongs to nobody now.
      if (static_cast<uint16_t>(ud >> 32) != sendGen_) continue;
      uint64_t j = ud & 0xffffffffu;
      result[j] = cqe->res < 0 ? cqe->res : cqe->res - static_cast<int>(kVnet);
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
    if (p < 0 || static_cast<size_t>(p) >= ports_.size() || ports_[p].fd < 0) { result[j] = -ENXIO; continue; }
    io_uring_sqe* sqe = tx_->GetSqe();
    if (!sqe) {  // submission queue full: push what we have and collect its results
      tx_->Enter(0, -1);
      reap(true);
      sqe = tx_->GetSqe();
      if (!sqe) { result[j] = -EAGAIN; continue; }
    }
    sqe->opcode = IORING_OP_WRITE;
    sqe->fd = ports_[p].fd;
    sqe->addr = reinterpret_cast<uint64_t>(frame);
    sqe->len = len[j] + kVnet;
    sqe->off = ~0ull;
    sqe->user_data = Tag(kWrite, sendGen_, j);
    result[j] = -ETIME;  // stays if the kernel never answers this write
    inflight++;
  }
  if (tx_->Pending()) tx_->Enter(0, -1);  // TAP writes complete inline, while we go on with the parent
  for (size_t k = 0; k < nmsg;) {
    int r = sendmmsg(sock_, &msgs_[k], static_cast<unsigned>(nmsg - k), MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      result[msgIdx_[k]] = -errno;  // this frame failed; the rest still go
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

// attachTap(port, fd) → 0 | -errno. The fd stays the caller's; reading starts at the next poll().
Napi::Value Engine::AttachTap(const Napi::CallbackInfo& info) {
  int p = ArgInt(info, 0, -1), fd = ArgInt(info, 1, -1);
  if (!open_) return Num(info.Env(), -EBADF);
  if (p < 1 || p > 32767 || fd < 0) return Num(info.Env(), -EINVAL);
  if (static_cast<size_t>(p) >= ports_.size()) ports_.resize(static_cast<size_t>(p) + 1);
  if (ports_[p].fd >= 0) return Num(info.Env(), -EBUSY);
  ports_[p].fd = fd;
  ports_[p].armed = false;
  ports_[p].err = 0;
  return Num(info.Env(), 0);
}

// detachTap(port) → 0 | -errno. Cancels the port's read at once, so the caller may close the fd afterwards.
Napi::Value Engine::DetachTap(const Napi::CallbackInfo& info) {
  int p = ArgInt(info, 0, -1);
  if (!open_) return Num(info.Env(), -EBADF);
  if (p < 1 || static_cast<size_t>(p) >= ports_.size() || ports_[p].fd < 0) return Num(info.Env(), -ENOENT);
  Port& pt = ports_[p];
  if (pt.armed) {
    io_uring_sqe* sqe = rx_->GetSqe();
    if (!sqe) { rx_->Enter(0, -1); sqe = rx_->GetSqe(); }
    if (sqe) {
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->addr = Tag(kRead, pt.gen, static_cast<uint64_t>(p));
      sqe->user_data = Tag(kCancel, 0, static_cast<uint64_t>(p));
    }
    // Flush, not just submit: with deferred task work the cancelled read lets go of the TAP's file only when its
    // completion runs, and the caller may close the fd (removing the TAP) right after this returns.
    rx_->Flush();
  }
  pt.fd = -1;
  pt.armed = false;
  pt.err = 0;
  pt.gen++;
  return Num(info.Env(), 0);
}

// portError(port) → 0, or the -errno that stopped reading this TAP (EBADFD: deleted from outside); port 0: the last
// error the parent socket reported (ENETDOWN: the parent went down or was deleted), 0 once frames arrive again
Napi::Value Engine::PortError(const Napi::CallbackInfo& info) {
  int p = ArgInt(info, 0, -1);
  if (p == 0) return Num(info.Env(), parentErr_);
  if (p < 1 || static_cast<size_t>(p) >= ports_.size() || ports_[p].fd < 0) return Num(info.Env(), -ENOENT);
  return Num(info.Env(), ports_[p].err);
}

// membership(type PACKET_MR_*, add, mac) → 0 | -errno
Napi::Value Engine::Membership(const Napi::CallbackInfo& info) {
  if (!open_) return Num(info.Env(), -EBADF);
  packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = ifindex_;
  mr.mr_type = static_cast<unsigned short>(ArgInt(info, 0, -1));
  bool add = ArgBool(info, 1);
  if (mr.mr_type == PACKET_MR_UNICAST || mr.mr_type == PACKET_MR_MULTICAST) {
    mr.mr_alen = ETH_ALEN;
    MacToBytes(ArgDouble(info, 2, 0), mr.mr_address);
  }
  int opt = add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
  return Num(info.Env(), setsockopt(sock_, SOL_PACKET, opt, &mr, sizeof mr) < 0 ? -errno : 0);
}

// stats(out Float64Array[5]): ringDrops, rxErrors, rxTruncated, poolEmpty, skipped
Napi::Value Engine::Stats(const Napi::CallbackInfo& info) {
  if (open_) {
    tpacket_stats st;
    socklen_t sl = sizeof st;
    // PACKET_STATISTICS resets on read: accumulate.
    if (getsockopt(sock_, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) ringDrops_ += st.tp_drops;
  }
  if (info.Length() > 0 && info[0].IsTypedArray()) {
    Napi::Float64Array out = info[0].As<Napi::Float64Array>();
    double v[5] = {ringDrops_, rxErrors_, rxTruncated_, poolEmpty_, skipped_};
    for (size_t i = 0; i < 5 && i < out.ElementLength(); i++) out[i] = v[i];
  }
  return Num(info.Env(), 0);
}

Napi::Value Engine::Ifindex(const Napi::CallbackInfo& info) { return Num(info.Env(), ifindex_); }

Napi::Value Engine::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  ports_.clear();
  return Num(info.Env(), 0);
}

}  // namespace umv
