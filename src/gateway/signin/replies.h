#pragma once
// The responses the sign-in code gives itself: redirects with cookies, the small HTML pages
// (sign-in failed, forbidden ticket), 401 JSON, 429, 503. Every one is marked
// Cache-Control: no-store (they carry Set-Cookie or per-user answers). Private to oh_gateway_signin.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "http/gateway_error.h"

namespace oh::gateway::signin {

ErrorReply redirectReply(std::string location, const std::vector<std::string>& set_cookies);

// A self-contained HTML page (no external assets) with a title and one paragraph; both escaped.
ErrorReply pageReply(unsigned status, std::string_view title, std::string_view message,
                     const std::vector<std::string>& set_cookies = {});

ErrorReply htmlReply(unsigned status, std::string html, const std::vector<std::string>& set_cookies = {});

ErrorReply unauthorizedJsonReply(std::string_view sign_in_url, const std::vector<std::string>& set_cookies = {});

ErrorReply tooManyAttemptsReply(std::chrono::seconds retry_after);

// 503 + Retry-After while the sign-in provider is not discovered: JSON for API, XHR and
// WebSocket requests (the same split as 401 JSON vs 302), else a short page.
ErrorReply signInUnavailableReply(bool json, std::chrono::seconds retry_after,
                                  const std::vector<std::string>& set_cookies = {});

}  // namespace oh::gateway::signin
