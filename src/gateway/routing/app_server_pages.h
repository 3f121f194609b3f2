#pragma once
// What a user sees while their OpenHands app server is not ready (issue 14, item 3): the start
// page (its phases ticked off live, then the app), the failure and "at capacity" pages, the
// small JSON status the page polls, the 503 a script gets, and the page's script. Beast-free
// replies (ErrorReply); private to oh_gateway_routing.
//
// The gateway's pages forbid inline script (signin/replies.cpp's CSP): the start page loads its
// script from the gateway itself (kStartScriptPath) under "script-src 'self'", and without
// script it refreshes itself (<noscript> meta refresh).

#include <chrono>
#include <string_view>

#include "appserver/app_server_directory.h"
#include "http/gateway_error.h"

namespace oh::gateway::appserver_pages {

inline constexpr std::string_view kStatusPath = "/_gateway/appserver/status";
inline constexpr std::string_view kStartScriptPath = "/_gateway/appserver/start.js";

// Seconds a client is told to wait before asking again, by phase.
std::chrono::seconds retryAfter(control::AppServerPhase phase);

// 503 HTML for a browser's navigation: progress (with the script), failure or at capacity.
ErrorReply pageFor(const control::AppServerView& view);

// 503 JSON + Retry-After for scripts, XHR, WebSockets and webhooks:
//   {"error":"app_server_not_ready","phase":"pulling","detail":"…","retry_after":2}
ErrorReply notReadyJson(const control::AppServerView& view);

// 200 JSON, no-store: {"phase":"waiting","ready":false,"detail":"…","since":1765115000}.
ErrorReply statusJson(const control::AppServerView& view);

// The start page's script (application/javascript, cacheable for a short while).
ErrorReply startScript();

}  // namespace oh::gateway::appserver_pages
