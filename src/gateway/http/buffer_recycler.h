#pragma once
// The byte buffers of a worker's connections (client and upstream read buffers, relay buffers),
// given back when a connection goes idle and taken again by the next exchange. So an idle
// keep-alive connection holds no buffer, yet a busy worker allocates none: glibc serves blocks
// above 1 KiB from its bins, and a malloc/free pair of one cost more than parsing a response
// head (docs/benchmarks.md, "instructions per request").
//
// Blocks come in five sizes (4, 8, 16, 32, 64 KiB; a request from 2 KiB up is rounded up).
// Requests under 2 KiB go straight to the heap, whose per-thread cache serves them quickly (an
// idle connection's 1 KiB read buffer), and so do those over 64 KiB. At most kKeptBytesPerSize bytes of each size are
// kept; the rest are freed. Not thread-safe: one recycler per worker, used on its thread only.

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace oh::gateway {

class BufferRecycler {
public:
  static constexpr std::size_t kSmallestBytes = 4 * 1024;
  static constexpr std::size_t kSizes = 5;  // 4 KiB to 64 KiB
  static constexpr std::size_t kKeptBytesPerSize = 1024 * 1024;

  BufferRecycler();
  ~BufferRecycler();
  BufferRecycler(const BufferRecycler&) = delete;
  BufferRecycler& operator=(const BufferRecycler&) = delete;

  // At least `bytes` bytes, aligned for any type.
  void* allocate(std::size_t bytes);
  // `bytes` as given to allocate().
  void deallocate(void* block, std::size_t bytes) noexcept;

  // Blocks kept for reuse, of every size.
  std::size_t keptBlocks() const;

private:
  std::array<std::vector<void*>, kSizes> kept_;
};

// A standard allocator over a BufferRecycler, for Beast's flat_buffer.
template <class T>
class RecyclingAllocator {
public:
  using value_type = T;

  explicit RecyclingAllocator(BufferRecycler& recycler) noexcept : recycler_(&recycler) {}
  template <class U>
  RecyclingAllocator(const RecyclingAllocator<U>& other) noexcept : recycler_(other.recycler()) {}

  T* allocate(std::size_t n) { return static_cast<T*>(recycler_->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { recycler_->deallocate(p, n * sizeof(T)); }

  BufferRecycler* recycler() const noexcept { return recycler_; }

  template <class U>
  bool operator==(const RecyclingAllocator<U>& other) const noexcept {
    return recycler_ == other.recycler();
  }

private:
  BufferRecycler* recycler_;
};

// One block from a recycler, given back when replaced or destroyed (a relay buffer).
class RecycledBlock {
public:
  RecycledBlock() = default;
  ~RecycledBlock() { reset(); }
  RecycledBlock(const RecycledBlock&) = delete;
  RecycledBlock& operator=(const RecycledBlock&) = delete;

  // Makes this at least `bytes` long; the old contents are not kept.
  void ensure(BufferRecycler& recycler, std::size_t bytes);
  void reset() noexcept;

  char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

private:
  BufferRecycler* recycler_ = nullptr;
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

// An object whose memory comes from a recycler (a session's exchange state: Beast's parsers
// are over 4 KiB each).
template <class T>
struct RecycledDeleter {
  BufferRecycler* recycler = nullptr;
  void operator()(T* object) const noexcept {
    object->~T();
    recycler->deallocate(object, sizeof(T));
  }
};

template <class T>
using RecycledPtr = std::unique_ptr<T, RecycledDeleter<T>>;

template <class T, class... Args>
RecycledPtr<T> makeRecycled(BufferRecycler& recycler, Args&&... args) {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "blocks are aligned as operator new's");
  void* memory = recycler.allocate(sizeof(T));
  try {
    return RecycledPtr<T>(new (memory) T(std::forward<Args>(args)...), RecycledDeleter<T>{&recycler});
  } catch (...) {
    recycler.deallocate(memory, sizeof(T));
    throw;
  }
}

}  // namespace oh::gateway
