#pragma once
// Token-bucket rate limiting per client key (the client IP). Thread-safe: buckets are sharded
// by key hash, each shard behind its own mutex, so threads rarely contend. The table is bounded
// (max_tracked_clients): full buckets are evicted first, so memory cannot grow with a flood
// of distinct addresses.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

namespace oh::gateway {

struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: whole seconds until one token is back (1..86400)
};

class RateLimiter {
public:
  using Clock = std::chrono::steady_clock;
  // tokens_per_second > 0 and burst >= 1 (the configuration guarantees it; other values are
  // clamped). shard_count (>= 1) trades lock contention against eviction precision; the
  // default suits a server, tests pass 1 to make eviction order observable.
  RateLimiter(double tokens_per_second, double burst, std::size_t max_tracked_clients,
              std::size_t shard_count = 16);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token for `client_key` at time `now` (injected so tests control time).
  RateDecision admit(std::string_view client_key, Clock::time_point now);

  std::size_t trackedClients() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oh::gateway
