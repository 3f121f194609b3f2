#pragma once
// The short-lived cookie that carries one sign-in attempt (state, nonce, PKCE verifier, return
// path) from the redirect to the provider until /_callback. Sealed (sealed_box.h), so the
// browser can neither read the verifier nor forge a state; the callback's `state` parameter
// must equal the sealed one (CSRF, RFC 6749 10.12).

#include "auth/authorization_request.h"
#include "auth/sealed_box.h"

#include <chrono>

namespace oh::gateway::auth {

constexpr std::string_view kLoginFlowPurpose = "oh-login-flow-v1";
constexpr std::chrono::seconds kLoginFlowLifetime{600};

std::string sealLoginFlow(const SealedBox& box, const PendingLogin& login, std::chrono::sys_seconds now,
                          common::RandomSource& random);

// Opens the cookie and checks that `state_param` (from the callback's query) matches in
// constant time and that the attempt is younger than kLoginFlowLifetime.
Result<PendingLogin> openLoginFlow(const SealedBox& box, std::string_view cookie_value, std::string_view state_param,
                                   std::chrono::sys_seconds now);

}  // namespace oh::gateway::auth
