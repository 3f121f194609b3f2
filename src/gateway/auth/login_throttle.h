#pragma once
// Slows password guessing on the local login page: after a few free failures, each further
// failure locks the account name (and, separately, the client IP) for an exponentially growing
// time, capped. Names that do not exist are throttled exactly like real ones, so the lockout
// does not reveal which accounts exist. Counters fade after `forget_after` without failures.
// Thread-safe; bounded memory (oldest entries are evicted first).
//
// An attempt is counted as a failure when it is admitted, before its password hash runs (the
// hash takes ~100 ms, long enough for a burst of parallel attempts to all pass a check that
// counted only finished failures); a success then takes its count back. So the limit holds
// however many attempts arrive at once.

#include "common/wall_clock.h"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oh::gateway::auth {

struct ThrottleOptions {
  unsigned free_failures_per_account = 5;
  unsigned free_failures_per_ip = 20;  // one office behind NAT shares an IP
  std::chrono::seconds base_delay{1};
  std::chrono::seconds max_delay{15 * 60};
  std::chrono::seconds forget_after{60 * 60};
  std::size_t max_tracked = 100000;
};

struct ThrottleDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: whole seconds (>= 1)
};

class LoginThrottle {
public:
  LoginThrottle(const common::WallClock& clock, ThrottleOptions options = {});

  // Before checking the password: may this attempt proceed? When it may, it is counted at once
  // as a failure of the account and the IP (and may lock them for the attempts that follow).
  ThrottleDecision reserve(std::string_view account, std::string_view client_ip);
  // The admitted attempt's password was right: clears the account's counter and takes back the
  // IP's count for this attempt (not the IP's others: an attacker must not reset it with their
  // own account).
  void recordSuccess(std::string_view account, std::string_view client_ip);
  // The admitted attempt was never checked (no thread free to hash): takes back both counts.
  void release(std::string_view account, std::string_view client_ip);

  std::size_t trackedEntries() const;

private:
  struct Entry {
    unsigned failures = 0;
    common::UnixSeconds last_failure{};
    common::UnixSeconds locked_until{};
  };
  void fail(const std::string& key, unsigned free_failures, common::UnixSeconds now);
  void takeBack(const std::string& key, unsigned free_failures);
  std::chrono::seconds remaining(const std::string& key, common::UnixSeconds now) const;
  void evictIfFull(common::UnixSeconds now);

  const common::WallClock& clock_;
  const ThrottleOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // keys "a:<lowercased account>" and "i:<ip>"
};

}  // namespace oh::gateway::auth
