#include "policy/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace oh::gateway {
namespace {

// How many of the least recently used buckets are looked at for a full one before the
// oldest is evicted regardless: keeps insertion O(1) under a flood of new addresses.
constexpr std::size_t kEvictionScan = 8;
constexpr double kMaxRetryAfterSeconds = 86400;

struct Entry {
  std::string key;
  double tokens = 0;
  RateLimiter::Clock::time_point last;
};

// Keys of `index` view the strings inside `lru` nodes, which never move.
struct Shard {
  std::mutex mutex;
  std::list<Entry> lru;  // front: most recently used
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
  std::size_t capacity = 1;
};

}  // namespace

struct RateLimiter::Impl {
  double rate;
  double burst;
  std::vector<Shard> shards;

  Impl(double tokens_per_second, double bucket_size, std::size_t max_tracked_clients, std::size_t shard_count)
      : rate(tokens_per_second > 0 && std::isfinite(tokens_per_second) ? tokens_per_second : 1.0),
        burst(bucket_size >= 1 && std::isfinite(bucket_size) ? bucket_size : 1.0),
        shards(std::clamp<std::size_t>(max_tracked_clients, 1, std::max<std::size_t>(shard_count, 1))) {
    // Split the bound exactly, so the whole table never holds more than max_tracked_clients.
    const std::size_t total = std::max<std::size_t>(max_tracked_clients, 1);
    for (std::size_t i = 0; i < shards.size(); ++i) {
      shards[i].capacity = total / shards.size() + (i < total % shards.size() ? 1 : 0);
      shards[i].index.reserve(std::min<std::size_t>(shards[i].capacity, 4096));
    }
  }

  void refill(Entry& entry, Clock::time_point now) const {
    if (now > entry.last) {
      const double elapsed = std::chrono::duration<double>(now - entry.last).count();
      entry.tokens = std::min(burst, entry.tokens + elapsed * rate);
      entry.last = now;
    }
  }

  void evictOne(Shard& shard, Clock::time_point now) const {
    // A full bucket carries no information (a new one starts full), so it goes first.
    auto victim = std::prev(shard.lru.end());
    auto candidate = victim;
    for (std::size_t scanned = 0; scanned < kEvictionScan; ++scanned) {
      refill(*candidate, now);
      if (candidate->tokens >= burst) {
        victim = candidate;
        break;
      }
      if (candidate == shard.lru.begin()) {
        break;
      }
      --candidate;
    }
    shard.index.erase(victim->key);
    shard.lru.erase(victim);
  }
};

RateLimiter::RateLimiter(double tokens_per_second, double burst, std::size_t max_tracked_clients,
                         std::size_t shard_count)
    : impl_(std::make_unique<Impl>(tokens_per_second, burst, max_tracked_clients, shard_count)) {}

RateLimiter::~RateLimiter() = default;

RateDecision RateLimiter::admit(std::string_view client_key, Clock::time_point now) {
  const std::size_t hash = std::hash<std::string_view>{}(client_key);
  Shard& shard = impl_->shards[hash % impl_->shards.size()];
  std::lock_guard lock(shard.mutex);

  Entry* entry = nullptr;
  if (auto found = shard.index.find(client_key); found != shard.index.end()) {
    shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
    entry = &*found->second;
    impl_->refill(*entry, now);
  } else {
    if (shard.lru.size() >= shard.capacity) {
      impl_->evictOne(shard, now);
    }
    shard.lru.push_front(Entry{std::string(client_key), impl_->burst, now});
    entry = &shard.lru.front();
    shard.index.emplace(entry->key, shard.lru.begin());
  }

  if (entry->tokens >= 1.0) {
    entry->tokens -= 1.0;
    return {};
  }
  const double wait = std::ceil((1.0 - entry->tokens) / impl_->rate);
  const auto seconds = static_cast<std::int64_t>(std::clamp(wait, 1.0, kMaxRetryAfterSeconds));
  return RateDecision{false, std::chrono::seconds{seconds}};
}

std::size_t RateLimiter::trackedClients() const {
  std::size_t total = 0;
  for (Shard& shard : impl_->shards) {
    std::lock_guard lock(shard.mutex);
    total += shard.lru.size();
  }
  return total;
}

}  // namespace oh::gateway
