#include "auth/login_throttle.h"

#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;

class LoginThrottleTest : public ::testing::Test {
protected:
  test::FakeClock clock_{test::kNow};
  LoginThrottle throttle_{clock_, ThrottleOptions{}};

  // n attempts admitted and then failed (a failure needs no call: it was counted on admission).
  void failTimes(std::string_view account, std::string_view ip, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(throttle_.reserve(account, ip).allowed) << "attempt " << i + 1;
    }
  }
};

// Five free failures, then 1 s, 2 s, 4 s ... capped at 15 minutes.
TEST_F(LoginThrottleTest, AccountBackoffGrowsAndIsCapped) {
  failTimes("alice", "10.0.0.1", 5);
  EXPECT_TRUE(throttle_.reserve("alice", "10.0.0.2").allowed);  // the 6th is admitted, and locks
  auto d = throttle_.reserve("alice", "10.0.0.3");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(1));
  clock_.advance(seconds(1));
  EXPECT_TRUE(throttle_.reserve("alice", "10.0.0.2").allowed);
  EXPECT_EQ(throttle_.reserve("Alice", "10.0.0.3").retry_after, seconds(2));  // names are case-insensitive
  for (int i = 0; i < 30; ++i) {
    clock_.advance(seconds(15 * 60));
    ASSERT_TRUE(throttle_.reserve("alice", "10.0.0.2").allowed);
  }
  EXPECT_EQ(throttle_.reserve("alice", "10.0.0.3").retry_after, seconds(15 * 60));
  clock_.advance(seconds(15 * 60));
  EXPECT_TRUE(throttle_.reserve("alice", "10.0.0.3").allowed);
  EXPECT_TRUE(throttle_.reserve("bob", "10.0.0.3").allowed);
}

// Spraying many names from one IP trips the per-IP limit.
TEST_F(LoginThrottleTest, IpBackoffAcrossAccounts) {
  for (int i = 0; i < 21; ++i) {
    ASSERT_TRUE(throttle_.reserve("user" + std::to_string(i), "203.0.113.9").allowed);
  }
  EXPECT_FALSE(throttle_.reserve("someone", "203.0.113.9").allowed);
  EXPECT_TRUE(throttle_.reserve("someone", "198.51.100.1").allowed);
}

// Success clears the account counter and takes back its own IP count, not the IP's others;
// counters fade after an hour.
TEST_F(LoginThrottleTest, SuccessAndForgetting) {
  failTimes("alice", "10.0.0.1", 4);
  ASSERT_TRUE(throttle_.reserve("alice", "10.0.0.1").allowed);
  throttle_.recordSuccess("alice", "10.0.0.1");
  failTimes("alice", "10.0.0.1", 6);  // five free again, the sixth locks
  EXPECT_FALSE(throttle_.reserve("alice", "10.0.0.9").allowed);
  clock_.advance(seconds(3600));
  failTimes("alice", "10.0.0.1", 6);
  EXPECT_FALSE(throttle_.reserve("alice", "10.0.0.9").allowed);
}

// The IP's failures survive a success on the attacker's own account.
TEST_F(LoginThrottleTest, SuccessDoesNotResetTheIp) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(throttle_.reserve("user" + std::to_string(i), "203.0.113.9").allowed);
  }
  ASSERT_TRUE(throttle_.reserve("mallory", "203.0.113.9").allowed);  // the 21st: locks the IP
  throttle_.recordSuccess("mallory", "203.0.113.9");                  // takes back its own count only
  ASSERT_TRUE(throttle_.reserve("user20", "203.0.113.9").allowed);    // the 21st again
  EXPECT_FALSE(throttle_.reserve("user21", "203.0.113.9").allowed);
}

// An attempt that was never checked (no thread to hash it) costs nothing.
TEST_F(LoginThrottleTest, ReleaseTakesTheAttemptBack) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(throttle_.reserve("alice", "10.0.0.1").allowed) << i;
    throttle_.release("alice", "10.0.0.1");
  }
  EXPECT_EQ(throttle_.trackedEntries(), 0u);
}

// Issue 16: attempts sent in parallel all passed a check that only counted finished failures.
// Now however many threads race, the account admits its five free attempts plus the one that
// locks it, and no more, while every attempt is still "in flight" (none has finished).
TEST_F(LoginThrottleTest, ParallelAttemptsCannotExceedTheLimit) {
  constexpr int kThreads = 8;
  constexpr int kAttemptsEach = 25;
  std::atomic<int> admitted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      for (int i = 0; i < kAttemptsEach; ++i) {
        if (throttle_.reserve("alice", "10.0.0." + std::to_string(t)).allowed) {
          admitted.fetch_add(1);
        }
      }
    });
  }
  go.store(true);
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 6);
}

// Memory is bounded however many distinct names and IPs fail.
TEST(LoginThrottleBoundTest, TrackedEntriesAreBounded) {
  test::FakeClock clock{test::kNow};
  ThrottleOptions options;
  options.max_tracked = 50;
  LoginThrottle throttle(clock, options);
  for (int i = 0; i < 500; ++i) {
    (void)throttle.reserve("u" + std::to_string(i), "ip" + std::to_string(i));
    clock.advance(seconds(1));
  }
  EXPECT_LE(throttle.trackedEntries(), 51u);
}

}  // namespace
}  // namespace oh::gateway::auth
