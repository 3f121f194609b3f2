#pragma once
// The sign-in side of the request gate (issue 4): given a request, either answer it (login page,
// /_callback, /_logout, runtime hand-off, 302 to sign-in, 401 JSON, 403) or say who it is from
// and how its headers change (identity headers set, a renewed cookie added to the response). routing/gateway_gate.h composes it with runtime routing.
//
// Built from [auth] on start and on every reload (SignInServices::build); long-lived state (JWKS
// cache, opened-session cache, ticket replay cache, login throttle, the HTTPS client and the
// password-hashing threads) lives in SignInServices and survives reloads.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "common/random_source.h"
#include "common/wall_clock.h"
#include "config/settings.h"
#include "http/request_gate.h"
#include "outbound/https_client.h"

namespace oh::gateway {

enum class HostRole {
  main,     // a configured main host (auth.callback_hosts): the OpenHands UI and API
  runtime,  // {port}-{convId}.runtime.{sub}.{domain}: a user's app; own cookie via the hand-off
};

struct AuthOutcome {
  // Set when the sign-in code answers the request itself (or needs its body first).
  std::optional<GateDecision> decision;
  // The signed-in user; empty when anonymous access was allowed and there is no session.
  std::optional<Identity> identity;
  // Header edits for the forwarded request (identity headers, X-Cognito-* removal) and cookies
  // added to the response; its targets and Cookie header are left alone (GatewayGate takes
  // the platform cookies out for whichever destination the request goes to).
  ForwardPlan plan;
};

class SignIn {
public:
  using Done = std::function<void(AuthOutcome)>;
  virtual ~SignIn() = default;
  // Same threading contract as RequestGate::admit. allow_anonymous: a request without a session
  // continues with no identity instead of being challenged (runtime.access = "public").
  virtual void authenticate(const GateRequest& request, HostRole role, bool allow_anonymous, Done done) = 0;
  // Why sign-ins cannot work yet (the OIDC provider not discovered), for /_gateway/ready.
  virtual std::optional<std::string> notReadyReason() const { return std::nullopt; }
};

// What SignInServices uses from the outside world; every member has a production default, and
// tests replace them (a fake provider client, an inline executor, a settable clock).
struct SignInDependencies {
  std::shared_ptr<const common::WallClock> clock;   // default: the system clock
  std::shared_ptr<common::RandomSource> random;     // default: the OS CSPRNG
  // Creates the client for the provider's discovery, JWKS and token endpoint; default
  // HttpsClient::create. Called again only when auth.ca_file or auth.http_timeout_seconds change.
  std::function<std::variant<std::unique_ptr<HttpsClient>, std::string>(const HttpsClient::Options&)> make_client;
  // Runs a password check off the I/O threads; false when its queue is full (the login gets
  // 503). Default: a BlockingPool of 2 threads and 32 queued jobs, created on first use.
  std::function<bool(std::function<void()>)> submit_blocking;
  // Runs a job once after a delay on a thread of its own (OIDC discovery retries). Default: one
  // thread owned by the services, started on first use.
  std::function<void(std::chrono::milliseconds, std::function<void()>)> schedule;
};

class SignInServices {
public:
  SignInServices();
  explicit SignInServices(SignInDependencies dependencies);
  ~SignInServices();
  SignInServices(const SignInServices&) = delete;
  SignInServices& operator=(const SignInServices&) = delete;

  // The sign-in for these settings, or the problem (unreadable key file, bad Cognito settings,
  // ...) as text; a reload that fails keeps the previous one. Null for auth.provider = "none".
  // An unreachable OIDC provider is not a problem here: the sign-in is built, answers 503 where
  // it needs the provider and reports notReadyReason() while discovery retries in the
  // background; a provider discovered once stays discovered across reloads. Blocks (key files,
  // users file, one OIDC discovery attempt, first JWKS fetch): call it at start and on reload,
  // never from a worker thread. A SignIn must not outlive the services that built
  // it (they own its HTTPS client and password-hashing threads).
  std::variant<std::shared_ptr<SignIn>, std::string> build(const SettingsPtr& settings);

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace oh::gateway
