#pragma once
// One JSON line per request (CloudWatch Logs friendly). Never secrets: no cookies, no
// Authorization, and the values of sensitive query parameters (session_api_key, tkn, code,
// state, token, access_token, id_token, refresh_token, ...) are replaced with "REDACTED".

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "observability/metrics.h"

namespace oh::gateway {

struct AccessLogEntry {
  std::chrono::system_clock::time_point time;
  std::string_view client_ip;
  std::string_view method;
  std::string_view target;      // raw request target; redacted by the formatter
  std::string_view host;
  std::string_view user_agent;
  std::string_view request_id;
  unsigned status = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::chrono::nanoseconds duration{0};
  RouteClass route = RouteClass::app;
  std::string_view upstream_status;  // "" when no upstream was involved
  std::string_view reason;           // why the gateway answered itself (e.g. "origin", "rate_limit")
};

// The target with sensitive query values replaced; path kept as received.
std::string redactTarget(std::string_view target);

// The JSON line, without a trailing newline. Control characters are escaped, so a hostile
// header cannot forge a second log line.
std::string formatAccessLog(const AccessLogEntry& entry);

}  // namespace oh::gateway
