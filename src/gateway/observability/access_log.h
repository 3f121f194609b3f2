#pragma once
// One JSON line per request (CloudWatch Logs friendly). Never secrets: no cookies, no
// Authorization, and the values of sensitive query parameters are replaced with "REDACTED":
// session_api_key, tkn, code, state, token, access_token, id_token, refresh_token, password,
// api_key, apikey, signature, t (the runtime hand-off ticket), and any key containing secret, token, password or credential
// (keys compared case-insensitively after percent-decoding).
//
// Line shape (fields in this order; upstream_status, reason and user only when set):
//   {"time":"2026-11-28T16:55:19.123Z","client_ip":"203.0.113.7","method":"GET",
//    "target":"/api/x?session_api_key=REDACTED","host":"oh.example.com","status":200,
//    "bytes_in":0,"bytes_out":512,"duration_ms":1.250,"route":"app","upstream_status":"200",
//    "reason":"...","user":"...","user_agent":"...","request_id":"..."}

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
  std::string_view user;             // the signed-in subject id ("" when anonymous); never an e-mail
};

// The target with sensitive query values replaced, and the user information of an
// absolute-form target ("http://user:pass@host/") too; the path is kept as received.
std::string redactTarget(std::string_view target);

// The JSON line, without a trailing newline. Control characters are escaped and invalid UTF-8
// is replaced with U+FFFD, so a hostile header cannot forge a second log line or break the
// JSON; each string field is cut at 4 KB.
std::string formatAccessLog(const AccessLogEntry& entry);

}  // namespace oh::gateway
