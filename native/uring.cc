// uring.cc - io_uring set-up, submission and completion through raw syscalls.
#include "uring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace umv {

static int SysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}
static int SysEnter(int fd, unsigned toSubmit, unsigned minComplete, unsigned flags, const void* arg, size_t argsz) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, toSubmit, minComplete, flags, arg, argsz));
}
static int SysRegister(int fd, unsigned op, const void* arg, unsigned nr) {
  return static_cast<int>(syscall(__NR_io_uring_register, fd, op, arg, nr));
}

Uring::~Uring() {
  if (sqes_) munmap(sqes_, sqesLen_);
  if (cqMap_ && cqMap_ != sqMap_) munmap(cqMap_, cqMapLen_);
  if (sqMap_) munmap(sqMap_, sqMapLen_);
  if (fd_ >= 0) close(fd_);
}

int Uring::Init(unsigned sqEntries, unsigned cqEntries, unsigned extraFlags) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | extraFlags;
  p.cq_entries = cqEntries;
  int fd = SysSetup(sqEntries, &p);
  if (fd < 0) return -errno;
  fd_ = fd;
  // EXT_ARG (timeout on enter) is what lets one syscall both submit and wait with a deadline.
  if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_SINGLE_MMAP)) return -EOPNOTSUPP;
  sqMapLen_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cqLen = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (cqLen > sqMapLen_) sqMapLen_ = cqLen;
  void* m = mmap(nullptr, sqMapLen_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (m == MAP_FAILED) { sqMap_ = nullptr; return -errno; }
  sqMap_ = cqMap_ = m;
  cqMapLen_ = sqMapLen_;
  sqesLen_ = p.sq_entries * sizeof(io_uring_sqe);
  void* s = mmap(nullptr, sqesLen_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (s == MAP_FAILED) return -errno;
  sqes_ = static_cast<io_uring_sqe*>(s);
  char* base = static_cast<char*>(m);
  sqHead_ = reinterpret_cast<unsigned*>(base + p.sq_off.head);
  sqTail_ = reinterpret_cast<unsigned*>(base + p.sq_off.tail);
  sqArray_ = reinterpret_cast<unsigned*>(base + p.sq_off.array);
  if (extraFlags & IORING_SETUP_TASKRUN_FLAG) sqFlags_ = reinterpret_cast<unsigned*>(base + p.sq_off.flags);
  sqMask_ = *reinterpret_cast<unsigned*>(base + p.sq_off.ring_mask);
  sqEntries_ = p.sq_entries;
  cqHead_ = reinterpret_cast<unsigned*>(base + p.cq_off.head);
  cqTail_ = reinterpret_cast<unsigned*>(base + p.cq_off.tail);
  cqMask_ = *reinterpret_cast<unsigned*>(base + p.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(base + p.cq_off.cqes);
  sqTailLocal_ = sqHeadSubmitted_ = *sqTail_;
  return 0;
}

io_uring_sqe* Uring::GetSqe() {
  unsigned head = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  if (sqTailLocal_ - head >= sqEntries_) return nullptr;
  unsigned idx = sqTailLocal_ & sqMask_;
  io_uring_sqe* sqe = &sqes_[idx];
  memset(sqe, 0, sizeof *sqe);
  sqArray_[idx] = idx;
  sqTailLocal_++;
  return sqe;
}

int Uring::Enter(unsigned minComplete, long long timeoutNs) {
  unsigned toSubmit = sqTailLocal_ - sqHeadSubmitted_;
  __atomic_store_n(sqTail_, sqTailLocal_, __ATOMIC_RELEASE);
  unsigned flags = minComplete ? IORING_ENTER_GETEVENTS : 0;
  io_uring_getevents_arg arg;
  __kernel_timespec ts;
  const void* argp = nullptr;
  size_t argsz = 0;
  if (minComplete && timeoutNs >= 0) {
    ts.tv_sec = timeoutNs / 1000000000LL;
    ts.tv_nsec = timeoutNs % 1000000000LL;
    memset(&arg, 0, sizeof arg);
    arg.ts = reinterpret_cast<uint64_t>(&ts);
    argp = &arg;
    argsz = sizeof arg;
    flags |= IORING_ENTER_EXT_ARG;
  }
  int rc = SysEnter(fd_, toSubmit, minComplete, flags, argp, argsz);
  int e = rc < 0 ? errno : 0;
  // Without SQPOLL the kernel consumes SQEs only inside enter: its head says how many went in, whatever rc is
  // (a wait that times out after submitting returns the count; one that submitted nothing returns -ETIME).
  sqHeadSubmitted_ = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  return rc < 0 ? -e : rc;
}

int Uring::Flush() {
  unsigned toSubmit = sqTailLocal_ - sqHeadSubmitted_;
  __atomic_store_n(sqTail_, sqTailLocal_, __ATOMIC_RELEASE);
  int rc = SysEnter(fd_, toSubmit, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
  int e = rc < 0 ? errno : 0;
  sqHeadSubmitted_ = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  return rc < 0 ? -e : rc;
}

int Uring::RegisterBufRing(io_uring_buf_ring* ring, unsigned entries, unsigned bgid) {
  io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(ring);
  reg.ring_entries = entries;
  reg.bgid = static_cast<uint16_t>(bgid);
  return SysRegister(fd_, IORING_REGISTER_PBUF_RING, &reg, 1) < 0 ? -errno : 0;
}

}  // namespace umv
