#pragma once
// Credentials by key (a user key; "" for the gateway's own), fetched once and kept until
// shortly before they expire: one fetch per key per period however many callers ask at once
// (single flight: callers arriving while a fetch runs wait for its answer). When a refresh
// fails while the old credentials are still valid, those are served; a failure with nothing
// valid is remembered for a few seconds so a retrying client cannot turn into a flood of calls.
//
//   CredentialCache users(fetchByAssumeRole, clock, {.refresh_before_expiry = 20min});
//   users.get(user_key, [](CredentialsResult r) { ... });   // r: credentials or a reason
//
// Thread-safe. `done` runs exactly once: at once on the caller's thread when the cache can
// answer, otherwise on whatever thread the fetch completes on. Never called under a lock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/wall_clock.h"
#include "credentials/aws_credentials.h"

namespace oh::gateway::credentials {

using CredentialsResult = common::Result<control::aws::AwsCredentials>;
using CredentialsDone = std::function<void(CredentialsResult)>;

class CredentialCache {
public:
  // Fetches the key's credentials and calls done once (on any thread).
  using Fetch = std::function<void(const std::string& key, CredentialsDone done)>;

  struct Options {
    std::chrono::seconds refresh_before_expiry{20 * 60};  // botocore refreshes 15 min before expiry
    std::chrono::seconds failure_hold{5};                  // a failure answers again for this long
    std::size_t max_keys = 100000;                         // beyond it, expired entries are dropped
  };

  struct Stats {
    std::uint64_t hits = 0;      // answered from the cache
    std::uint64_t fetches = 0;   // fetches started
    std::uint64_t failures = 0;  // fetches that failed
    std::uint64_t joined = 0;    // callers that waited for a fetch another caller started
    std::uint64_t stale = 0;     // answers with still-valid credentials after a failed refresh
  };

  CredentialCache(Fetch fetch, const common::WallClock& clock, Options options);
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  void get(const std::string& key, CredentialsDone done);
  Stats stats() const;

private:
  struct Entry {
    std::optional<control::aws::AwsCredentials> credentials;
    std::vector<CredentialsDone> waiting;  // non-empty while a fetch runs
    std::optional<common::UnixSeconds> failed_at;
    std::string failure;
  };

  bool fresh(const control::aws::AwsCredentials& credentials, common::UnixSeconds now) const;
  static bool valid(const control::aws::AwsCredentials& credentials, common::UnixSeconds now);
  void finish(const std::string& key, CredentialsResult result);
  void dropExpiredLocked(common::UnixSeconds now);

  Fetch fetch_;
  const common::WallClock& clock_;
  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::atomic<std::uint64_t> hits_{0}, fetches_{0}, failures_{0}, joined_{0}, stale_{0};
};

}  // namespace oh::gateway::credentials
