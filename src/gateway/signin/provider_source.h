#pragma once
// The provider's endpoints and JWKS as the sign-in sees them: known at once for Cognito (derived
// from the region, pool and domain), discovered for an OIDC provider. Discovery never stops the
// gateway: one attempt at build time, then retries in the background with capped exponential
// backoff until the document is fetched and accepted. Until then current() is null, the sign-in
// answers 503 + Retry-After where it needs the provider, and /_gateway/ready names the reason.
// Kept across reloads by SignInServices (per HTTPS client and issuer), so a reload neither
// forgets a discovered provider nor starts a second retry loop. Private to oh_gateway_signin.
//
//   auto source = ProviderSource::discover(client, {issuer, loopback_ok, token_use}, clock, schedule);
//   source->discoverNow();            // build time: blocking, at most one client timeout
//   source->retryInBackground();      // no-op once discovered or while a retry is pending
//   if (auto p = source->current()) { ... p->provider.token_endpoint, p->jwks ... }

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/oidc_provider.h"
#include "common/wall_clock.h"
#include "outbound/https_client.h"
#include "signin/jwks_source.h"

namespace oh::gateway::signin {

// Runs a job once after a delay, on some thread of its own (never the caller's, never inline).
using ScheduleFn = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

struct ProviderEndpoints {
  auth::OidcProvider provider;
  std::shared_ptr<JwksSource> jwks;
};

class ProviderSource : public std::enable_shared_from_this<ProviderSource> {
public:
  struct Discovery {
    std::string issuer;                // auth.oidc.issuer
    bool allow_loopback_http = false;  // mode = local: http endpoints on loopback
    bool require_token_use_id = false;
    std::chrono::milliseconds initial_backoff{1000};  // first retry after a failed attempt
    std::chrono::milliseconds max_backoff{30000};     // doubling stops here
  };

  // Cognito: the endpoints are known; always ready.
  static std::shared_ptr<ProviderSource> known(auth::OidcProvider provider, std::shared_ptr<JwksSource> jwks);
  // OIDC: nothing known until discoverNow() or a background retry succeeds. `client` and the
  // scheduler must outlive the source's pending work (SignInServices stops it first).
  static std::shared_ptr<ProviderSource> discover(HttpsClient& client, Discovery discovery,
                                                  const common::WallClock& clock, ScheduleFn schedule);

  // Blocking (build time only, never on the client's thread). True once discovered.
  bool discoverNow();
  // Starts the retry loop unless discovered, stopped or already retrying.
  void retryInBackground();
  // No further attempt is sent or scheduled (SignInServices' destructor, or a source no
  // configuration uses any more). Pending callbacks then do nothing.
  void stop();

  // Lock-free read for the request path; null while not discovered.
  std::shared_ptr<const ProviderEndpoints> current() const { return current_.load(std::memory_order_acquire); }
  // "OIDC discovery of <issuer> failed: <why>" while not discovered; nullopt once it is.
  std::optional<std::string> notReadyReason() const;
  // For Retry-After: the delay before the next attempt, at least one second.
  std::chrono::seconds retryAfter() const;
  const std::string& issuer() const { return discovery_.issuer; }

private:
  ProviderSource(HttpsClient* client, Discovery discovery, const common::WallClock* clock, ScheduleFn schedule);

  OutboundRequest discoveryRequest() const;
  // Applies one attempt's answer; true when the provider is now known.
  bool accept(const OutboundResult& result);
  void attemptAsync();
  void onAsyncAnswer(const OutboundResult& result);

  HttpsClient* client_ = nullptr;
  const Discovery discovery_;
  const common::WallClock* clock_ = nullptr;
  const ScheduleFn schedule_;
  std::atomic<std::shared_ptr<const ProviderEndpoints>> current_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;  // the fields below; never taken on the request path when ready
  std::string last_failure_ = "not attempted yet";
  std::chrono::milliseconds backoff_{0};
  bool retrying_ = false;
  unsigned attempts_ = 0;
};

}  // namespace oh::gateway::signin
