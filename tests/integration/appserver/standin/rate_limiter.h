#pragma once
// OpenHands' own rate limit (app.py:83-86: InMemoryRateLimiter(requests=10, seconds=1) behind
// RateLimitMiddleware, middleware.py:75-136): per client key, the requests of the last second
// are counted including this one; above 20 the request is refused with 429, above 10 it is
// delayed one second and served. Every path but /assets is limited (middleware.py:132-136).
//
// The key is request.client.host (middleware.py:94): the TCP peer, rewritten by uvicorn's
// proxy-headers middleware from X-Forwarded-For only when the peer is in FORWARDED_ALLOW_IPS
// (default "127.0.0.1"). clientHost() does that rewrite; docs/instance.md cites uvicorn.

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace oh::appserver_standin {

class RateLimiter {
public:
  enum class Decision { allow, delay, refuse };
  using Clock = std::chrono::steady_clock;

  RateLimiter(std::size_t requests = 10, std::chrono::seconds window = std::chrono::seconds(1))
      : requests_(requests), window_(window) {}

  Decision check(const std::string& key, Clock::time_point now = Clock::now());
  static bool limited(const std::string& path) { return path.rfind("/assets", 0) != 0; }

private:
  std::size_t requests_;
  Clock::duration window_;
  std::mutex mutex_;
  std::map<std::string, std::deque<Clock::time_point>> history_;
};

// request.client.host as uvicorn computes it: the peer, or (peer trusted) the right-most
// X-Forwarded-For entry that is not itself trusted (all trusted, or FORWARDED_ALLOW_IPS exactly
// "*": the left-most); an empty entry chosen leaves the peer. Addresses compare as addresses.
std::string clientHost(const std::string& peer, const std::optional<std::string>& forwarded_for,
                       const std::vector<std::string>& trusted);

}  // namespace oh::appserver_standin
