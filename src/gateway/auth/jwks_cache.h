#pragma once
// The provider's signing keys, cached by kid. An unknown kid (the provider rotated its keys)
// triggers a refetch, at most once per min_refetch_interval so a flood of tokens with random
// kids cannot turn the gateway into a JWKS amplifier. A failed fetch keeps the cached keys:
// tokens signed with known keys keep verifying while the provider's JWKS endpoint is down.
// A fetched document with no usable key is treated as a failure too (a broken endpoint must
// not sign everyone out).
//
// Thread-safe. The fetch itself is an injected JwksFetcher; it runs on the calling thread,
// so the server must call findKey from a thread that may block (see docs/auth.md).

#include "common/wall_clock.h"
#include "gateway/auth/jwks.h"

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

  // KeyLookup
  std::optional<Jwk> findKey(std::string_view kid) override;

  std::size_t keyCount() const;
  std::size_t fetchCount() const;
  std::string lastError() const;

private:
  Result<std::size_t> fetchLocked();

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
