// X-Access-Token as OpenHands 1.7.0's JwtService makes it (PyJWT, HS256, kid header; claims
// user_id, provider_type, iat, exp) and as an attacker would: forged, another user's, alg none
// or another, malformed, oversized, expired.

#include "appserver/access_tokens.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "appserver/user_secrets.h"
#include "common/base64.h"
#include "pool_harness.h"

namespace oh::control::testing {
namespace {

const std::string kPoolKey(32, 'k');
constexpr std::int64_t kNow = 1'796'000'000;

std::string b64(std::string_view text) { return common::base64UrlEncode(text); }

std::string hs256(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

// A token signed with `secret`: header and payload JSON as given.
std::string token(std::string_view secret, std::string_view header, std::string_view payload) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + b64(hs256(secret, input));
}

// What the user's app server issues: {"alg":"HS256","kid":…,"typ":"JWT"} and
// {"user_id":null,"provider_type":"github","iat":…,"exp":…} (jwt_service.py:92-103).
std::string issuedBy(const std::string& user, std::int64_t exp = kNow + 900) {
  return token(jwtSecretFor(kPoolKey, user), R"({"alg":"HS256","kid":"3xY","typ":"JWT"})",
               R"({"user_id":null,"provider_type":"github","iat":)" + std::to_string(kNow - 60) +
                   R"(,"exp":)" + std::to_string(exp) + "}");
}

// This test verifies a token the user's own server signed is recognised as that user's, and
// only that user's.
TEST(AccessTokens, TheSigningServersUserOnly) {
  const std::string t = issuedBy(kUserA);
  EXPECT_TRUE(signedByUsersServer(kPoolKey, kUserA, t, kNow));
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserB, t, kNow));
  EXPECT_FALSE(signedByUsersServer(std::string(32, 'x'), kUserA, t, kNow));  // another deployment
}

// This test verifies hostile tokens are never a user's: alg none or any other alg (even with a
// valid HS256 signature), altered, forged with a guessed key, expired, without exp.
TEST(AccessTokens, HostileTokensAreNobodys) {
  const std::string secret = jwtSecretFor(kPoolKey, kUserA);
  const std::string payload = R"({"user_id":null,"provider_type":"github","exp":)" + std::to_string(kNow + 900) + "}";
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, b64(R"({"alg":"none"})") + "." + b64(payload) + ".", kNow));
  for (std::string_view alg : {R"({"alg":"none"})", R"({"alg":"HS512"})", R"({"alg":"RS256"})", R"({"alg":"hs256"})",
                               R"({"alg":["HS256"]})", R"({"typ":"JWT"})", R"("HS256")"}) {
    EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, token(secret, alg, payload), kNow)) << alg;
  }
  // A signature from another secret (a guessed one, the sandbox's own key) or none at all.
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, token("guess", R"({"alg":"HS256"})", payload), kNow));
  // Altered after signing: payload swapped, signature bit flipped.
  const std::string good = issuedBy(kUserA);
  const std::size_t dot = good.find('.');
  const std::string swapped = good.substr(0, dot + 1) + b64(R"({"exp":99999999999})") + good.substr(good.rfind('.'));
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, swapped, kNow));
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, flipped, kNow));
  // Expired (exp is not later than now), no exp, exp of the wrong type.
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, issuedBy(kUserA, kNow), kNow));
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, issuedBy(kUserA, kNow - 1), kNow));
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, token(secret, R"({"alg":"HS256"})", R"({"user_id":null})"), kNow));
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, token(secret, R"({"alg":"HS256"})", R"({"exp":"never"})"), kNow));
  EXPECT_TRUE(signedByUsersServer(kPoolKey, kUserA, token(secret, R"({"alg":"HS256"})", R"({"exp":1.8e9})"), kNow));
}

// This test verifies malformed and oversized input is refused without a crash.
TEST(AccessTokens, MalformedAndOversizedAreRefused) {
  const std::string good = issuedBy(kUserA);
  const std::string head = good.substr(0, good.rfind('.'));
  for (const std::string& bad : std::vector<std::string>{std::string(), std::string("."), std::string(".."), std::string("..."), head, good + ".", "." + good,
        good + "=", good.substr(0, good.size() - 1) + " ", head + ".!!!!", std::string("a.b.c"), b64("{") + "." + b64("{}") + ".x",
        std::string("\0.\0.\0", 5)}) {
    EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, bad, kNow)) << bad;
  }
  // A valid signature over a huge payload: refused on size before any work.
  const std::string secret = jwtSecretFor(kPoolKey, kUserA);
  const std::string huge = token(secret, R"({"alg":"HS256"})",
                                 R"({"exp":)" + std::to_string(kNow + 900) + R"(,"pad":")" + std::string(4000, 'p') + "\"}");
  EXPECT_GT(huge.size(), kMaxAccessTokenBytes);
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, huge, kNow));
  // Deeply nested JSON in the payload of a validly signed token: refused, not a stack overflow.
  const std::string deep = token(secret, R"({"alg":"HS256"})", std::string(500, '[') + std::string(500, ']'));
  EXPECT_FALSE(signedByUsersServer(kPoolKey, kUserA, deep, kNow));
}

}  // namespace
}  // namespace oh::control::testing
