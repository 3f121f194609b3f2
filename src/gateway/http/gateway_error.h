#pragma once
// Every response the gateway generates itself (as opposed to relaying the upstream's) is
// described here and built by ONE function, errorReply(), so status codes, bodies and headers
// stay consistent (Pomerium's single HandlerFunc adapter). Beast-free so it is testable alone.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/settings.h"

namespace oh::gateway {

// Why the gateway answers a request itself. The enumerator names go into the access log's
// "reason" field (gatewayErrorName()).
enum class GatewayError {
  bad_request,           // 400 malformed or hostile request (smuggling attempts, bad framing)
  forbidden_origin,      // 403 missing, repeated or wrong X-Origin-Verify
  misdirected_host,      // 421 a Host this gateway does not serve (DNS rebinding)
  not_found,             // 404 unknown /_gateway/ path
  payload_too_large,     // 413 body over the route's limit
  rate_limited,          // 429 token bucket empty (Retry-After set)
  header_too_large,      // 431 header bytes or header count over the limit
  upstream_unavailable,  // 502 connect refused / reset / protocol error from the upstream
  not_ready,             // 503 readiness probe: upstream, sign-in provider or Docker API not ready
  draining,              // 503 the gateway is shutting down
  upstream_timeout,      // 504 connect or read timeout towards the upstream
};

std::string_view gatewayErrorName(GatewayError error);

// Facts that some replies mention.
struct ErrorContext {
  Mode mode = Mode::aws;
  std::string_view upstream_url;          // named in the local-mode 502 page
  std::chrono::seconds retry_after{0};    // 429 only
};

// A complete response, independent of any HTTP library.
struct ErrorReply {
  unsigned status = 500;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After, ...)
  // The connection must be closed after this reply: the request stream can no longer be
  // trusted to be in sync (hostile framing, oversized header, unread body).
  bool close_connection = false;
};

ErrorReply errorReply(GatewayError error, const ErrorContext& context);

}  // namespace oh::gateway
