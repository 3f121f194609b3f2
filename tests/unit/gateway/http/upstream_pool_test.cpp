#include "http/upstream_pool.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = UpstreamPool::Clock;

constexpr std::size_t kMaxIdle = 8;
constexpr std::chrono::seconds kIdleTimeout{30};

class UpstreamPoolTest : public ::testing::Test {
protected:
  // An idle connection to `key` (never connected: the pool only reads its key and idle time,
  // and a peek finds a socket that was never opened dead, as it would a closed one).
  void putIdle(const std::string& key, Clock::time_point since) {
    auto connection = std::make_unique<UpstreamConnection>(io_.get_executor(), recycler_);
    connection->key = key;
    pool_.put(std::move(connection), kMaxIdle, since);
  }

  boost::asio::io_context io_;
  BufferRecycler recycler_;
  UpstreamPool pool_;
  const Clock::time_point now_ = Clock::now();
};

// This test verifies the OpenHands upstream and users' apps share a worker's pool without
// closing each other's idle connections, and each gets its own back, most recent first.
TEST_F(UpstreamPoolTest, TargetsDoNotCloseEachOther) {
  putIdle("127.0.0.1:3000", now_);
  putIdle("10.88.0.7:5000", now_);
  putIdle("10.88.0.9:8000", now_);
  auto app = pool_.take("10.88.0.7:5000", now_, kIdleTimeout);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->key, "10.88.0.7:5000");
  EXPECT_EQ(pool_.idleCount(), 2u);
  auto upstream = pool_.take("127.0.0.1:3000", now_, kIdleTimeout);
  ASSERT_NE(upstream, nullptr);
  EXPECT_EQ(pool_.idleCount(), 1u);
  EXPECT_EQ(pool_.take("10.88.0.7:5000", now_, kIdleTimeout), nullptr);
  EXPECT_EQ(pool_.idleCount(), 1u);  // the agent server's connection is still there
}

// This test verifies expired connections of any key are closed when met, and a connection to the
// requested key that the peer closed is not handed out.
TEST_F(UpstreamPoolTest, ExpiredAndDeadConnectionsClosed) {
  putIdle("127.0.0.1:3000", now_ - 40s);  // expired
  putIdle("10.88.0.7:5000", now_ - 5s);   // old enough to be checked: a never-opened socket is dead
  putIdle("10.88.0.9:8000", now_);
  EXPECT_EQ(pool_.take("10.88.0.7:5000", now_, kIdleTimeout), nullptr);
  EXPECT_EQ(pool_.idleCount(), 1u);  // the dead one and the expired one met on the way are gone
  EXPECT_EQ(pool_.take("127.0.0.1:3000", now_, kIdleTimeout), nullptr);
  EXPECT_NE(pool_.take("10.88.0.9:8000", now_, kIdleTimeout), nullptr);
  EXPECT_EQ(pool_.idleCount(), 0u);
}

// This test verifies the periodic sweep closes by idle time only, and a replaced upstream's
// connections are closed by key.
TEST_F(UpstreamPoolTest, SweepByAgeAndDropByKey) {
  putIdle("127.0.0.1:3000", now_ - 40s);
  putIdle("127.0.0.1:3000", now_);
  putIdle("10.88.0.7:5000", now_);
  pool_.sweep(now_, kIdleTimeout);
  EXPECT_EQ(pool_.idleCount(), 2u);
  pool_.dropKey("127.0.0.1:3000");
  EXPECT_EQ(pool_.idleCount(), 1u);
  EXPECT_NE(pool_.take("10.88.0.7:5000", now_, kIdleTimeout), nullptr);
}

// This test verifies the pool keeps at most max_idle connections, whatever their keys.
TEST_F(UpstreamPoolTest, Bounded) {
  for (std::size_t i = 0; i < kMaxIdle + 3; ++i) {
    putIdle("10.88.0." + std::to_string(i) + ":5000", now_);
  }
  EXPECT_EQ(pool_.idleCount(), kMaxIdle);
  EXPECT_EQ(pool_.take("10.88.0.9:5000", now_, kIdleTimeout), nullptr);  // never pooled
}

}  // namespace
}  // namespace oh::gateway
