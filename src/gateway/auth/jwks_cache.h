#pragma once
// The provider's signing keys, cached by kid. An unknown kid (the provider rotated its keys)
// triggers a refetch, at most once per min_refetch_interval so a flood of tokens with random
// kids cannot turn the gateway into a JWKS amplifier. A failed fetch keeps the cached keys:
// tokens signed with known keys keep verifying while the provider's JWKS endpoint is down.
// A fetched document with no usable key is treated as a failure too (a broken endpoint must
// not sign everyone out).
//
// Thread-safe. The fetch itself is an injected JwksFetcher run on the calling thread by
// findKey/refresh; a server that must not block uses findCached/claimRefetch/applyFetch.

#include "common/wall_clock.h"
#include "auth/jwks.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace oh::gateway::auth {

class JwksFetcher {
public:
  virtual ~JwksFetcher() = default;
  // The JWKS document body, or a reason the fetch failed.
  virtual Result<std::string> fetchJwks() = 0;
};

struct JwksCacheOptions {
  std::chrono::seconds min_refetch_interval{60};
};

class JwksCache final : public KeyLookup {
public:
  JwksCache(JwksFetcher& fetcher, const common::WallClock& clock, JwksCacheOptions options = {});

  // Fetches now (start-up, or an explicit refresh). Subject to the same rate limit as
  // refetches unless force is true. Returns the reason on failure; keeps old keys.
  Result<std::size_t> refresh(bool force = false);

  // KeyLookup: cached key, else (rate limit permitting) a synchronous refetch.
  std::optional<Jwk> findKey(std::string_view kid) override;

  // The same policy without blocking, for an asynchronous fetch by the server:
  //   if (!cache.findCached(kid) && cache.claimRefetch()) { fetch async; cache.applyFetch(result); retry; }
  std::optional<Jwk> findCached(std::string_view kid) const;
  // True if a fetch may start now (and records the attempt, so concurrent callers get false).
  bool claimRefetch();
  Result<std::size_t> applyFetch(Result<std::string> body);

  std::size_t keyCount() const;
  std::size_t fetchCount() const;
  std::string lastError() const;

private:
  Result<std::size_t> fetchLocked();
  Result<std::size_t> applyLocked(Result<std::string> body);

  JwksFetcher& fetcher_;
  const common::WallClock& clock_;
  const JwksCacheOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const StaticKeys> keys_;
  std::optional<common::UnixSeconds> last_attempt_;
  std::size_t fetches_ = 0;
  std::string last_error_;
};

}  // namespace oh::gateway::auth
