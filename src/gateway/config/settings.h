#pragma once
// oh-gateway's configuration, parsed and validated once from one TOML file
// (config/load_settings.h) and shared read-only as std::shared_ptr<const Settings>.
// Every field documents its TOML key and its default; deploy/gateway.example.toml shows them all.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace oh::gateway {

// Where the deployment runs. `local` is the one-machine mode with no AWS: it is the only mode
// in which the origin check may be turned off.
enum class Mode { local, aws };

// [server]
struct ServerSettings {
  std::string listen_address = "0.0.0.0";   // server.listen_address
  std::uint16_t listen_port = 8080;          // server.listen_port
  unsigned threads = 0;                      // server.threads; 0 = one per core
  std::chrono::seconds client_header_timeout{30};   // server.client_header_timeout_seconds (whole head)
  std::chrono::seconds client_idle_timeout{75};     // server.client_idle_timeout_seconds (keep-alive)
  std::chrono::seconds drain_timeout{25};           // server.drain_timeout_seconds (SIGTERM)
  std::size_t max_connections = 10000;              // server.max_connections
  // server.allowed_hosts: Host values served besides the main hosts (auth.callback_hosts and
  // each runtime suffix's main host) and the runtime hosts, e.g. CloudFront's origin name
  // ("host" or "host:port", lowercase). Other Hosts get 421 (policy/host_allowlist.h).
  std::vector<std::string> allowed_hosts;
};

// [upstream]: the OpenHands app server.
struct UpstreamSettings {
  std::string url = "http://127.0.0.1:3000";        // upstream.url (http only; host and port)
  std::string host = "127.0.0.1";                   // derived from url
  std::uint16_t port = 3000;                        // derived from url
  std::chrono::seconds connect_timeout{60};         // upstream.connect_timeout_seconds
  std::chrono::seconds read_timeout{300};           // upstream.read_timeout_seconds (idle between bytes)
  std::chrono::seconds pool_idle_timeout{60};       // upstream.pool_idle_timeout_seconds
  std::size_t pool_max_idle_per_thread = 64;        // upstream.pool_max_idle_per_thread
};

// [websocket]
struct WebSocketSettings {
  std::chrono::seconds idle_timeout{300};           // websocket.idle_timeout_seconds
  std::size_t max_message_bytes = 16 * 1024 * 1024; // websocket.max_message_bytes
};

// [origin]: the X-Origin-Verify check (DESIGN.md section 2).
struct OriginSettings {
  bool enabled = true;                   // origin.enabled; false is accepted only in local mode
  std::string header = "X-Origin-Verify";          // origin.header
  std::string current_secret_file;       // origin.current_secret_file (required when enabled)
  std::string previous_secret_file;      // origin.previous_secret_file (optional, for rotation)
};

// A per-path-prefix body limit: the longest matching prefix wins.
struct BodyLimitRule {
  std::string path_prefix;
  std::uint64_t max_bytes = 0;
};

// [limits]
struct LimitSettings {
  std::size_t max_header_bytes = 16 * 1024;             // limits.max_header_bytes -> 431
  std::size_t max_header_count = 100;                   // limits.max_header_count -> 431
  std::uint64_t max_body_bytes = 1024ull * 1024 * 1024; // limits.max_body_bytes -> 413
  std::vector<BodyLimitRule> body_rules;                // [[limits.body]] path_prefix, max_bytes
};

// [rate_limit]: token bucket per client IP.
struct RateLimitSettings {
  bool enabled = true;                       // rate_limit.enabled
  double requests_per_second = 50.0;         // rate_limit.requests_per_second (refill rate)
  double burst = 200.0;                      // rate_limit.burst (bucket size)
  std::size_t max_tracked_clients = 100000;  // rate_limit.max_tracked_clients
  std::vector<std::string> trusted_proxies;  // rate_limit.trusted_proxies: CIDRs whose X-Forwarded-For is believed
};

// [admin]: Prometheus metrics, on loopback only.
struct AdminSettings {
  bool enabled = true;                       // admin.enabled
  std::string listen_address = "127.0.0.1";  // admin.listen_address (must be a loopback address)
  std::uint16_t listen_port = 9090;          // admin.listen_port
};

// [log]
struct LogSettings {
  std::string level = "info";   // log.level: trace, debug, info, warn, error
  bool access_log = true;       // log.access_log: one JSON line per request on stdout
};

// [auth]: who may use the site (DESIGN.md section 3). `local` (the embedded default) signs users in
// against a users file of argon2id hashes; `cognito` and `oidc` use the authorization-code flow with
// PKCE. `none` serves without sign-in and is accepted only in local mode (tests, benchmarks).
enum class AuthProvider { none, local, cognito, oidc };

struct CognitoSettings {
  std::string region;          // auth.cognito.region, e.g. "us-east-1"
  std::string user_pool_id;    // auth.cognito.user_pool_id, e.g. "us-east-1_AbCdEf123"
  std::string domain_prefix;   // auth.cognito.domain_prefix: https://{prefix}.auth.{region}.amazoncognito.com
};

struct OidcSettings {
  std::string issuer;                 // auth.oidc.issuer: discovery at {issuer}/.well-known/openid-configuration
  bool require_token_use_id = false;  // auth.oidc.require_token_use_id (Cognito-like providers)
};

struct AuthSettings {
  AuthProvider provider = AuthProvider::local;  // auth.provider: "local", "cognito", "oidc" or "none"
  std::string client_id;                // auth.client_id (cognito, oidc)
  std::string client_secret_file;       // auth.client_secret_file; else $OH_GATEWAY_CLIENT_SECRET; else a public client
  std::string scope = "openid email profile";  // auth.scope
  std::vector<std::string> callback_hosts;     // auth.callback_hosts: the main hosts (several domains, one backend)
  std::chrono::seconds leeway{60};             // auth.leeway_seconds (0..60)
  std::chrono::hours session_lifetime{30 * 24};  // auth.session_days (1..30)
  bool cookie_secure = true;            // auth.cookie_secure; false is accepted only in local mode (http://localhost)
  std::string cookie_key_file;          // auth.cookie_key_file: 32-byte AES-256-GCM key (required unless none)
  std::string cookie_previous_key_file; // auth.cookie_previous_key_file (rotation)
  std::string ticket_key_file;          // auth.ticket_key_file: runtime hand-off tickets (required when runtime.enabled)
  std::string users_file;               // auth.users_file (local)
  std::string ca_file;                  // auth.ca_file: extra PEM CAs for the provider's TLS (default: system store)
  std::chrono::seconds http_timeout{10};  // auth.http_timeout_seconds: JWKS, discovery and token endpoint calls
  CognitoSettings cognito;
  OidcSettings oidc;
};

// [runtime]: user apps at https://{port}-{convId}.runtime.{sub}.{domain}/ (issue 5).
enum class RuntimeAccess { owner, authenticated, public_ };

struct RuntimeSettings {
  bool enabled = false;                       // runtime.enabled
  std::vector<std::string> host_suffixes;     // runtime.host_suffixes, e.g. ["runtime.openhands.example.com"]
  std::string docker_socket = "/var/run/docker.sock";  // runtime.docker_socket (Docker or Podman API)
  RuntimeAccess access = RuntimeAccess::owner;  // runtime.access: "owner", "authenticated" or "public"
  std::string conversation_label = "conversation_id";  // runtime.conversation_label
  std::string user_label = "user_id";                  // runtime.user_label
  std::string network;                        // runtime.network: the network whose IP is used ("" = the first)
  std::chrono::seconds connect_timeout{5};    // runtime.connect_timeout_seconds (to the app)
  // runtime.agent_server_origin: the one CORS origin OpenHands gives its agent servers (its web
  // URL, "https://{primary main host}"). When set, a browser on another main host calling an
  // agent server ({hostPort}-sandbox) is presented to it with this origin, and the answer's
  // Access-Control-Allow-Origin is given back for the browser's own. "" = Origin untouched.
  std::string agent_server_origin;
};

// [sandbox.limits]: per sandbox at the app server's resource_factor 1, and per user.
struct SandboxLimitSettings {
  double cpus = 2;                          // sandbox.limits.cpus (0 = unlimited)
  std::uint64_t memory_mb = 4096;           // sandbox.limits.memory_mb (0 = unlimited)
  std::int64_t pids = 2048;                 // sandbox.limits.pids (0 = unlimited)
  std::uint64_t disk_mb = 0;                // sandbox.limits.disk_mb (0 = unlimited; needs overlay on xfs with pquota)
  double max_resource_factor = 4;           // sandbox.limits.max_resource_factor: larger requests are refused
  std::size_t max_running_per_user = 4;     // sandbox.limits.max_running_per_user: a start or resume beyond it is 429
  std::size_t max_sandboxes_per_user = 100; // sandbox.limits.max_sandboxes_per_user: records beyond it are 409
  bool operator==(const SandboxLimitSettings&) const = default;
};

// [sandbox]: OpenHands' remote sandbox API (issue 13, docs/sandboxes.md) on a listener of its
// own that the app servers reach and neither the load balancer nor any sandbox does.
struct SandboxSettings {
  bool enabled = false;                        // sandbox.enabled
  std::string listen_address = "127.0.0.1";    // sandbox.listen_address (never a wildcard address)
  std::uint16_t listen_port = 8090;            // sandbox.listen_port
  std::string key_file;            // sandbox.key_file: 32-byte secret the per-user API keys derive from
  std::string seal_key_file;       // sandbox.seal_key_file: 32-byte key sealing session keys in the store
  std::string store_url = "sqlite:///var/lib/oh-gateway/sandboxes.db";  // sandbox.store_url (sqlite:/// or postgresql://)
  std::vector<std::string> allowed_images;     // sandbox.allowed_images: exact image references
  std::string workspace_root;                  // sandbox.workspace_root: {root}/{owner}/{id} is /workspace
  std::string public_scheme = "https";         // sandbox.public_scheme: of the url the API returns
  std::string runtime_suffix;                  // sandbox.runtime_suffix ("" = the first runtime.host_suffixes)
  std::uint16_t public_port = 0;               // sandbox.public_port (0 = the scheme's default)
  std::string network_prefix = "oh-user-";     // sandbox.network_prefix: each owner's network is {prefix}{user key}
  std::string managed_label_value = "sandbox"; // sandbox.managed_label_value: marks our containers; one value per gateway on a Docker host
  std::chrono::seconds stop_grace{10};         // sandbox.stop_grace_seconds: SIGTERM to SIGKILL on pause
  SandboxLimitSettings limits;
  bool operator==(const SandboxSettings&) const = default;
};

// [appserver]: one stock OpenHands app server per signed-in user (issue 14, DESIGN.md section 6),
// started on demand, reached only by its user, culled when idle. Needs [sandbox] (the servers run
// with RUNTIME=remote against it) and a sign-in (the session's subject picks the server).
struct AppServerSettings {
  bool enabled = false;                  // appserver.enabled
  std::string image;                     // appserver.image: the pinned stock OpenHands image (required)
  std::string openhands_version = "1.7.0";  // appserver.openhands_version: the release that image is
  std::uint16_t port = 3000;             // appserver.port: the app server's port in its container
  std::vector<std::string> command;      // appserver.command: [] = the image's entrypoint
  std::string data_root;                 // appserver.data_root: {root}/{user key} is OH_PERSISTENCE_DIR (required)
  std::string managed_label_value = "appserver";  // appserver.managed_label_value: one value per gateway on a Docker host
  // appserver.sandbox_api_url: SANDBOX_REMOTE_RUNTIME_API_URL; "" = http://{sandbox.listen_address}:{sandbox.listen_port}
  std::string sandbox_api_url;
  std::string web_url;                   // appserver.web_url: OH_WEB_URL, the public origin (required)
  std::vector<std::string> cors_origins; // appserver.cors_origins: [] = web_url alone
  std::string secret_key_file;           // appserver.secret_key_file: 32+ bytes; JWT secrets derive from it (required)
  // appserver.pass_environment: names (LLM_*, LMNR_*, AWS_REGION_NAME, ...) whose values in
  // oh-gateway's own environment every app server gets (the LLM settings; keys stay out of files).
  std::vector<std::string> pass_environment;
  // appserver.database_url: postgresql://USER@HOST:PORT/DB of a role that creates one database per
  // user; "" = SQLite in each user's persistence directory. Never a password in it.
  std::string database_url;
  std::string database_password_file;    // appserver.database_password_file: that role's password
  std::string database_host;             // appserver.database_host: DB_HOST as app servers reach it ("" = the URL's)
  std::uint16_t database_port = 0;       // appserver.database_port: DB_PORT as app servers reach it (0 = the URL's)
  std::string database_name_prefix = "oh_user_";  // appserver.database_name_prefix: {prefix}{user key}
  std::string event_bucket;              // appserver.event_bucket: S3 bucket for events ("" = files in data_root)
  std::string s3_endpoint;               // appserver.s3_endpoint: AWS_S3_ENDPOINT ("" = AWS's)
  std::size_t max_running = 20;          // appserver.max_running: running servers at most
  std::chrono::seconds idle_timeout{30 * 60};  // appserver.idle_timeout_seconds: no request, no WebSocket
  std::chrono::seconds start_timeout{5 * 60};  // appserver.start_timeout_seconds: start to healthy
  std::chrono::seconds retry_delay{30};        // appserver.retry_delay_seconds: after a failed start
  double cpus = 1;                       // appserver.cpus (0 = unlimited)
  std::uint64_t memory_mb = 2048;        // appserver.memory_mb (0 = unlimited)
  std::int64_t pids = 1024;              // appserver.pids (0 = unlimited)
  bool operator==(const AppServerSettings&) const = default;
};

// [credentials]: AWS credentials for sandboxes (issue 15, docs/credentials.md): a listener of
// its own serving botocore's container credential provider, each sandbox with its own token,
// each user's credentials from STS AssumeRole of one Bedrock-only role. Needs [sandbox].
struct CredentialsSettings {
  bool enabled = false;                        // credentials.enabled
  std::string listen_address = "169.254.170.2";  // credentials.listen_address: an address botocore accepts over http
  std::uint16_t listen_port = 8091;            // credentials.listen_port
  std::string role_arn;                        // credentials.role_arn: the Bedrock-only role (required)
  std::string region;                          // credentials.region: STS's region, and AWS_REGION in sandboxes (required)
  std::string sts_endpoint;                    // credentials.sts_endpoint: "" = https://sts.{region}.amazonaws.com
  std::string token_key_file;                  // credentials.token_key_file: 32-byte key the sandbox tokens derive from (required)
  std::string gateway_credentials = "instance";  // credentials.gateway_credentials: "instance" (IMDSv2) or "environment"
  std::string imds_url = "http://169.254.169.254";  // credentials.imds_url: IMDS (tests: a local fake)
  std::chrono::seconds session_duration{3600}; // credentials.session_duration_seconds: DurationSeconds, 900-3600
  bool operator==(const CredentialsSettings&) const = default;
};

struct Settings {
  Mode mode = Mode::local;      // mode: "local" or "aws"
  ServerSettings server;
  UpstreamSettings upstream;
  WebSocketSettings websocket;
  OriginSettings origin;
  LimitSettings limits;
  RateLimitSettings rate_limit;
  AdminSettings admin;
  LogSettings log;
  AuthSettings auth;
  RuntimeSettings runtime;
  SandboxSettings sandbox;
  CredentialsSettings credentials;
  AppServerSettings appserver;
};

using SettingsPtr = std::shared_ptr<const Settings>;

}  // namespace oh::gateway
