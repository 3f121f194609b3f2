#include "auth/jwks_cache.h"

#include <fmt/format.h>

namespace oh::gateway::auth {

JwksCache::JwksCache(JwksFetcher& fetcher, const common::WallClock& clock, JwksCacheOptions options)
    : fetcher_(fetcher), clock_(clock), options_(options), keys_(std::make_shared<StaticKeys>(JwkSet{})) {}

Result<std::size_t> JwksCache::fetchLocked() {
  last_attempt_ = clock_.now();
  ++fetches_;
  return applyLocked(fetcher_.fetchJwks());
}

Result<std::size_t> JwksCache::applyLocked(Result<std::string> body) {
  if (!body) {
    last_error_ = "JWKS fetch failed: " + body.error().reason;
    return failure(last_error_);
  }
  Result<JwkSet> set = parseJwks(*body);
  if (!set) {
    last_error_ = "JWKS unusable: " + set.error().reason;
    return failure(last_error_);
  }
  if (set->keys.empty()) {
    last_error_ = fmt::format("JWKS has no usable signing key ({} skipped)", set->skipped.size());
    return failure(last_error_);
  }
  const std::size_t count = set->keys.size();
  keys_ = std::make_shared<StaticKeys>(std::move(set).value());
  last_error_.clear();
  return count;
}

Result<std::size_t> JwksCache::refresh(bool force) {
  std::lock_guard lock(mutex_);
  if (!force && last_attempt_ && clock_.now() < *last_attempt_ + options_.min_refetch_interval) {
    return failure("JWKS refetch rate-limited");
  }
  return fetchLocked();
}

std::optional<Jwk> JwksCache::findKey(std::string_view kid) {
  std::lock_guard lock(mutex_);
  if (auto key = keys_->find(kid)) {
    return key;
  }
  if (last_attempt_ && clock_.now() < *last_attempt_ + options_.min_refetch_interval) {
    return std::nullopt;
  }
  if (!fetchLocked()) {
    return std::nullopt;
  }
  return keys_->find(kid);
}

std::optional<Jwk> JwksCache::findCached(std::string_view kid) const {
  std::lock_guard lock(mutex_);
  return keys_->find(kid);
}

bool JwksCache::claimRefetch() {
  std::lock_guard lock(mutex_);
  if (last_attempt_ && clock_.now() < *last_attempt_ + options_.min_refetch_interval) {
    return false;
  }
  last_attempt_ = clock_.now();
  ++fetches_;
  return true;
}

Result<std::size_t> JwksCache::applyFetch(Result<std::string> body) {
  std::lock_guard lock(mutex_);
  return applyLocked(std::move(body));
}

std::size_t JwksCache::keyCount() const {
  std::lock_guard lock(mutex_);
  return keys_->set().keys.size();
}

std::size_t JwksCache::fetchCount() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

std::string JwksCache::lastError() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

}  // namespace oh::gateway::auth
