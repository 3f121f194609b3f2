#pragma once
// The SignIn of sign_in.h for the providers local, cognito and oidc: one class, because the
// session check, renewal, challenge, identity headers and runtime hand-off are the same for all
// three; what differs is how a sign-in starts (the provider's authorize URL, or the gateway's
// own login page) and whether a session can be renewed (only with a refresh token).
// Built by SignInServices::build; private to oh_gateway_signin.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/handoff_ticket.h"
#include "auth/local_users.h"
#include "auth/login_throttle.h"
#include "auth/sealed_box.h"
#include "auth/session_cache.h"
#include "auth/sign_in_flow.h"
#include "signin/jwks_source.h"
#include "signin/provider_source.h"
#include "signin/sign_in.h"
#include "signin/users_file_source.h"

namespace oh::gateway::signin {

// State that outlives one configuration (kept across reloads by SignInServices).
struct LongLivedState {
  std::shared_ptr<const common::WallClock> clock;
  std::shared_ptr<common::RandomSource> random;
  auth::SessionCache sessions;
  auth::ReplayCache replay;
  auth::LoginThrottle throttle;
  std::function<bool(std::function<void()>)> submit_blocking;

  LongLivedState(std::shared_ptr<const common::WallClock> c, std::shared_ptr<common::RandomSource> r)
      : clock(std::move(c)), random(std::move(r)), throttle(*clock) {}
};

// Everything one configuration decides, resolved (keys read, provider discovered).
struct SignInSetup {
  AuthProvider provider = AuthProvider::local;
  bool https = true;  // auth.cookie_secure: the external scheme and the cookies' Secure flag
  std::chrono::seconds session_lifetime{30 * 24 * 3600};
  std::shared_ptr<const auth::SealedBox> box;
  std::optional<std::string> ticket_key;
  std::vector<std::string> runtime_suffixes;
  // cognito / oidc: the flow's settings (client, callback hosts, scope, ...) with its `provider`
  // left empty, and the provider's endpoints and JWKS once known (at once for Cognito; for an
  // OIDC provider when discovery has succeeded, possibly long after this setup was built).
  std::optional<auth::SignInConfig> flow;
  std::shared_ptr<ProviderSource> endpoints;
  HttpsClient* client = nullptr;
  // local: the users file, re-read when it changes. A session of an account removed since
  // stops working at once instead of at its cookie's expiry.
  std::shared_ptr<UsersFileSource> users;
};

std::shared_ptr<SignIn> makeGatewaySignIn(std::shared_ptr<LongLivedState> state, SignInSetup setup);

}  // namespace oh::gateway::signin
