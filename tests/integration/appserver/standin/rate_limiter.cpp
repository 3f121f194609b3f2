#include "rate_limiter.h"

#include <algorithm>

namespace oh::appserver_standin {

RateLimiter::Decision RateLimiter::check(const std::string& key, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  auto& history = history_[key];
  // _clean_old_requests keeps timestamps strictly newer than now - seconds (middleware.py:88-91).
  while (!history.empty() && history.front() <= now - window_) history.pop_front();
  history.push_back(now);
  if (history.size() > requests_ * 2) return Decision::refuse;
  if (history.size() > requests_) return Decision::delay;
  return Decision::allow;
}

std::string clientHost(const std::string& peer, const std::optional<std::string>& forwarded_for,
                       const std::vector<std::string>& trusted) {
  const auto is_trusted = [&](const std::string& host) {
    return std::find(trusted.begin(), trusted.end(), "*") != trusted.end() ||
           std::find(trusted.begin(), trusted.end(), host) != trusted.end();
  };
  if (!forwarded_for || !is_trusted(peer)) return peer;
  std::vector<std::string> hosts;
  std::size_t at = 0;
  while (at <= forwarded_for->size()) {
    const auto comma = forwarded_for->find(',', at);
    std::string host = forwarded_for->substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    host.erase(0, host.find_first_not_of(' '));
    host.erase(host.find_last_not_of(' ') + 1);
    hosts.push_back(host);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
    if (!is_trusted(*it)) return *it;
  }
  return hosts.empty() ? peer : hosts.front();
}

}  // namespace oh::appserver_standin
