#include "auth/login_throttle.h"

#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;

class LoginThrottleTest : public ::testing::Test {
protected:
  test::FakeClock clock_{test::kNow};
  LoginThrottle throttle_{clock_, ThrottleOptions{}};

  void failTimes(std::string_view account, std::string_view ip, int n) {
    for (int i = 0; i < n; ++i) {
      throttle_.recordFailure(account, ip);
    }
  }
};

// Five free failures, then 1 s, 2 s, 4 s ... capped at 15 minutes.
TEST_F(LoginThrottleTest, AccountBackoffGrowsAndIsCapped) {
  failTimes("alice", "10.0.0.1", 5);
  EXPECT_TRUE(throttle_.check("alice", "10.0.0.2").allowed);
  throttle_.recordFailure("alice", "10.0.0.2");
  auto d = throttle_.check("alice", "10.0.0.3");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(1));
  throttle_.recordFailure("alice", "10.0.0.2");
  EXPECT_EQ(throttle_.check("Alice", "10.0.0.3").retry_after, seconds(2));  // names are case-insensitive
  failTimes("alice", "10.0.0.2", 30);
  EXPECT_EQ(throttle_.check("alice", "10.0.0.3").retry_after, seconds(15 * 60));
  clock_.advance(seconds(15 * 60));
  EXPECT_TRUE(throttle_.check("alice", "10.0.0.3").allowed);
  EXPECT_TRUE(throttle_.check("bob", "10.0.0.3").allowed);
}

// Spraying many names from one IP trips the per-IP limit.
TEST_F(LoginThrottleTest, IpBackoffAcrossAccounts) {
  for (int i = 0; i < 20; ++i) {
    throttle_.recordFailure("user" + std::to_string(i), "203.0.113.9");
  }
  EXPECT_TRUE(throttle_.check("someone", "203.0.113.9").allowed);
  throttle_.recordFailure("user21", "203.0.113.9");
  EXPECT_FALSE(throttle_.check("someone", "203.0.113.9").allowed);
  EXPECT_TRUE(throttle_.check("someone", "198.51.100.1").allowed);
}

// Success clears the account counter but not the IP's; counters fade after an hour.
TEST_F(LoginThrottleTest, SuccessAndForgetting) {
  failTimes("alice", "10.0.0.1", 4);
  throttle_.recordSuccess("alice");
  failTimes("alice", "10.0.0.1", 5);
  EXPECT_TRUE(throttle_.check("alice", "10.0.0.9").allowed);
  clock_.advance(seconds(3600));
  failTimes("alice", "10.0.0.1", 5);
  EXPECT_TRUE(throttle_.check("alice", "10.0.0.9").allowed);
}

// Memory is bounded however many distinct names and IPs fail.
TEST(LoginThrottleBoundTest, TrackedEntriesAreBounded) {
  test::FakeClock clock{test::kNow};
  ThrottleOptions options;
  options.max_tracked = 50;
  LoginThrottle throttle(clock, options);
  for (int i = 0; i < 500; ++i) {
    throttle.recordFailure("u" + std::to_string(i), "ip" + std::to_string(i));
    clock.advance(seconds(1));
  }
  EXPECT_LE(throttle.trackedEntries(), 51u);
}

}  // namespace
}  // namespace oh::gateway::auth
