// What the engine's files share about frames in memory: the regions, the virtio-net header before every frame, the
// tags of io_uring completions, and where poll() writes what it found. Constants only; no state.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace umv {

/** Ring block size: a power of two the page allocator serves without waste. */
constexpr size_t kRingBlock = 1u << 20;
/** virtio_net_hdr before every frame (PACKET_VNET_HDR on the parent, IFF_VNET_HDR on the TAPs) */
constexpr unsigned kVnet = 10;
/** one 802.1Q tag, which the kernel strips into metadata on the parent and we put back */
constexpr unsigned kVlan = 4;
/** A gather count meaning "not written": its bytes went out as a piece of another entry (src/io/contract.ts) */
constexpr uint16_t kGatherSkip = 0xffff;
/** Memory regions JavaScript sees frames in (src/io/engine.ts Region) */
constexpr unsigned kRegionRing = 0, kRegionPool = 1, kRegionScratch = 2;

// io_uring user_data: what a completion is for (top byte), the generation it belongs to (16 bits), and a port or
// a transmit-list index (low 32 bits).
constexpr uint64_t kRead = 1, kPoll = 2, kCancel = 3, kWrite = 4;
inline uint64_t Tag(uint64_t kind, uint64_t gen, uint64_t idx) { return (kind << 56) | (gen << 32) | idx; }
inline uint64_t TagKind(uint64_t ud) { return ud >> 56; }
inline uint16_t TagGen(uint64_t ud) { return static_cast<uint16_t>(ud >> 32); }
inline uint32_t TagIdx(uint64_t ud) { return static_cast<uint32_t>(ud & 0xffffffffu); }

/** The rx arrays JavaScript bound (bindRx): poll() writes frame i's port, region, offset and length there. */
struct RxOut {
  int16_t* port = nullptr;
  uint8_t* region = nullptr;
  uint32_t* at = nullptr;
  uint32_t* len = nullptr;
  void Put(unsigned i, int16_t p, uint8_t r, uint32_t a, uint32_t l) const { port[i] = p; region[i] = r; at[i] = a; len[i] = l; }
};

inline void* MapAnon(size_t len) {
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace umv
