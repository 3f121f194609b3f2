#include "sandbox/api_keys.h"

#include <string>

#include <gtest/gtest.h>

#include "sandbox/user_key.h"

namespace oh::control {
namespace {

// Secret bytes 0x00..0x1f; the user key of subject "alice".
std::string testSecret() {
  std::string secret;
  for (int i = 0; i < 32; ++i) {
    secret += static_cast<char>(i);
  }
  return secret;
}
constexpr const char* kAlice = "4c6b8ba37b3be635064f241cc7aeb708";
// HMAC-SHA256(testSecret(), "sandbox api v1\n" || kAlice), base64url, computed with Python's hmac.
constexpr const char* kAliceKey = "ohsb1_4c6b8ba37b3be635064f241cc7aeb708_VQ3-IPvIBEPj0VK1Hhf8XcAekrEIA4orYE9yA2AJKBU";

SandboxApiKeys keys() { return SandboxApiKeys::fromSecret(testSecret()).value(); }

// The key format is pinned against an independent HMAC implementation, and names its owner.
TEST(SandboxApiKeys, KeyForIsPinnedAndNamesItsOwner) {
  EXPECT_EQ(keys().keyFor(kAlice), kAliceKey);
  EXPECT_EQ(keys().ownerOf(kAliceKey), std::optional<std::string>(kAlice));
}

// Only a 32-byte secret is accepted: a short one would be a weak key.
TEST(SandboxApiKeys, SecretMustBe32Bytes) {
  EXPECT_FALSE(SandboxApiKeys::fromSecret(""));
  EXPECT_FALSE(SandboxApiKeys::fromSecret(std::string(31, 'k')));
  EXPECT_FALSE(SandboxApiKeys::fromSecret(std::string(33, 'k')));
  EXPECT_TRUE(SandboxApiKeys::fromSecret(std::string(32, 'k')));
}

// User A's key never names user B: keys of two users differ, and swapping the user part of a
// key (keeping A's mac) is refused.
TEST(SandboxApiKeys, AKeyNamesOnlyItsOwner) {
  const std::string bob = userKeyForSubject("bob");
  const std::string bob_key = keys().keyFor(bob);
  EXPECT_NE(bob_key, kAliceKey);
  EXPECT_EQ(keys().ownerOf(bob_key), std::optional<std::string>(bob));
  std::string forged = kAliceKey;
  forged.replace(6, 32, bob);
  EXPECT_EQ(keys().ownerOf(forged), std::nullopt);
}

// Another secret (another deployment, a rotated key file) opens nothing.
TEST(SandboxApiKeys, AnotherSecretOpensNothing) {
  auto other = SandboxApiKeys::fromSecret(std::string(32, 'x')).value();
  EXPECT_EQ(other.ownerOf(kAliceKey), std::nullopt);
}

// Every malformed or altered key is refused: empty, truncated, extended, each character of the
// mac changed, the prefix changed, padding, upper-case user key, separators moved.
TEST(SandboxApiKeys, MalformedAndAlteredKeysAreRefused) {
  const std::string key = kAliceKey;
  for (const std::string& bad :
       {std::string(), key.substr(0, key.size() - 1), key + "A", key + "=", "ohsb2_" + key.substr(6),
        "OHSB1_" + key.substr(6), key.substr(0, 38) + "-" + key.substr(39), std::string(key.size(), 'a'),
        "ohsb1_4C6B8BA37B3BE635064F241CC7AEB708" + key.substr(38), key.substr(1) + " ", " " + key.substr(1),
        std::string(1 << 16, 'k')}) {
    EXPECT_EQ(keys().ownerOf(bad), std::nullopt) << bad.substr(0, 100);
  }
  for (std::size_t i = 39; i < key.size(); ++i) {
    std::string altered = key;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(keys().ownerOf(altered), std::nullopt) << i;
  }
}

}  // namespace
}  // namespace oh::control
