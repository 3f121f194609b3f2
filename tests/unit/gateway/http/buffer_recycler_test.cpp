#include "http/buffer_recycler.h"

#include <cstring>
#include <set>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

// This test verifies a block given back is handed out again for any request of its size, and
// that blocks are usable for their whole rounded-up size.
TEST(BufferRecyclerTest, ReusesBlocksBySize) {
  BufferRecycler recycler;
  void* small = recycler.allocate(2048);
  std::memset(small, 'a', BufferRecycler::kSmallestBytes);  // the whole 4 KiB class (ASan checks)
  recycler.deallocate(small, 2048);
  EXPECT_EQ(recycler.keptBlocks(), 1u);
  EXPECT_EQ(recycler.allocate(4096), small);  // same class: 2048 to 4096 bytes
  EXPECT_EQ(recycler.keptBlocks(), 0u);

  void* eight = recycler.allocate(4097);
  std::memset(eight, 'b', 8 * 1024);
  recycler.deallocate(eight, 4097);
  void* other = recycler.allocate(4096);
  EXPECT_NE(other, eight);  // a 4 KiB request does not take the 8 KiB block
  EXPECT_EQ(recycler.allocate(8192), eight);
  recycler.deallocate(eight, 8192);
  recycler.deallocate(other, 4096);
  recycler.deallocate(small, 4096);
  EXPECT_EQ(recycler.keptBlocks(), 3u);  // freed by the recycler's destructor
}

// This test verifies blocks under 2 KiB and above 64 KiB are not kept, and that each size keeps
// at most kKeptBytesPerSize bytes (the rest are freed, not hoarded).
TEST(BufferRecyclerTest, BoundedKeeping) {
  BufferRecycler recycler;
  void* big = recycler.allocate(64 * 1024 + 1);
  recycler.deallocate(big, 64 * 1024 + 1);
  void* tiny = recycler.allocate(1024);
  std::memset(tiny, 't', 1024);
  recycler.deallocate(tiny, 1024);
  EXPECT_EQ(recycler.keptBlocks(), 0u);

  std::vector<void*> blocks;
  const std::size_t limit = BufferRecycler::kKeptBytesPerSize / (64 * 1024);
  for (std::size_t i = 0; i < limit + 10; ++i) {
    blocks.push_back(recycler.allocate(64 * 1024));
  }
  for (void* block : blocks) {
    recycler.deallocate(block, 64 * 1024);
  }
  EXPECT_EQ(recycler.keptBlocks(), limit);
  // Handed out again, each one once.
  std::set<void*> again;
  for (std::size_t i = 0; i < limit; ++i) {
    again.insert(recycler.allocate(64 * 1024));
  }
  EXPECT_EQ(again.size(), limit);
  for (void* block : again) {
    recycler.deallocate(block, 64 * 1024);
  }
  recycler.deallocate(nullptr, 10);  // ignored, as delete of null
  EXPECT_EQ(recycler.keptBlocks(), limit);
}

// This test verifies Beast's flat_buffer works over the recycler: its memory returns when it is
// shrunk (an idle connection) and is reused when it grows again.
TEST(BufferRecyclerTest, FlatBufferRoundTrip) {
  BufferRecycler recycler;
  boost::beast::basic_flat_buffer<RecyclingAllocator<char>> buffer{RecyclingAllocator<char>(recycler)};
  auto space = buffer.prepare(4096);
  std::memset(space.data(), 'x', space.size());
  buffer.commit(4096);
  buffer.consume(4096);
  buffer.shrink_to_fit();
  EXPECT_EQ(recycler.keptBlocks(), 1u);
  buffer.prepare(3000);
  EXPECT_EQ(recycler.keptBlocks(), 0u);
  buffer.prepare(60 * 1024);  // grows: the old block goes back
  EXPECT_EQ(recycler.keptBlocks(), 1u);
}

// This test verifies a RecycledBlock grows only when asked for more, and gives its block back.
TEST(BufferRecyclerTest, RecycledBlock) {
  BufferRecycler recycler;
  {
    RecycledBlock block;
    EXPECT_EQ(block.data(), nullptr);
    block.ensure(recycler, 5000);
    char* first = block.data();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(block.size(), 5000u);
    block.ensure(recycler, 100);  // already big enough
    EXPECT_EQ(block.data(), first);
    block.ensure(recycler, 20000);
    EXPECT_NE(block.data(), nullptr);
    EXPECT_EQ(recycler.keptBlocks(), 1u);  // the 8 KiB block went back
    block.reset();
    EXPECT_EQ(block.data(), nullptr);
    EXPECT_EQ(recycler.keptBlocks(), 2u);
    block.ensure(recycler, 8000);
    EXPECT_EQ(block.data(), first);
  }
  EXPECT_EQ(recycler.keptBlocks(), 2u);  // destroyed: given back
}

}  // namespace
}  // namespace oh::gateway
