#pragma once
// The signed-in session the browser carries in a sealed cookie: who the user is (from the
// verified ID token), when that token expires, the refresh token to renew it, and the absolute
// end of the session (30 days, Cognito's refresh-token lifetime). The ID token itself is NOT
// stored: the gateway only needs its claims, and leaving it out keeps the cookie well under
// 4,000 bytes with Cognito's ~1,800-character refresh tokens (see docs/auth.md for numbers).
//
//   Session s = sessionFromTokens(claims, tokens.refresh_token, clock.now());
//   std::string value = sealSession(box, s, random);          // -> Set-Cookie oh_session=value
//   auto back = openSession(box, cookie_value, clock.now());  // on every request
//   switch (renewalDecision(*back, clock.now())) { ... }

#include "auth/jwt.h"
#include "auth/result.h"
#include "auth/sealed_box.h"

#include <chrono>
#include <string>
#include <string_view>

namespace oh::gateway::auth {

constexpr std::string_view kSessionPurpose = "oh-session-v1";
constexpr std::chrono::seconds kSessionLifetime{30 * 24 * 3600};
// Renew this long before the ID token expires, so a request never runs on an expired identity.
constexpr std::chrono::seconds kRenewalMargin{60};

struct Session {
  std::string sub;
  std::string email;
  bool email_verified = false;
  std::chrono::sys_seconds id_token_expires_at;
  std::string refresh_token;  // empty: cannot renew (local accounts, or provider gave none)
  std::chrono::sys_seconds issued_at;
  std::chrono::sys_seconds absolute_expires_at;
  // Local accounts: the fingerprint of the password hash signed in with (account_fingerprint.h);
  // a session whose fingerprint no longer matches the users file is refused. Empty otherwise.
  std::string account_fingerprint;
};

// A new session after a successful sign-in.
Session sessionFromTokens(const IdTokenClaims& claims, std::string refresh_token, std::chrono::sys_seconds now,
                          std::chrono::seconds lifetime = kSessionLifetime);

// After a successful refresh: new identity claims and expiry, the same absolute end (a session
// never outlives the sign-in), and the new refresh token if the provider rotated it.
Session renewedSession(const Session& old, const IdTokenClaims& claims, std::string new_refresh_token);

std::string serializeSession(const Session& s);
Result<Session> parseSession(std::string_view json);

// `purpose` binds the cookie to its use: kSessionPurpose on the main host, and
// runtimeSessionPurpose(host) on a runtime host.
std::string sealSession(const SealedBox& box, const Session& s, common::RandomSource& random,
                        std::string_view purpose = kSessionPurpose);
// Opens and parses; refuses a session past its absolute expiry.
Result<Session> openSession(const SealedBox& box, std::string_view cookie_value, std::chrono::sys_seconds now,
                            std::string_view purpose = kSessionPurpose);

std::string runtimeSessionPurpose(std::string_view runtime_host);

enum class SessionState {
  valid,          // use as is
  needs_refresh,  // ID token (nearly) expired: call the token endpoint with the refresh token
  expired,        // sign in again
};
SessionState renewalDecision(const Session& s, std::chrono::sys_seconds now);

}  // namespace oh::gateway::auth
