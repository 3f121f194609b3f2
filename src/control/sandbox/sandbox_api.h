#pragma once
// The remote sandbox API's HTTP surface, without sockets (the listener is in the gateway's
// http/ folder): one request in, one response out. Paths and bodies follow OpenHands 1.7.0's
// RemoteSandboxService (docs/sandboxes.md cites each): POST /start, GET /sessions/{id},
// GET /sessions/batch?ids=…, POST /resume|/pause|/stop {"runtime_id"}, GET /list, each with
// X-API-Key. Errors are JSON {"error": "..."} with the status the service chose.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/api_keys.h"
#include "sandbox/sandbox_service.h"

namespace oh::control {

struct ApiRequest {
  std::string_view method;
  std::string_view target;       // "/sessions/batch?ids=a&ids=b"
  std::string_view api_key;      // X-API-Key ("" when absent)
  std::string_view body;
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;              // JSON
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After
  std::string owner;             // for the access log: the user key, never the API key
  std::string_view endpoint;     // for metrics: "start", "get", "batch", "list", "resume", "pause",
                                 // "stop", or "other" (no such path)
};

inline constexpr std::size_t kMaxApiBodyBytes = 1024 * 1024;  // a /start body with its environment

ApiResponse handleSandboxApi(const ApiRequest& request, const SandboxApiKeys& keys, SandboxService& service);

}  // namespace oh::control
