// parent-ring.cc - the parent's AF_PACKET socket and its TPACKET_V2 rx ring.
//
// PACKET_VNET_HDR puts the virtio-net header just before the frame in the ring and makes sendmmsg() expect one, so
// GSO frames and CHECKSUM_PARTIAL cross unchanged. PACKET_RESERVE keeps 4 bytes free before the header: the kernel
// strips 802.1Q tags into tp_vlan_tci, and we move header + MACs 4 bytes back to put the tag in again.
// PACKET_IGNORE_OUTGOING keeps our own (and the host's) transmissions out of the ring.
// Ownership: Harvest() hands frames to JavaScript; they stay its own until Release() (the next poll()) sets
// tp_status back to TP_STATUS_KERNEL — or, for a frame the sender thread still sends (Hold()), until that send is
// done. Release goes in ring order and stops at such a frame; that costs no room the kernel could use, as it fills
// the ring in order and stops at the first frame it does not own anyway.
#include "parent-ring.h"

#include <net/if.h>  // before any <linux/*.h>: glibc and uapi then agree on struct ifreq
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"
#include "netns.h"

namespace umv {

namespace {
// virtio_net_hdr (10 bytes, little-endian): <linux/virtio_net.h> itself does not compile as C++ (a field is named
// `class`), so the few values used are spelled here: flags@0, gso_type@1, hdr_len@2, csum_start@6.
constexpr uint8_t kVnetNeedsCsum = 1, kVnetGsoNone = 0;
inline uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline void SetLe16(uint8_t* p, unsigned v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
}  // namespace

ParentRing::~ParentRing() {
  Close();
  if (ring_) munmap(ring_, ringLen_);
}

void ParentRing::Close() {
  if (sock_ >= 0) close(sock_);
  sock_ = -1;
}

int ParentRing::Open(int nsfd, const std::string& parent, unsigned ringFrames, unsigned frameSize,
                     const char** failedOp) {
  frameSize_ = frameSize;
  perBlock_ = static_cast<unsigned>(kRingBlock / frameSize_);
  unsigned blocks = (ringFrames + perBlock_ - 1) / perBlock_;
  frameNr_ = blocks * perBlock_;
  hold_.assign(frameNr_, 0);
  int rc = OpenSocket(nsfd, parent, failedOp);
  if (rc < 0) return rc;
  tpacket_req req;
  req.tp_block_size = kRingBlock;
  req.tp_block_nr = blocks;
  req.tp_frame_size = frameSize_;
  req.tp_frame_nr = frameNr_;
  if (setsockopt(sock_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) { *failedOp = "PACKET_RX_RING"; return -errno; }
  size_t len = kRingBlock * blocks;
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, sock_, 0);
  if (m == MAP_FAILED) { *failedOp = "mmap ring"; return -errno; }
  ring_ = static_cast<uint8_t*>(m);
  ringLen_ = len;
  // Bound only now: until bind() with a protocol the socket receives nothing, so no frame lands before the ring.
  sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(sock_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) { *failedOp = "bind"; return -errno; }
  return 0;
}

int ParentRing::OpenSocket(int nsfd, const std::string& parent, const char** failedOp) {
  // The socket is made inside the parent's namespace; the ifindex is asked through it, so it is that namespace's.
  return InNetns(nsfd, [&]() -> int {
    auto fail = [&](const char* op) { *failedOp = op; return -errno; };
    sock_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sock_ < 0) return fail("socket(AF_PACKET)");
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, parent.c_str(), IFNAMSIZ - 1);
    if (ioctl(sock_, SIOCGIFINDEX, &ifr) < 0) return fail("SIOCGIFINDEX");
    ifindex_ = ifr.ifr_ifindex;
    int v = TPACKET_V2;
    if (setsockopt(sock_, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return fail("PACKET_VERSION");
    v = 1;
    if (setsockopt(sock_, SOL_PACKET, PACKET_VNET_HDR, &v, sizeof v) < 0) return fail("PACKET_VNET_HDR");
    v = kVlan;
    if (setsockopt(sock_, SOL_PACKET, PACKET_RESERVE, &v, sizeof v) < 0) return fail("PACKET_RESERVE");
    v = 1;
    if (setsockopt(sock_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof v) < 0) return fail("PACKET_IGNORE_OUTGOING");
    // A batch of 64 KiB GSO frames is several MB; the default sndbuf would refuse most of it with EAGAIN.
    v = 8 << 20;
    if (setsockopt(sock_, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0) setsockopt(sock_, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    return 0;
  });
}

bool ParentRing::Ready() const {
  auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + FrameOffset(head_));
  return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

void ParentRing::Release(uint64_t done) {
  // Counted, not compared: after a whole lap head_ == tail_ and every slot is still ours.
  for (; ahead_ > 0; ahead_--, tail_ = (tail_ + 1) % frameNr_) {
    if (hold_[tail_] > done) break;
    if (hold_[tail_]) { hold_[tail_] = 0; heldForSend_--; }
    auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + FrameOffset(tail_));
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }
}

void ParentRing::PutTagBack(uint8_t* f, uint32_t status, const tpacket2_hdr* h) {
  unsigned tpid = (status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
  unsigned tci = h->tp_vlan_tci;
  memmove(f - kVnet - kVlan, f - kVnet, kVnet + 2 * ETH_ALEN);  // vnet header and both MACs, 4 bytes back
  f -= kVlan;
  f[12] = tpid >> 8; f[13] = tpid & 0xff; f[14] = tci >> 8; f[15] = tci & 0xff;
  uint8_t* v = f - kVnet;
  if (v[0] & kVnetNeedsCsum) SetLe16(v + 6, Le16(v + 6) + kVlan);  // csum_start
  if (v[1] != kVnetGsoNone || Le16(v + 2)) SetLe16(v + 2, Le16(v + 2) + kVlan);  // hdr_len
}

unsigned ParentRing::Harvest(const RxOut& out, unsigned n, unsigned max) {
  while (n < max) {
    // Every slot from tail_ to head_ is ours until Release(): once head_ has gone a whole lap the next slot is tail_,
    // still held, and reading it again would hand the same frame out twice.
    if (ahead_ >= frameNr_) break;
    size_t slot = FrameOffset(head_);
    auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + slot);
    uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) break;
    unsigned idx = head_;
    head_ = (head_ + 1) % frameNr_;
    ahead_++;
    auto* sll = reinterpret_cast<sockaddr_ll*>(reinterpret_cast<uint8_t*>(h) + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
    bool skip = false;
    // PACKET_IGNORE_OUTGOING already keeps transmissions out; looped-back multicast is not a frame from the wire.
    if (sll->sll_pkttype == PACKET_OUTGOING || sll->sll_pkttype == PACKET_LOOPBACK) { skipped_++; skip = true; }
    // Larger than a slot (a BIG TCP GRO frame, say) is told apart from the other cuts: it says the slot is too small.
    else if (h->tp_snaplen < h->tp_len) { tooBig_++; skip = true; }
    else if (h->tp_mac < kVnet + kVlan || h->tp_snaplen < ETH_HLEN) { truncated_++; skip = true; }
    if (skip) {
      // Give it back at once when nothing older is held, so a ring of skipped frames never looks readable. Behind a
      // held frame it stays ours (counted in ahead_) until Release(): the kernel cannot reach it before the held
      // one anyway, as it fills slots in order and stops at the first it does not own.
      if (idx == tail_) { __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE); tail_ = head_; ahead_ = 0; }
      continue;
    }
    uint32_t mac = h->tp_mac, len = h->tp_snaplen;
    if (status & TP_STATUS_VLAN_VALID) {
      PutTagBack(ring_ + slot + mac, status, h);
      mac -= kVlan;
      len += kVlan;
    }
    err_ = 0;
    out.Put(n++, 0, kRegionRing, static_cast<uint32_t>(slot + mac), len);
  }
  return n;
}

void ParentRing::TakeSocketError() {
  // The parent went down or away (ENETDOWN): sk_err keeps POLLERR raised until read, and every later poll would
  // return at once. Reading SO_ERROR clears it; the errno stays visible as error().
  int e = 0;
  socklen_t el = sizeof e;
  if (getsockopt(sock_, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e) err_ = -e;
}

int ParentRing::Membership(unsigned type, bool add, double mac) {
  packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = ifindex_;
  mr.mr_type = static_cast<unsigned short>(type);
  if (mr.mr_type == PACKET_MR_UNICAST || mr.mr_type == PACKET_MR_MULTICAST) {
    mr.mr_alen = ETH_ALEN;
    MacToBytes(mac, mr.mr_address);
  }
  int opt = add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
  return setsockopt(sock_, SOL_PACKET, opt, &mr, sizeof mr) < 0 ? -errno : 0;
}

void ParentRing::ReadKernelDrops() {
  if (sock_ < 0) return;
  tpacket_stats st;
  socklen_t sl = sizeof st;
  if (getsockopt(sock_, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) drops_ += st.tp_drops;
}

}  // namespace umv
