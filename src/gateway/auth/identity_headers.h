#pragma once
// The identity the upstream (OpenHands) sees. Nothing from the browser is trusted: every
// X-Cognito-* header is removed (any case, any number of them), then the three identity headers
// are set from the verified session only (DESIGN.md section 3).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oh::gateway::auth {

using Header = std::pair<std::string, std::string>;

struct Identity {
  std::string sub;
  std::string email;
  bool email_verified = false;
  // Local accounts: the session's password-hash fingerprint, carried through the runtime
  // hand-off ticket into the runtime cookie (never a header).
  std::string account_fingerprint{};
};

// True for any header name starting with "x-cognito-" in any case.
bool isIdentityHeaderName(std::string_view name);

// X-Cognito-User-Id, X-Cognito-Email, X-Cognito-Email-Verified ("true"/"false"); values are
// cleaned of control characters so they cannot split a header.
std::vector<Header> identityHeaders(const Identity& identity);

struct IdentityHeaderPlan {
  std::vector<Header> kept;    // the incoming headers minus every X-Cognito-*
  std::size_t removed = 0;     // how many were dropped (spoofing attempts are worth a log line)
  std::vector<Header> to_set;  // identityHeaders(identity)
};

IdentityHeaderPlan planIdentityHeaders(const std::vector<Header>& incoming, const Identity& identity);

}  // namespace oh::gateway::auth
