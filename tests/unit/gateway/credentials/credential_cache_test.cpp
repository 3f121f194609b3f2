// The per-user cache: one fetch per key per period, shared by concurrent callers, refreshed
// before expiry, stale-but-valid served over a failed refresh, failures held briefly.
#include "credentials/credential_cache.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "test_clock.h"

namespace oh::gateway::credentials {
namespace {

using control::aws::AwsCredentials;
using testing::TestClock;

constexpr std::int64_t kStart = 1'800'000'000;

// A fetch the test completes by hand: it records each call and keeps its `done`.
struct ManualFetch {
  std::mutex mutex;
  std::vector<std::pair<std::string, CredentialsDone>> calls;

  CredentialCache::Fetch fetch() {
    return [this](const std::string& key, CredentialsDone done) {
      std::lock_guard lock(mutex);
      calls.emplace_back(key, std::move(done));
    };
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return calls.size();
  }
  void complete(std::size_t index, CredentialsResult result) {
    CredentialsDone done;
    {
      std::lock_guard lock(mutex);
      done = std::move(calls.at(index).second);
    }
    done(std::move(result));
  }
};

AwsCredentials expiringAt(std::int64_t at, std::string id = "ASIAFIRST") {
  return AwsCredentials{std::move(id), "secret", "token", common::UnixSeconds(std::chrono::seconds(at))};
}

// The last answer a caller got.
struct Answer {
  std::optional<CredentialsResult> result;
  CredentialsDone done() {
    return [this](CredentialsResult r) { result.emplace(std::move(r)); };
  }
  std::string keyId() const { return result && *result ? (*result)->access_key_id : "(none)"; }
};

class CredentialCacheTest : public ::testing::Test {
protected:
  TestClock clock{kStart};
  ManualFetch fetch;
  CredentialCache cache{fetch.fetch(), clock, {.refresh_before_expiry = std::chrono::seconds(600),
                                               .failure_hold = std::chrono::seconds(5)}};
};

TEST_F(CredentialCacheTest, OneFetchServesEveryCallerUntilShortlyBeforeExpiry) {
  Answer first, second;
  cache.get("user-a", first.done());
  cache.get("user-a", second.done());
  ASSERT_EQ(fetch.count(), 1u) << "the second caller joins the fetch in flight";
  EXPECT_FALSE(first.result);
  fetch.complete(0, expiringAt(kStart + 3600));
  EXPECT_EQ(first.keyId(), "ASIAFIRST");
  EXPECT_EQ(second.keyId(), "ASIAFIRST");

  clock.advance(std::chrono::seconds(2999));  // 601 s left: still fresh
  Answer third;
  cache.get("user-a", third.done());
  EXPECT_EQ(third.keyId(), "ASIAFIRST");
  EXPECT_EQ(fetch.count(), 1u);

  clock.advance(std::chrono::seconds(1));  // 600 s left: refresh
  Answer fourth;
  cache.get("user-a", fourth.done());
  ASSERT_EQ(fetch.count(), 2u);
  fetch.complete(1, expiringAt(kStart + 7200, "ASIASECOND"));
  EXPECT_EQ(fourth.keyId(), "ASIASECOND");
  const auto stats = cache.stats();
  EXPECT_EQ(stats.fetches, 2u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.joined, 1u);
}

TEST_F(CredentialCacheTest, KeysAreSeparate) {
  Answer a, b;
  cache.get("user-a", a.done());
  cache.get("user-b", b.done());
  ASSERT_EQ(fetch.count(), 2u);
  EXPECT_EQ(fetch.calls[0].first, "user-a");
  EXPECT_EQ(fetch.calls[1].first, "user-b");
  fetch.complete(1, expiringAt(kStart + 3600, "ASIABBBB"));
  EXPECT_FALSE(a.result);
  EXPECT_EQ(b.keyId(), "ASIABBBB");
}

TEST_F(CredentialCacheTest, FailedRefreshServesStillValidCredentials) {
  Answer first;
  cache.get("user-a", first.done());
  fetch.complete(0, expiringAt(kStart + 1000));
  clock.advance(std::chrono::seconds(500));  // 500 s left: refresh due, still valid
  Answer second;
  cache.get("user-a", second.done());
  fetch.complete(1, common::failure("STS down"));
  EXPECT_EQ(second.keyId(), "ASIAFIRST");
  EXPECT_EQ(cache.stats().stale, 1u);

  clock.advance(std::chrono::seconds(600));  // expired: nothing valid to fall back on
  Answer third;
  cache.get("user-a", third.done());
  ASSERT_EQ(fetch.count(), 3u);
  fetch.complete(2, common::failure("STS down"));
  ASSERT_TRUE(third.result);
  ASSERT_FALSE(*third.result);
  EXPECT_EQ(third.result->error().reason, "STS down");
}

TEST_F(CredentialCacheTest, AFailureIsHeldBrieflyThenRetried) {
  Answer first;
  cache.get("user-a", first.done());
  fetch.complete(0, common::failure("AccessDenied"));
  Answer second;
  cache.get("user-a", second.done());
  EXPECT_EQ(fetch.count(), 1u) << "held: a retrying client does not become a flood of STS calls";
  ASSERT_TRUE(second.result);
  EXPECT_FALSE(*second.result);
  clock.advance(std::chrono::seconds(5));
  Answer third;
  cache.get("user-a", third.done());
  EXPECT_EQ(fetch.count(), 2u);
  EXPECT_EQ(cache.stats().failures, 1u);
}

TEST_F(CredentialCacheTest, CredentialsWithoutExpiryAreKept) {
  Answer first;
  cache.get("", first.done());
  fetch.complete(0, AwsCredentials{"AKIALONGTERM", "secret", "", std::nullopt});
  clock.advance(std::chrono::hours(24 * 365));
  Answer second;
  cache.get("", second.done());
  EXPECT_EQ(second.keyId(), "AKIALONGTERM");
  EXPECT_EQ(fetch.count(), 1u);
}

// Many threads asking at once for the same user cause one fetch, and all get its answer.
TEST_F(CredentialCacheTest, ConcurrentCallersShareOneFetch) {
  constexpr int kThreads = 16;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      cache.get("user-a", [&](CredentialsResult r) {
        if (r && r->access_key_id == "ASIAFIRST") {
          ++answered;
        }
      });
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  ASSERT_EQ(fetch.count(), 1u);
  fetch.complete(0, expiringAt(kStart + 3600));
  EXPECT_EQ(answered.load(), kThreads);
}

}  // namespace
}  // namespace oh::gateway::credentials
