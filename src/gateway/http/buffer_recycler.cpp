#include "http/buffer_recycler.h"

#include <new>

namespace oh::gateway {
namespace {

// The size class holding `bytes` (0: 4 KiB, ... 4: 64 KiB), or kSizes when the heap serves it
// (under 2 KiB, or over 64 KiB).
std::size_t sizeClass(std::size_t bytes) {
  if (bytes < BufferRecycler::kSmallestBytes / 2) {
    return BufferRecycler::kSizes;
  }
  std::size_t index = 0;
  for (std::size_t size = BufferRecycler::kSmallestBytes; size < bytes; size *= 2) {
    if (++index == BufferRecycler::kSizes) {
      break;
    }
  }
  return index;
}

constexpr std::size_t classBytes(std::size_t index) {
  return BufferRecycler::kSmallestBytes << index;
}

}  // namespace

BufferRecycler::BufferRecycler() {
  // Room for every block that may be kept, so giving one back never allocates.
  for (std::size_t index = 0; index < kSizes; ++index) {
    kept_[index].reserve(kKeptBytesPerSize / classBytes(index));
  }
}

BufferRecycler::~BufferRecycler() {
  for (auto& blocks : kept_) {
    for (void* block : blocks) {
      ::operator delete(block);
    }
  }
}

void* BufferRecycler::allocate(std::size_t bytes) {
  const std::size_t index = sizeClass(bytes);
  if (index == kSizes) {
    return ::operator new(bytes);
  }
  auto& blocks = kept_[index];
  if (blocks.empty()) {
    return ::operator new(classBytes(index));
  }
  void* block = blocks.back();
  blocks.pop_back();
  return block;
}

void BufferRecycler::deallocate(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) {
    return;
  }
  const std::size_t index = sizeClass(bytes);
  if (index == kSizes) {
    return ::operator delete(block);
  }
  auto& blocks = kept_[index];
  if ((blocks.size() + 1) * classBytes(index) > kKeptBytesPerSize) {
    return ::operator delete(block);
  }
  blocks.push_back(block);  // within the capacity reserved at construction
}

std::size_t BufferRecycler::keptBlocks() const {
  std::size_t count = 0;
  for (const auto& blocks : kept_) {
    count += blocks.size();
  }
  return count;
}

void RecycledBlock::ensure(BufferRecycler& recycler, std::size_t bytes) {
  if (data_ != nullptr && size_ >= bytes && recycler_ == &recycler) {
    return;
  }
  reset();
  data_ = static_cast<char*>(recycler.allocate(bytes));
  recycler_ = &recycler;
  size_ = bytes;
}

void RecycledBlock::reset() noexcept {
  if (data_ != nullptr) {
    recycler_->deallocate(data_, size_);
  }
  data_ = nullptr;
  size_ = 0;
  recycler_ = nullptr;
}

}  // namespace oh::gateway
