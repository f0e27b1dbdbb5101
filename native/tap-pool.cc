// tap-pool.cc - TAP reads: one multishot read per TAP (IORING_OP_READ_MULTISHOT) into slots of a shared pool.
//
// The kernel keeps reading while frames are queued and posts one completion per frame, each naming the slot it
// filled; the read ends on error or when the pool is empty, and Rearm() (the next poll()) starts it again. So memory
// does not grow with the number of TAPs. Harvest() hands slots to JavaScript; Release() (the next poll()) puts them
// back onto the buffer ring, or, when the sender thread still sends from a slot (Hold()), a later Release() does.
#include "tap-pool.h"

#include <linux/if_ether.h>
#include <poll.h>
#include <sys/mman.h>

#include <cerrno>

namespace umv {

namespace {
constexpr unsigned kBufGroup = 0;
}

TapPool::~TapPool() {
  Close();
  if (pool_) munmap(pool_, poolLen_);
  if (bufRing_) munmap(bufRing_, bufRingLen_);
}

int TapPool::Open(unsigned buffers, unsigned slotSize, const char** failedOp) {
  bufCount_ = buffers;
  slotSize_ = slotSize;
  poolLen_ = static_cast<size_t>(bufCount_) * slotSize_;
  pool_ = static_cast<uint8_t*>(MapAnon(poolLen_));
  bufRingLen_ = (bufCount_ * sizeof(io_uring_buf) + 4095) & ~static_cast<size_t>(4095);
  bufRing_ = static_cast<io_uring_buf_ring*>(MapAnon(bufRingLen_));
  if (!pool_ || !bufRing_) { *failedOp = "mmap pool"; return -ENOMEM; }
  rx_.reset(new Uring());
  // Every pool slot can be a pending completion, plus polls and cancels: the CQ never overflows in practice.
  // SINGLE_ISSUER + DEFER_TASKRUN: TAP read completions are produced when poll() enters the kernel, in one batch,
  // instead of interrupting the JavaScript thread per wake-up (measured: +30-45 % TAP->parent frames/s). The engine
  // is used by the thread that opened it, which is what SINGLE_ISSUER asks. TASKRUN_FLAG: the kernel also raises a
  // flag in the shared ring when such work is waiting, so poll() looks at memory instead of entering to find out.
  int rc = rx_->Init(256, bufCount_ * 2 + 1024,
                     IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
  if (rc < 0) { *failedOp = "io_uring_setup"; return rc; }
  for (unsigned i = 0; i < bufCount_; i++) RecycleBuf(i);
  rc = rx_->RegisterBufRing(bufRing_, bufCount_, kBufGroup);
  if (rc < 0) { *failedOp = "IORING_REGISTER_PBUF_RING"; return rc; }
  PublishBufs();
  held_.reserve(bufCount_);
  deferred_.reserve(bufCount_);
  slotSeq_.assign(bufCount_, 0);
  nodes_.resize(bufCount_);
  for (unsigned i = 0; i < bufCount_; i++) nodes_[i].next = i + 1 < bufCount_ ? static_cast<int>(i + 1) : -1;
  freeNode_ = 0;
  active_.reserve(64);
  cap_ = bufCount_ / 2 > 0 ? bufCount_ / 2 : 1;
  return 0;
}

void TapPool::RecycleBuf(unsigned bid) {
  // Indexed as a plain array: in C++ the uapi header's flexible `bufs` member lands 8 bytes late (an empty struct
  // has size 1 there), which would write past the ring.
  io_uring_buf* b = reinterpret_cast<io_uring_buf*>(bufRing_) + (bufTail_ & (bufCount_ - 1));
  b->addr = reinterpret_cast<uint64_t>(pool_ + static_cast<size_t>(bid) * slotSize_);
  b->len = slotSize_;
  b->bid = static_cast<uint16_t>(bid);
  bufTail_++;
}

void TapPool::Release(uint64_t done) {
  if (held_.empty() && deferred_.empty()) return;
  bool any = false;
  size_t k = 0;
  for (uint16_t bid : deferred_) {
    if (slotSeq_[bid] > done) { deferred_[k++] = bid; continue; }
    slotSeq_[bid] = 0;
    RecycleBuf(bid);
    any = true;
  }
  deferred_.resize(k);
  for (uint16_t bid : held_) {
    if (slotSeq_[bid] > done) { deferred_.push_back(bid); continue; }  // never grows: a slot is held once
    slotSeq_[bid] = 0;
    RecycleBuf(bid);
    any = true;
  }
  held_.clear();
  if (any) PublishBufs();
}

int TapPool::Attach(int p, int fd) {
  if (p < 1 || p > 32767 || fd < 0) return -EINVAL;
  if (static_cast<size_t>(p) >= ports_.size()) ports_.resize(static_cast<size_t>(p) + 1);
  Port& pt = ports_[p];
  if (pt.fd >= 0) return -EBUSY;
  uint16_t gen = pt.gen;
  pt = Port();  // a new attachment starts with no errors
  pt.gen = gen;
  pt.fd = fd;
  return 0;
}

void TapPool::Cancel(int p, const Port& pt) {
  io_uring_sqe* sqe = rx_->GetSqe();
  if (!sqe) { rx_->Enter(0, -1); sqe = rx_->GetSqe(); }
  if (!sqe) return;
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->addr = Tag(kRead, pt.gen, static_cast<uint64_t>(p));
  sqe->user_data = Tag(kCancel, 0, static_cast<uint64_t>(p));
}

int TapPool::Detach(int p) {
  Port* pt = Find(p);
  if (!pt) return -ENOENT;
  DropStaged(p);
  if (pt->armed) {
    Cancel(p, *pt);
    // Flush, not just submit: with deferred task work the cancelled read lets go of the TAP's file only when its
    // completion runs, and the caller may close the fd (removing the TAP) right after this returns.
    rx_->Flush();
  }
  pt->fd = -1;
  pt->armed = false;
  pt->gen++;
  return 0;
}

void TapPool::Rearm() {
  for (size_t p = 1; p < ports_.size(); p++) {
    Port& pt = ports_[p];
    if (pt.fd < 0 || pt.armed || pt.err || pt.staged >= cap_) continue;
    pt.capped = false;
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

void TapPool::ArmPoll(int fd) {
  if (pollArmed_) return;
  io_uring_sqe* sqe = rx_->GetSqe();
  if (!sqe) return;
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = fd;
  sqe->poll32_events = POLLIN;
  sqe->user_data = Tag(kPoll, 0, 0);
  pollArmed_ = true;
}

void TapPool::ReadFailed(Port* pt, int res, bool hasBuf, unsigned bid) {
  if (hasBuf) { RecycleBuf(bid); recycled_ = true; }
  if (!pt) return;
  if (res == -ENOBUFS) { poolEmpty_++; return; }
  if (res == -EAGAIN || res == -EINTR || res == -ECANCELED) return;
  pt->err = res;  // for good, e.g. EBADFD: the TAP was deleted; Rearm() leaves it alone from now on
  pt->readErrors++;
  readErrors_++;
}

unsigned TapPool::Harvest(const RxOut& out, unsigned n, unsigned max) {
  recycled_ = false;
  io_uring_cqe* cqe;
  // Every completion is taken, whatever max: the turns below are fair only among what has been read.
  while ((cqe = rx_->PeekCqe()) != nullptr) {
    uint64_t ud = cqe->user_data;
    int res = cqe->res;
    unsigned fl = cqe->flags;
    rx_->SeenCqe();
    if (TagKind(ud) == kPoll) {
      pollArmed_ = false;
      if (res > 0 && (res & POLLERR)) pollErr_ = true;
      continue;
    }
    if (TagKind(ud) != kRead) continue;
    uint32_t p = TagIdx(ud);
    Port* pt = Find(static_cast<int>(p));
    if (pt && pt->gen != TagGen(ud)) pt = nullptr;  // a completion of an earlier attachment
    bool hasBuf = fl & IORING_CQE_F_BUFFER;
    unsigned bid = fl >> IORING_CQE_BUFFER_SHIFT;
    if (pt && !(fl & IORING_CQE_F_MORE)) pt->armed = false;  // the multishot read ended: re-armed next poll
    if (res < 0) { ReadFailed(pt, res, hasBuf, bid); continue; }
    if (!hasBuf) continue;
    if (!pt || res < static_cast<int>(kVnet + ETH_HLEN) || static_cast<unsigned>(res) >= slotSize_) {
      if (pt) {
        pt->readErrors++;
        readErrors_++;
        if (static_cast<unsigned>(res) >= slotSize_) truncated_++;
      }
      RecycleBuf(bid);
      recycled_ = true;
      continue;
    }
    Stage(static_cast<int>(p), pt, bid, static_cast<uint32_t>(res) - kVnet);
  }
  if (recycled_) PublishBufs();
  return HandOut(out, n, max);
}

void TapPool::Stage(int p, Port* pt, unsigned bid, unsigned len) {
  int i = freeNode_;  // never -1: a staged frame holds a pool slot, and there are as many nodes as slots
  freeNode_ = nodes_[i].next;
  nodes_[i] = Node{static_cast<uint16_t>(bid), len, -1};
  if (pt->tail >= 0) nodes_[pt->tail].next = i; else pt->head = i;
  pt->tail = i;
  pt->staged++;
  stagedTotal_++;
  if (!pt->active) { pt->active = true; active_.push_back(p); }
  // A port that reads faster than its turns come stops taking slots from the others: its multishot read is
  // cancelled (its frames wait in the TAP's own queue) and re-armed once it holds fewer than cap_.
  if (pt->staged >= cap_ && pt->armed && !pt->capped) { pt->capped = true; Cancel(p, *pt); }
}

unsigned TapPool::HandOut(const RxOut& out, unsigned n, unsigned max) {
  while (n < max && !active_.empty()) {
    if (turn_ >= active_.size()) turn_ = 0;
    int p = active_[turn_];
    Port& pt = ports_[p];
    int i = pt.head;
    const Node& nd = nodes_[i];
    pt.head = nd.next;
    if (pt.head < 0) pt.tail = -1;
    held_.push_back(nd.bid);
    out.Put(n++, static_cast<int16_t>(p), kRegionPool, static_cast<uint32_t>(static_cast<size_t>(nd.bid) * slotSize_ + kVnet), nd.len);
    nodes_[i].next = freeNode_;
    freeNode_ = i;
    pt.staged--;
    stagedTotal_--;
    if (pt.staged == 0) {
      pt.active = false;
      active_.erase(active_.begin() + static_cast<long>(turn_));  // the next port takes this turn's place
    } else {
      turn_++;
    }
  }
  return n;
}

void TapPool::DropStaged(int p) {
  Port& pt = ports_[p];
  for (int i = pt.head; i >= 0;) {
    int next = nodes_[i].next;
    RecycleBuf(nodes_[i].bid);
    nodes_[i].next = freeNode_;
    freeNode_ = i;
    i = next;
  }
  if (pt.staged) PublishBufs();
  stagedTotal_ -= pt.staged;
  pt.head = pt.tail = -1;
  pt.staged = 0;
  if (pt.active) {
    for (size_t k = 0; k < active_.size(); k++) {
      if (active_[k] == p) { active_.erase(active_.begin() + static_cast<long>(k)); break; }
    }
    pt.active = false;
  }
}

}  // namespace umv
