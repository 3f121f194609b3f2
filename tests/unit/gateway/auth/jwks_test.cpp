#include "auth/jwks.h"
#include "auth/jwks_cache.h"

#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

#include <deque>

namespace oh::gateway::auth {
namespace {

using test::FakeClock;
using test::JwkSpec;
using test::TestKey;

// RSA and EC keys load; kid and type are kept.
TEST(JwksParseTest, LoadsRsaAndEcKeys) {
  auto set = parseJwks(test::defaultJwks());
  ASSERT_TRUE(set) << set.error().reason;
  ASSERT_EQ(set->keys.size(), 2u);
  EXPECT_EQ(set->keys[0].kid, "rsa-1");
  EXPECT_EQ(set->keys[0].type, KeyType::rsa);
  EXPECT_EQ(set->keys[1].kid, "ec-1");
  EXPECT_EQ(set->keys[1].type, KeyType::ec_p256);
  EXPECT_TRUE(set->skipped.empty());
}

// Encryption keys, other algs, weak RSA, missing kid and duplicates are skipped with a note.
TEST(JwksParseTest, SkipsUnusableKeys) {
  const std::string doc = test::jwksJson({
      {"enc-key", TestKey::rsa2, R"("use":"enc",)"},
      {"weak", TestKey::rsa_weak, ""},
      {"ps-key", TestKey::rsa2, R"("alg":"PS256",)"},
      {"ec-as-rsa", TestKey::ec1, R"("alg":"RS256",)"},
      {"ok", TestKey::rsa1, R"("use":"sig","alg":"RS256",)"},
      {"ok", TestKey::rsa2, ""},
  });
  auto set = parseJwks(doc);
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "ok");
  EXPECT_EQ(set->skipped.size(), 5u);
}

// Hostile documents: not JSON, no keys, wrong types, bad base64, off-curve points, oversized.
TEST(JwksParseTest, RefusesOrSkipsHostileInput) {
  EXPECT_FALSE(parseJwks("not json"));
  EXPECT_FALSE(parseJwks("[]"));
  EXPECT_FALSE(parseJwks(R"({"keys":{}})"));
  EXPECT_FALSE(parseJwks(std::string(300 * 1024, ' ')));
  auto set = parseJwks(
      R"({"keys":[1,"x",{"kid":"a","kty":"RSA","n":"!!","e":"AQAB"},)"
      R"({"kid":"b","kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},)"
      R"({"kid":"c","kty":"EC","crv":"P-384","x":"AA","y":"AA"},{"kid":"d","kty":"oct","k":"c2VjcmV0"},)"
      R"({"kid":"e","kty":"RSA","n":"AQAB","e":"AQAB"}]})");
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->keys.empty());
  EXPECT_EQ(set->skipped.size(), 7u);
}

class ScriptedFetcher final : public JwksFetcher {
public:
  Result<std::string> fetchJwks() override {
    ++calls;
    if (responses.empty()) {
      return failure("connection refused");
    }
    Result<std::string> next = responses.front();
    responses.pop_front();
    return next;
  }
  std::deque<Result<std::string>> responses;
  int calls = 0;
};

class JwksCacheTest : public ::testing::Test {
protected:
  FakeClock clock_{test::kNow};
  ScriptedFetcher fetcher_;
  JwksCache cache_{fetcher_, clock_};
};

// An unknown kid fetches the JWKS once; later lookups hit the cache.
TEST_F(JwksCacheTest, FetchesOnFirstUnknownKid) {
  fetcher_.responses.push_back(test::defaultJwks());
  EXPECT_TRUE(cache_.findKey("rsa-1"));
  EXPECT_TRUE(cache_.findKey("ec-1"));
  EXPECT_EQ(fetcher_.calls, 1);
}

// Unknown kids refetch at most once per minute, however many tokens arrive.
TEST_F(JwksCacheTest, RefetchIsRateLimited) {
  fetcher_.responses.push_back(test::defaultJwks());
  ASSERT_TRUE(cache_.refresh());
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(cache_.findKey("random-" + std::to_string(i)));
  }
  EXPECT_EQ(fetcher_.calls, 1);
  clock_.advance(std::chrono::seconds(59));
  EXPECT_FALSE(cache_.findKey("rsa-2"));
  EXPECT_EQ(fetcher_.calls, 1);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_FALSE(cache_.findKey("rsa-2"));
  EXPECT_EQ(fetcher_.calls, 2);
}

// Rotation: the provider adds rsa-2 and drops rsa-1; after the refetch rsa-2 works and rsa-1 is gone.
TEST_F(JwksCacheTest, PicksUpRotatedKeys) {
  fetcher_.responses.push_back(test::defaultJwks());
  ASSERT_TRUE(cache_.refresh());
  clock_.advance(std::chrono::minutes(5));
  fetcher_.responses.push_back(test::jwksJson({{"rsa-2", TestKey::rsa2, ""}}));
  EXPECT_TRUE(cache_.findKey("rsa-2"));
  EXPECT_FALSE(cache_.findKey("rsa-1"));
  EXPECT_EQ(cache_.keyCount(), 1u);
}

// While the endpoint is down (or serves garbage or an empty set) the cached keys keep working.
TEST_F(JwksCacheTest, KeepsKeysWhenFetchFails) {
  fetcher_.responses.push_back(test::defaultJwks());
  ASSERT_TRUE(cache_.refresh());
  clock_.advance(std::chrono::minutes(2));
  fetcher_.responses.push_back(failure("HTTP 503"));
  EXPECT_FALSE(cache_.findKey("rsa-2"));
  EXPECT_NE(cache_.lastError().find("503"), std::string::npos);
  clock_.advance(std::chrono::minutes(2));
  fetcher_.responses.push_back(std::string("<html>"));
  EXPECT_FALSE(cache_.refresh());
  clock_.advance(std::chrono::minutes(2));
  fetcher_.responses.push_back(std::string(R"({"keys":[]})"));
  EXPECT_FALSE(cache_.refresh());
  EXPECT_TRUE(cache_.findKey("rsa-1"));
  EXPECT_EQ(cache_.keyCount(), 2u);
  EXPECT_EQ(fetcher_.calls, 4);
}

// refresh() is rate-limited too unless forced.
TEST_F(JwksCacheTest, RefreshRespectsRateLimitUnlessForced) {
  fetcher_.responses.push_back(test::defaultJwks());
  fetcher_.responses.push_back(test::defaultJwks());
  ASSERT_TRUE(cache_.refresh());
  EXPECT_FALSE(cache_.refresh());
  EXPECT_TRUE(cache_.refresh(true));
  EXPECT_EQ(fetcher_.calls, 2);
}

// The non-blocking path: one caller claims the refetch, others are told to wait; the result
// applied later makes the new kid available; a failed result keeps the old keys.
TEST_F(JwksCacheTest, AsyncRefetchProtocol) {
  EXPECT_FALSE(cache_.findCached("rsa-1"));
  ASSERT_TRUE(cache_.claimRefetch());
  EXPECT_FALSE(cache_.claimRefetch());
  ASSERT_TRUE(cache_.applyFetch(test::defaultJwks()));
  EXPECT_TRUE(cache_.findCached("rsa-1"));
  clock_.advance(std::chrono::seconds(60));
  ASSERT_TRUE(cache_.claimRefetch());
  EXPECT_FALSE(cache_.applyFetch(failure("timeout")));
  EXPECT_TRUE(cache_.findCached("ec-1"));
  EXPECT_EQ(fetcher_.calls, 0);
  EXPECT_EQ(cache_.fetchCount(), 2u);
}

}  // namespace
}  // namespace oh::gateway::auth
