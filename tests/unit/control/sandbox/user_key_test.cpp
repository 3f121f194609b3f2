#include "sandbox/user_key.h"

#include <gtest/gtest.h>

namespace oh::control {
namespace {

// This test verifies user keys are stable, 32 hex digits, and differ by subject.
TEST(UserKey, StableHexPerSubject) {
  const std::string alice = userKeyForSubject("alice");
  EXPECT_EQ(alice, userKeyForSubject("alice"));
  EXPECT_TRUE(isUserKey(alice));
  EXPECT_NE(alice, userKeyForSubject("Alice"));
  EXPECT_NE(alice, userKeyForSubject("alice "));
  EXPECT_TRUE(isUserKey(userKeyForSubject("")));
  EXPECT_TRUE(isUserKey(userKeyForSubject(std::string(100000, '\0'))));
  // A known value, so a change of the derivation (which would orphan every user's data) fails here.
  EXPECT_EQ(userKeyForSubject("alice"), "4c6b8ba37b3be635064f241cc7aeb708");
}

// This test verifies isUserKey refuses anything but 32 lowercase hex digits.
TEST(UserKey, Grammar) {
  EXPECT_FALSE(isUserKey(""));
  EXPECT_FALSE(isUserKey("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(isUserKey("0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(isUserKey("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(isUserKey("0123456789abcdef0123456789abcdeg"));
  EXPECT_FALSE(isUserKey("../3456789abcdef0123456789abcdef"));
}

}  // namespace
}  // namespace oh::control
