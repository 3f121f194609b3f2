#pragma once
// What the app-server pool (app_server_pool.h, issue 14) is configured with: plain values the
// gateway's configuration ([appserver] section) maps onto, checked by the pool's constructor.
// Everything a user's server gets is derived from these and the user's key (user_key.h), never
// from a user name: {data_root}/{userKey}, network {network_prefix}{userKey}, database
// {database.name_prefix}{userKey}, event prefix {event_prefix_root}{userKey}/.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "backend/workload_backend.h"

namespace oh::control {

struct AppServerPoolSettings {
  // --- what runs ----------------------------------------------------------------------------------
  // The pinned stock OpenHands image and the release it is (the label a container carries: one
  // of another version is re-created at its next start, never while in use).
  std::string image;                       // e.g. "docker.openhands.dev/openhands/openhands:1.7.0"
  std::string openhands_version = "1.7.0";
  std::uint16_t port = 3000;               // containers/app/Dockerfile:105 (uvicorn --port 3000)
  std::string health_path = "/alive";      // app_server/status/status_router.py:8
  std::vector<std::string> command;        // "" = the image's entrypoint (a stand-in may set one)
  std::string user;                        // "uid:gid" or "" (the image's)
  WorkloadLimits limits{.cpus = 1, .memory_bytes = 2ull << 30, .pids = 1024};

  // --- where ------------------------------------------------------------------------------------
  std::string data_root;                   // absolute; {data_root}/{userKey} is OH_PERSISTENCE_DIR
  std::string network_prefix = "oh-user-"; // the user's network, shared with their sandboxes
  // The value of the "org.openhands.managed" label on our containers: containers with it are
  // adopted or removed at start, so one value belongs to one pool (each test its own).
  std::string managed_label_value = "appserver";

  // --- what OpenHands is told ---------------------------------------------------------------------
  std::string sandbox_api_url;             // SANDBOX_REMOTE_RUNTIME_API_URL (no trailing slash)
  // Agent-server calls kept on the instance (plain-http runtime urls only; docs/sandboxes.md,
  // "Agent-server calls"): HTTP_PROXY and http_proxy = this, the sandbox API listener, whose
  // forward proxy relays an app server's calls to its own user's agent servers; NO_PROXY and
  // no_proxy = what it reaches directly (noProxyList). "" = unset: the calls take the url's path.
  std::string agent_proxy_url;
  // The runtime hosts' suffix ("runtime.localhost"): NO_PROXY never names it or a domain above
  // it, as httpx's NO_PROXY entry "example.com" also matches every name under it.
  std::string runtime_suffix;
  std::string web_url;                     // OH_WEB_URL: the public origin, "https://openhands.example.com"
  std::vector<std::string> cors_origins;   // OH_PERMITTED_CORS_ORIGINS_n (empty: web_url alone)
  // 32+ random bytes (a key file's contents): JWT_SECRET and the database password are
  // HMAC-SHA256 of it and the user key, so they are stable across restarts without a table.
  std::string secret_key;
  // The sandbox API key secret (sandbox/api_keys.h): SANDBOX_API_KEY = keyFor(userKey).
  std::string sandbox_key_secret;
  // Passed through as given (the LLM: LLM_MODEL, LLM_BASE_URL, AWS_REGION_NAME, ...). Names
  // the pool sets itself are refused by the constructor.
  std::vector<std::pair<std::string, std::string>> llm_environment;

  // Event storage in S3 (OH_EVENT_KIND=AwsEventServiceInjector), only when a bucket is set.
  std::string event_bucket;
  std::string event_prefix_root = "users/";
  std::string s3_endpoint;                 // AWS_S3_ENDPOINT ("" = AWS's; tests: moto)

  // The database: SQLite in the persistence directory unless admin_conninfo is set; then one
  // PostgreSQL database (and login role) per user, created on first start through it.
  struct Database {
    std::string admin_conninfo;            // libpq conninfo of a role with CREATEDB and CREATEROLE
    std::string host;                      // DB_HOST as the app server reaches it
    std::uint16_t port = 5432;             // DB_PORT
    std::string name_prefix = "oh_user_";  // database and role: {prefix}{userKey}
  } database;

  // --- the pool's behaviour -------------------------------------------------------------------------
  std::size_t max_running = 20;                        // running servers at most
  // When max_running is reached, a server with no open connection and no request for this long
  // counts as idle: the least recently used such one is stopped to make room.
  std::chrono::seconds capacity_idle_after{std::chrono::minutes(2)};
  std::chrono::seconds idle_timeout{std::chrono::minutes(30)};  // no request, no connection
  std::chrono::seconds start_timeout{std::chrono::minutes(5)};  // start to healthy
  std::chrono::seconds retry_delay{30};                // after a failed start
  // Between health probes once a start has gone on for a while (health_probe_schedule.h: faster
  // while the container is fresh).
  std::chrono::milliseconds health_poll_interval{500};
  std::chrono::seconds stop_grace{10};
  std::chrono::seconds housekeeping_interval{30};      // idle culling and observing containers
  std::size_t start_workers = 4;                       // starts in parallel
};

}  // namespace oh::control
