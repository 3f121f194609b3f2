#pragma once
// The provider's JWKS behind the gateway's HTTPS client: a JwksCache whose blocking fetcher is
// used only while building (start-up, reload), plus a non-blocking path for requests: when an
// ID token names a kid the cache does not hold, ensureKey() starts one asynchronous GET (at
// most once a minute, the cache's rate limit) and continues when it is answered, so a worker
// thread never waits for the provider. Private to oh_gateway_signin.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "auth/jwks_cache.h"
#include "common/wall_clock.h"
#include "outbound/https_client.h"

namespace oh::gateway::signin {

// Sends and waits for the answer; for build time only (never on the client's own thread).
OutboundResult sendBlocking(HttpsClient& client, OutboundRequest request);

// A 200 answer's body, or why there is none (for the log).
auth::Result<std::string> bodyOf200(const OutboundResult& result, std::string_view what);

class JwksSource final : public auth::JwksFetcher {
public:
  JwksSource(HttpsClient& client, std::string jwks_uri, const common::WallClock& clock);

  // JwksFetcher (blocking): used by cache().refresh() at build time.
  auth::Result<std::string> fetchJwks() override;

  auth::JwksCache& cache() { return cache_; }
  const std::string& uri() const { return uri_; }
  const HttpsClient* client() const { return &client_; }

  // Runs `then` (here, or later on the client's thread) once `kid` is cached or cannot be
  // fetched now. The caller then verifies with cachedKeys().
  void ensureKey(std::string_view kid, std::function<void()> then);

  // Looks keys up in the cache only; never fetches.
  auth::KeyLookup& cachedKeys() { return cached_; }

private:
  class CachedKeys final : public auth::KeyLookup {
  public:
    explicit CachedKeys(auth::JwksCache& cache) : cache_(cache) {}
    std::optional<auth::Jwk> findKey(std::string_view kid) override { return cache_.findCached(kid); }

  private:
    auth::JwksCache& cache_;
  };

  HttpsClient& client_;
  std::string uri_;
  auth::JwksCache cache_;
  CachedKeys cached_{cache_};
};

}  // namespace oh::gateway::signin
