// Tests for RateLimiter: bursts, refill over injected time, Retry-After, bounded memory,
// and a concurrency smoke test.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "policy/rate_limiter.h"

namespace oh::gateway {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point{} + std::chrono::hours(1000);

// This test verifies the burst is allowed, then the next request is refused.
TEST(RateLimiter, BurstThenRefusal) {
  RateLimiter limiter(1.0, 5.0, 100);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.admit("10.0.0.1", kStart).allowed) << i;
  }
  const RateDecision refused = limiter.admit("10.0.0.1", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1));
}

// This test verifies Retry-After is the whole seconds until one token is back.
TEST(RateLimiter, RetryAfterRoundsUp) {
  RateLimiter limiter(0.25, 1.0, 100);  // one token every 4 s
  EXPECT_TRUE(limiter.admit("a", kStart).allowed);
  EXPECT_EQ(limiter.admit("a", kStart).retry_after, seconds(4));
  EXPECT_EQ(limiter.admit("a", kStart + milliseconds(1500)).retry_after, seconds(3));
  EXPECT_EQ(limiter.admit("a", kStart + milliseconds(3999)).retry_after, seconds(1));
  EXPECT_TRUE(limiter.admit("a", kStart + seconds(4)).allowed);
}

// This test verifies a fast rate still says at least one second.
TEST(RateLimiter, RetryAfterAtLeastOneSecond) {
  RateLimiter limiter(1000.0, 1.0, 10);
  EXPECT_TRUE(limiter.admit("a", kStart).allowed);
  const RateDecision refused = limiter.admit("a", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1));
}

// This test verifies tokens refill at the configured rate and never beyond the burst.
TEST(RateLimiter, RefillOverInjectedTime) {
  RateLimiter limiter(2.0, 4.0, 100);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(limiter.admit("c", kStart).allowed);
  }
  EXPECT_FALSE(limiter.admit("c", kStart).allowed);
  // 1 s later: two tokens.
  EXPECT_TRUE(limiter.admit("c", kStart + seconds(1)).allowed);
  EXPECT_TRUE(limiter.admit("c", kStart + seconds(1)).allowed);
  EXPECT_FALSE(limiter.admit("c", kStart + seconds(1)).allowed);
  // An hour later: only the burst, not 7200 tokens.
  const auto later = kStart + std::chrono::hours(1);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    allowed += limiter.admit("c", later).allowed ? 1 : 0;
  }
  EXPECT_EQ(allowed, 4);
}

// This test verifies a refused request does not consume a token (no penalty spiral).
TEST(RateLimiter, RefusalDoesNotConsume) {
  RateLimiter limiter(1.0, 1.0, 10);
  EXPECT_TRUE(limiter.admit("k", kStart).allowed);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(limiter.admit("k", kStart + milliseconds(500)).allowed);
  }
  EXPECT_TRUE(limiter.admit("k", kStart + seconds(1)).allowed);
}

// This test verifies a clock going backwards neither adds tokens nor crashes.
TEST(RateLimiter, TimeGoingBackwards) {
  RateLimiter limiter(1.0, 2.0, 10);
  EXPECT_TRUE(limiter.admit("k", kStart).allowed);
  EXPECT_TRUE(limiter.admit("k", kStart).allowed);
  EXPECT_FALSE(limiter.admit("k", kStart - seconds(100)).allowed);
  EXPECT_FALSE(limiter.admit("k", kStart).allowed);
  EXPECT_TRUE(limiter.admit("k", kStart + seconds(1)).allowed);
}

// This test verifies clients have separate buckets.
TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter(1.0, 1.0, 100);
  EXPECT_TRUE(limiter.admit("10.0.0.1", kStart).allowed);
  EXPECT_FALSE(limiter.admit("10.0.0.1", kStart).allowed);
  EXPECT_TRUE(limiter.admit("10.0.0.2", kStart).allowed);
  EXPECT_TRUE(limiter.admit("", kStart).allowed);
  EXPECT_TRUE(limiter.admit(std::string(10000, 'x'), kStart).allowed);
  EXPECT_EQ(limiter.trackedClients(), 4u);
}

// This test verifies the table never exceeds max_tracked_clients under many distinct keys.
TEST(RateLimiter, ManyKeysBounded) {
  RateLimiter limiter(10.0, 20.0, 1000);
  for (int i = 0; i < 50000; ++i) {
    limiter.admit("client-" + std::to_string(i), kStart + milliseconds(i));
    ASSERT_LE(limiter.trackedClients(), 1000u);
  }
  EXPECT_GT(limiter.trackedClients(), 900u);
}

// This test verifies tiny bounds (smaller than the shard count) still hold.
TEST(RateLimiter, TinyBound) {
  RateLimiter limiter(1.0, 1.0, 3);
  for (int i = 0; i < 100; ++i) {
    limiter.admit(std::to_string(i), kStart);
  }
  EXPECT_LE(limiter.trackedClients(), 3u);
  EXPECT_GE(limiter.trackedClients(), 1u);
}

// This test verifies a new address evicts an idle (full) bucket before a drained one, even
// when the drained one is the least recently used: evicting it would reset that client's limit.
TEST(RateLimiter, EvictionPrefersFullBuckets) {
  RateLimiter limiter(1.0, 2.0, 8, /*shard_count=*/1);
  // The active client drains its bucket first, so it is the least recently used entry.
  ASSERT_TRUE(limiter.admit("active", kStart).allowed);
  ASSERT_TRUE(limiter.admit("active", kStart).allowed);
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(limiter.admit("idle-" + std::to_string(i), kStart + milliseconds(100)).allowed);
  }
  ASSERT_EQ(limiter.trackedClients(), 8u);
  // 1.5 s later the idle buckets are full again (1 + 1.4 >= 2), the active one holds 1.5.
  const auto later = kStart + milliseconds(1500);
  EXPECT_TRUE(limiter.admit("newcomer", later).allowed);
  EXPECT_EQ(limiter.trackedClients(), 8u);
  EXPECT_TRUE(limiter.admit("active", later).allowed);
  EXPECT_FALSE(limiter.admit("active", later).allowed) << "the drained bucket was evicted and reset";
}

// This test verifies that with no full bucket to spare, the least recently used one goes.
TEST(RateLimiter, EvictionFallsBackToLeastRecentlyUsed) {
  RateLimiter limiter(0.001, 2.0, 3, /*shard_count=*/1);
  for (std::string_view key : {"a", "b", "c"}) {
    ASSERT_TRUE(limiter.admit(key, kStart).allowed);
    ASSERT_TRUE(limiter.admit(key, kStart).allowed);
  }
  EXPECT_TRUE(limiter.admit("d", kStart).allowed);
  EXPECT_EQ(limiter.trackedClients(), 3u);
  EXPECT_FALSE(limiter.admit("c", kStart).allowed);
  EXPECT_FALSE(limiter.admit("b", kStart).allowed);
  EXPECT_TRUE(limiter.admit("a", kStart).allowed) << "a was the least recently used and evicted";
}

// This test verifies invalid construction values are clamped rather than dividing by zero.
TEST(RateLimiter, DegenerateParametersClamped) {
  RateLimiter limiter(0.0, 0.0, 0);
  EXPECT_TRUE(limiter.admit("k", kStart).allowed);
  const RateDecision refused = limiter.admit("k", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GE(refused.retry_after, seconds(1));
  EXPECT_LE(limiter.trackedClients(), 1u);
}

// This test verifies that, from several threads at once, exactly the burst is admitted per key
// and the table stays bounded (run under ASan/UBSan; TSan would flag a race).
TEST(RateLimiter, ConcurrencySmoke) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  RateLimiter limiter(0.000001, 100.0, 500);
  std::atomic<int> shared_allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (limiter.admit("shared", kStart).allowed) {
          shared_allowed.fetch_add(1);
        }
        limiter.admit("t" + std::to_string(t) + "-" + std::to_string(i), kStart);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(shared_allowed.load(), 100);
  EXPECT_LE(limiter.trackedClients(), 500u);
}

}  // namespace
}  // namespace oh::gateway
