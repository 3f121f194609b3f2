#pragma once
// Slows password guessing on the local login page: after a few free failures, each further
// failure locks the account name (and, separately, the client IP) for an exponentially growing
// time, capped. Names that do not exist are throttled exactly like real ones, so the lockout
// does not reveal which accounts exist. Counters fade after `forget_after` without failures.
// Thread-safe; bounded memory (oldest entries are evicted first).

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

  // Before checking the password: may this attempt proceed?
  ThrottleDecision check(std::string_view account, std::string_view client_ip);
  void recordFailure(std::string_view account, std::string_view client_ip);
  // Clears the account's counter (not the IP's: an attacker must not reset it with their own account).
  void recordSuccess(std::string_view account);

  std::size_t trackedEntries() const;

private:
  struct Entry {
    unsigned failures = 0;
    common::UnixSeconds last_failure{};
    common::UnixSeconds locked_until{};
  };
  void fail(const std::string& key, unsigned free_failures, common::UnixSeconds now);
  std::chrono::seconds remaining(const std::string& key, common::UnixSeconds now) const;
  void evictIfFull(common::UnixSeconds now);

  const common::WallClock& clock_;
  const ThrottleOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // keys "a:<lowercased account>" and "i:<ip>"
};

}  // namespace oh::gateway::auth
