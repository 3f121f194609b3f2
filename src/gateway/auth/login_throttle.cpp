#include "auth/login_throttle.h"

#include <algorithm>

namespace oh::gateway::auth {
namespace {

std::string accountKey(std::string_view account) {
  std::string key = "a:";
  for (const char c : account.substr(0, 256)) {
    key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return key;
}

std::string ipKey(std::string_view ip) {
  std::string key = "i:";
  key += ip.substr(0, 64);
  return key;
}

}  // namespace

LoginThrottle::LoginThrottle(const common::WallClock& clock, ThrottleOptions options)
    : clock_(clock), options_(options) {}

std::chrono::seconds LoginThrottle::remaining(const std::string& key, common::UnixSeconds now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.locked_until) {
    return std::chrono::seconds(0);
  }
  return it->second.locked_until - now;
}

ThrottleDecision LoginThrottle::reserve(std::string_view account, std::string_view client_ip) {
  const std::string account_key = accountKey(account);
  const std::string ip_key = ipKey(client_ip);
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  const auto wait = std::max(remaining(account_key, now), remaining(ip_key, now));
  if (wait.count() > 0) {
    return {false, wait};
  }
  // Counted now, under the same lock as the check: the next attempt sees it, finished or not.
  evictIfFull(now);
  fail(account_key, options_.free_failures_per_account, now);
  fail(ip_key, options_.free_failures_per_ip, now);
  return {true, std::chrono::seconds(0)};
}

void LoginThrottle::fail(const std::string& key, unsigned free_failures, common::UnixSeconds now) {
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure >= options_.forget_after) {
    e.failures = 0;
  }
  ++e.failures;
  e.last_failure = now;
  if (e.failures > free_failures) {
    const unsigned doublings = std::min(e.failures - free_failures - 1, 30u);
    const auto delay = std::min(options_.base_delay * (std::int64_t{1} << doublings), options_.max_delay);
    e.locked_until = now + delay;
  }
}

void LoginThrottle::evictIfFull(common::UnixSeconds now) {
  if (entries_.size() < options_.max_tracked) {
    return;
  }
  std::erase_if(entries_, [&](const auto& kv) {
    return now >= kv.second.locked_until && now - kv.second.last_failure >= options_.forget_after;
  });
  while (entries_.size() >= options_.max_tracked) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.last_failure < b.second.last_failure;
    });
    entries_.erase(oldest);
  }
}

void LoginThrottle::takeBack(const std::string& key, unsigned free_failures) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return;  // forgotten (evicted) since: nothing to take back
  }
  Entry& e = it->second;
  if (e.failures > 0) {
    --e.failures;
  }
  if (e.failures <= free_failures) {
    e.locked_until = {};  // the lock this attempt's count set, if any
  }
  if (e.failures == 0) {
    entries_.erase(it);
  }
}

void LoginThrottle::recordSuccess(std::string_view account, std::string_view client_ip) {
  const std::string account_key = accountKey(account);
  const std::string ip_key = ipKey(client_ip);
  std::lock_guard lock(mutex_);
  entries_.erase(account_key);
  takeBack(ip_key, options_.free_failures_per_ip);
}

void LoginThrottle::release(std::string_view account, std::string_view client_ip) {
  const std::string account_key = accountKey(account);
  const std::string ip_key = ipKey(client_ip);
  std::lock_guard lock(mutex_);
  takeBack(account_key, options_.free_failures_per_account);
  takeBack(ip_key, options_.free_failures_per_ip);
}

std::size_t LoginThrottle::trackedEntries() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace oh::gateway::auth
