#pragma once
// Where to send the browser after sign-in: only a path on this same origin. Anything a browser
// could read as another origin (//host, /\host, scheme:…, backslashes, control characters a
// browser strips, the same tricks percent-encoded, in any case) is replaced by "/".
// See https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html

#include <string>
#include <string_view>

namespace oh::gateway::auth {

constexpr std::size_t kMaxReturnPathBytes = 2048;

// True if `candidate` (the raw, still percent-encoded request target or "rd" value) is a safe
// same-origin path.
bool isSafeReturnPath(std::string_view candidate);

// candidate if safe, else "/".
std::string sanitizeReturnPath(std::string_view candidate);

}  // namespace oh::gateway::auth
