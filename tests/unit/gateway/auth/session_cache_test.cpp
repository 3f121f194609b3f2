#include "auth/session_cache.h"

#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;

class SessionCacheTest : public ::testing::Test {
protected:
  SessionCacheTest() {
    IdTokenClaims claims;
    claims.sub = "user-1";
    claims.expires_at = t0_ + seconds(3600);
    session_ = sessionFromTokens(claims, "refresh", t0_);
    cookie_ = sealSession(box_, session_, random_);
  }

  const std::chrono::sys_seconds t0_{seconds(test::kNow)};
  test::CountingRandom random_;
  SealedBox box_ = SealedBox::create(std::string(32, 'A')).value();
  SessionCache cache_{64};
  Session session_;
  std::string cookie_;
};

// The second open of the same cookie is a cache hit returning the same object.
TEST_F(SessionCacheTest, HitsForTheSameCookie) {
  auto first = openSessionCached(box_, cache_, cookie_, t0_);
  ASSERT_TRUE(first);
  auto second = openSessionCached(box_, cache_, cookie_, t0_ + seconds(10));
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(cache_.size(), 1u);
}

// Entries stop being served once the session needs a refresh; refused cookies are not cached.
TEST_F(SessionCacheTest, NeverServesStaleOrRefusedSessions) {
  ASSERT_TRUE(openSessionCached(box_, cache_, cookie_, t0_));
  EXPECT_FALSE(cache_.find(kSessionPurpose, cookie_, t0_ + seconds(3600)));
  std::string tampered = cookie_;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(openSessionCached(box_, cache_, tampered, t0_));
  EXPECT_FALSE(openSessionCached(box_, cache_, tampered, t0_));
  EXPECT_EQ(cache_.size(), 0u);
}

// A cached main-host session is not served for a runtime-host purpose, and clear() empties it.
TEST_F(SessionCacheTest, PurposeIsPartOfTheKeyAndClearEmpties) {
  ASSERT_TRUE(openSessionCached(box_, cache_, cookie_, t0_));
  EXPECT_FALSE(openSessionCached(box_, cache_, cookie_, t0_, runtimeSessionPurpose("3000-a.runtime.x")));
  cache_.clear();
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(SessionCacheTest, StaysBounded) {
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(openSessionCached(box_, cache_, sealSession(box_, session_, random_), t0_));
  }
  EXPECT_LE(cache_.size(), 64u);
}

}  // namespace
}  // namespace oh::gateway::auth
