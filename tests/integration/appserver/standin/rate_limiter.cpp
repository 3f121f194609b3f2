#include "rate_limiter.h"

#include <arpa/inet.h>

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

namespace {

// An IP literal in one canonical spelling (uvicorn compares ipaddress objects, so "::1" and
// "0::1" are one host); anything else as it is (uvicorn keeps those as literals).
std::string canonical(const std::string& host) {
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN];
  if (host.find('\0') == std::string::npos) {
    if (::inet_pton(AF_INET, host.c_str(), bytes) == 1) return ::inet_ntop(AF_INET, bytes, text, sizeof text);
    if (::inet_pton(AF_INET6, host.c_str(), bytes) == 1) return ::inet_ntop(AF_INET6, bytes, text, sizeof text);
  }
  return host;
}

// _parse_raw_hosts: split on ",", each entry stripped.
std::vector<std::string> parseRawHosts(const std::string& value) {
  std::vector<std::string> hosts;
  std::size_t at = 0;
  for (;;) {
    const auto comma = value.find(',', at);
    std::string host = value.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    host.erase(0, host.find_first_not_of(" \t"));
    host.erase(host.find_last_not_of(" \t") + 1);
    hosts.push_back(host);
    if (comma == std::string::npos) return hosts;
    at = comma + 1;
  }
}

}  // namespace

// uvicorn 0.35.0 middleware/proxy_headers.py:27-60 and _TrustedHosts (:67-142); CIDR entries
// (":95-101") are not modelled: the pool passes one address.
std::string clientHost(const std::string& peer, const std::optional<std::string>& forwarded_for,
                       const std::vector<std::string>& trusted) {
  // always_trust only for exactly "*" (":71"); "*" inside a list is a literal like any other.
  const bool always_trust = trusted.size() == 1 && trusted.front() == "*";
  const auto is_trusted = [&](const std::string& host) {
    if (always_trust) return true;
    if (host.empty()) return false;  // ":113-114"
    const std::string wanted = canonical(host);
    return std::any_of(trusted.begin(), trusted.end(), [&](const std::string& entry) { return canonical(entry) == wanted; });
  };
  if (!forwarded_for || !is_trusted(peer)) return peer;
  const std::vector<std::string> hosts = parseRawHosts(*forwarded_for);
  std::string host = hosts.front();  // all trusted, or always_trust: the left-most (":132-133, 140-142")
  if (!always_trust) {
    for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
      if (!is_trusted(*it)) {
        host = *it;
        break;
      }
    }
  }
  // An empty result leaves the client as it was (":50-53", uvicorn issue 1068).
  return host.empty() ? peer : host;
}

}  // namespace oh::appserver_standin
