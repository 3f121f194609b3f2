#pragma once
// The stand-in app server's configuration, read from the variables OpenHands 1.7.0's app server
// reads (citations: ramijawadii/OpenHands @39699665, under openhands/app_server/ unless named).
// Parsing is pure (an environment map in, a config or the reason it cannot start out) so unit
// tests cover every rule; main() passes the process environment.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace oh::appserver_standin {

using Environment = std::map<std::string, std::string>;

// PostgreSQL when DB_HOST is set, else SQLite {persistence_dir}/openhands.db
// (services/db_session_injector.py:49-68, 170-187).
struct DatabaseConfig {
  std::optional<std::string> host;  // a name, an address, or a Unix socket directory ("/…")
  std::uint16_t port = 5432;
  std::string name = "openhands";
  std::string user = "postgres";
  std::string password = "postgres";
};

struct AppConfig {
  // The remote sandbox service (config.py:331-337; RSS:871-901 for the OH_SANDBOX_* form).
  std::string sandbox_api_url;
  std::string sandbox_api_key;
  int resource_factor = 1;
  bool runtime_class_sysbox = false;  // runtime_class default "gvisor": not sent (RSS:494-496)
  int max_num_sandboxes = 10;
  // The agent server spec (sandbox/remote_sandbox_spec_service.py:21-37, sandbox_spec_service.py:14-16, 64-133).
  std::string agent_server_image;
  std::map<std::string, std::string> agent_server_env;  // LLM_*, LMNR_*, then OH_AGENT_SERVER_ENV
  std::string persistence_dir;                          // config.py:72-86
  DatabaseConfig database;
  std::optional<std::string> jwt_secret;                // utils/encryption_key.py:30-86; else .keys
  std::optional<std::string> web_url;                   // config.py:89-97, 193-196
  std::vector<std::string> permitted_cors_origins;      // config.py:100-110, 197-203
  std::optional<std::string> session_api_key;           // utils/dependencies.py:9-32
  int httpx_timeout_seconds = 15;                       // services/httpx_client_injector.py:18,27
  // uvicorn's proxy-header trust (FORWARDED_ALLOW_IPS, default 127.0.0.1): whose
  // X-Forwarded-For may name the client (request.client.host, middleware.py:94).
  std::vector<std::string> forwarded_allow_ips{"127.0.0.1"};
  // From the command line, as the image's CMD gives uvicorn (containers/app/Dockerfile:105).
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 3000;
};

// The configuration, or why the real app server would refuse to start with this environment
// (a KeyError or a validation error at import) written as one log line.
common::Result<AppConfig> parseAppConfig(const Environment& environment);

// Applies uvicorn-style arguments (--host H --port N) to config; false on a malformed one.
bool applyCommandLine(AppConfig& config, int argc, const char* const* argv, std::string& error);

// The process environment as a map.
Environment processEnvironment();

}  // namespace oh::appserver_standin
