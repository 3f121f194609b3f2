#include "config/schema.h"

#include <array>
#include <utility>

namespace oh::gateway::config_schema {
namespace {

constexpr std::int64_t kMaxPort = 65535;
constexpr std::int64_t kMaxTimeoutSeconds = 86400;  // one day: longer is always a mistake
constexpr std::int64_t kGiB = 1024LL * 1024 * 1024;

constexpr std::array<std::string_view, 2> kModes{"local", "aws"};
constexpr std::array<std::string_view, 5> kLogLevels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 4> kAuthProviders{"local", "cognito", "oidc", "none"};
constexpr std::array<std::string_view, 3> kRuntimeAccess{"owner", "authenticated", "public"};
constexpr std::array<std::string_view, 2> kSchemes{"https", "http"};
constexpr std::array<std::string_view, 2> kGatewayCredentials{"instance", "environment"};

AuthProvider authProvider(std::string_view v) {
  if (v == "cognito") {
    return AuthProvider::cognito;
  }
  if (v == "oidc") {
    return AuthProvider::oidc;
  }
  return v == "none" ? AuthProvider::none : AuthProvider::local;
}

RuntimeAccess runtimeAccess(std::string_view v) {
  if (v == "authenticated") {
    return RuntimeAccess::authenticated;
  }
  return v == "public" ? RuntimeAccess::public_ : RuntimeAccess::owner;
}

std::chrono::seconds seconds(std::int64_t v) { return std::chrono::seconds{v}; }
// The schema's ranges are checked before any assign runs, so these narrowings are exact.
std::uint16_t port(std::int64_t v) { return static_cast<std::uint16_t>(v); }
std::size_t size(std::int64_t v) { return static_cast<std::size_t>(v); }

const std::array<FieldSpec, 119> kSchema{{
    {"mode", ChoiceField{kModes, [](Settings& s, std::string_view v) {
                           s.mode = v == "aws" ? Mode::aws : Mode::local;
                         }}},

    {"server.listen_address", StringField{[](Settings& s, std::string v) { s.server.listen_address = std::move(v); }}},
    {"server.listen_port", IntegerField{0, kMaxPort, "", [](Settings& s, std::int64_t v) { s.server.listen_port = port(v); }}},
    {"server.threads", IntegerField{0, 1024, "", [](Settings& s, std::int64_t v) { s.server.threads = static_cast<unsigned>(v); }}},
    {"server.client_header_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.server.client_header_timeout = seconds(v); }}},
    {"server.client_idle_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.server.client_idle_timeout = seconds(v); }}},
    {"server.drain_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.server.drain_timeout = seconds(v); }}},
    {"server.max_connections", IntegerField{1, 1'000'000, "", [](Settings& s, std::int64_t v) { s.server.max_connections = size(v); }}},
    {"server.allowed_hosts", StringListField{256, [](Settings& s, std::vector<std::string> v) { s.server.allowed_hosts = std::move(v); }}},

    {"upstream.url", StringField{[](Settings& s, std::string v) { s.upstream.url = std::move(v); }}},
    {"upstream.connect_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.upstream.connect_timeout = seconds(v); }}},
    {"upstream.read_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.upstream.read_timeout = seconds(v); }}},
    {"upstream.pool_idle_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.upstream.pool_idle_timeout = seconds(v); }}},
    {"upstream.pool_max_idle_per_thread", IntegerField{1, 100'000, "", [](Settings& s, std::int64_t v) { s.upstream.pool_max_idle_per_thread = size(v); }}},

    {"websocket.idle_timeout_seconds", IntegerField{1, kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.websocket.idle_timeout = seconds(v); }}},
    {"websocket.max_message_bytes", IntegerField{1, kGiB, "bytes", [](Settings& s, std::int64_t v) { s.websocket.max_message_bytes = size(v); }}},

    {"origin.enabled", BoolField{[](Settings& s, bool v) { s.origin.enabled = v; }}},
    {"origin.header", StringField{[](Settings& s, std::string v) { s.origin.header = std::move(v); }}},
    {"origin.current_secret_file", StringField{[](Settings& s, std::string v) { s.origin.current_secret_file = std::move(v); }}},
    {"origin.previous_secret_file", StringField{[](Settings& s, std::string v) { s.origin.previous_secret_file = std::move(v); }}},

    {"limits.max_header_bytes", IntegerField{1024, 1024 * 1024, "bytes", [](Settings& s, std::int64_t v) { s.limits.max_header_bytes = size(v); }}},
    {"limits.max_header_count", IntegerField{1, 10'000, "", [](Settings& s, std::int64_t v) { s.limits.max_header_count = size(v); }}},
    {"limits.max_body_bytes", IntegerField{1, kBodyRuleMaxBytesLimit, "bytes", [](Settings& s, std::int64_t v) { s.limits.max_body_bytes = static_cast<std::uint64_t>(v); }}},
    {"limits.body", BodyRuleListField{}},

    {"rate_limit.enabled", BoolField{[](Settings& s, bool v) { s.rate_limit.enabled = v; }}},
    {"rate_limit.requests_per_second", NumberField{0.0, true, 1'000'000.0, [](Settings& s, double v) { s.rate_limit.requests_per_second = v; }}},
    {"rate_limit.burst", NumberField{1.0, false, 1'000'000'000.0, [](Settings& s, double v) { s.rate_limit.burst = v; }}},
    {"rate_limit.max_tracked_clients", IntegerField{1, 10'000'000, "", [](Settings& s, std::int64_t v) { s.rate_limit.max_tracked_clients = size(v); }}},
    {"rate_limit.trusted_proxies", StringListField{1024, [](Settings& s, std::vector<std::string> v) { s.rate_limit.trusted_proxies = std::move(v); }}},

    {"admin.enabled", BoolField{[](Settings& s, bool v) { s.admin.enabled = v; }}},
    {"admin.listen_address", StringField{[](Settings& s, std::string v) { s.admin.listen_address = std::move(v); }}},
    {"admin.listen_port", IntegerField{0, kMaxPort, "", [](Settings& s, std::int64_t v) { s.admin.listen_port = port(v); }}},

    {"log.level", ChoiceField{kLogLevels, [](Settings& s, std::string_view v) { s.log.level = std::string(v); }}},
    {"log.access_log", BoolField{[](Settings& s, bool v) { s.log.access_log = v; }}},

    {"auth.provider", ChoiceField{kAuthProviders, [](Settings& s, std::string_view v) { s.auth.provider = authProvider(v); }}},
    {"auth.client_id", StringField{[](Settings& s, std::string v) { s.auth.client_id = std::move(v); }}},
    {"auth.client_secret_file", StringField{[](Settings& s, std::string v) { s.auth.client_secret_file = std::move(v); }}},
    {"auth.scope", StringField{[](Settings& s, std::string v) { s.auth.scope = std::move(v); }}},
    {"auth.callback_hosts", StringListField{64, [](Settings& s, std::vector<std::string> v) { s.auth.callback_hosts = std::move(v); }}},
    // RFC 7519 section 4.1.4 allows "a few minutes"; more than a minute hides clock problems.
    {"auth.leeway_seconds", IntegerField{0, 60, "seconds", [](Settings& s, std::int64_t v) { s.auth.leeway = seconds(v); }}},
    // Cognito refresh tokens live 30 days by default: a longer session could not be renewed.
    {"auth.session_days", IntegerField{1, 30, "days", [](Settings& s, std::int64_t v) { s.auth.session_lifetime = std::chrono::hours{24 * v}; }}},
    {"auth.cookie_secure", BoolField{[](Settings& s, bool v) { s.auth.cookie_secure = v; }}},
    {"auth.cookie_key_file", StringField{[](Settings& s, std::string v) { s.auth.cookie_key_file = std::move(v); }}},
    {"auth.cookie_previous_key_file", StringField{[](Settings& s, std::string v) { s.auth.cookie_previous_key_file = std::move(v); }}},
    {"auth.ticket_key_file", StringField{[](Settings& s, std::string v) { s.auth.ticket_key_file = std::move(v); }}},
    {"auth.users_file", StringField{[](Settings& s, std::string v) { s.auth.users_file = std::move(v); }}},
    {"auth.ca_file", StringField{[](Settings& s, std::string v) { s.auth.ca_file = std::move(v); }}},
    {"auth.http_timeout_seconds", IntegerField{1, 120, "seconds", [](Settings& s, std::int64_t v) { s.auth.http_timeout = seconds(v); }}},
    {"auth.cognito.region", StringField{[](Settings& s, std::string v) { s.auth.cognito.region = std::move(v); }}},
    {"auth.cognito.user_pool_id", StringField{[](Settings& s, std::string v) { s.auth.cognito.user_pool_id = std::move(v); }}},
    {"auth.cognito.domain_prefix", StringField{[](Settings& s, std::string v) { s.auth.cognito.domain_prefix = std::move(v); }}},
    {"auth.oidc.issuer", StringField{[](Settings& s, std::string v) { s.auth.oidc.issuer = std::move(v); }}},
    {"auth.oidc.require_token_use_id", BoolField{[](Settings& s, bool v) { s.auth.oidc.require_token_use_id = v; }}},

    {"runtime.enabled", BoolField{[](Settings& s, bool v) { s.runtime.enabled = v; }}},
    {"runtime.host_suffixes", StringListField{64, [](Settings& s, std::vector<std::string> v) { s.runtime.host_suffixes = std::move(v); }}},
    {"runtime.docker_socket", StringField{[](Settings& s, std::string v) { s.runtime.docker_socket = std::move(v); }}},
    {"runtime.access", ChoiceField{kRuntimeAccess, [](Settings& s, std::string_view v) { s.runtime.access = runtimeAccess(v); }}},
    {"runtime.conversation_label", StringField{[](Settings& s, std::string v) { s.runtime.conversation_label = std::move(v); }}},
    {"runtime.user_label", StringField{[](Settings& s, std::string v) { s.runtime.user_label = std::move(v); }}},
    {"runtime.network", StringField{[](Settings& s, std::string v) { s.runtime.network = std::move(v); }}},
    {"runtime.agent_server_origin", StringField{[](Settings& s, std::string v) { s.runtime.agent_server_origin = std::move(v); }}},
    {"runtime.connect_timeout_seconds", IntegerField{1, 300, "seconds", [](Settings& s, std::int64_t v) { s.runtime.connect_timeout = seconds(v); }}},

    {"sandbox.enabled", BoolField{[](Settings& s, bool v) { s.sandbox.enabled = v; }}},
    {"sandbox.listen_address", StringField{[](Settings& s, std::string v) { s.sandbox.listen_address = std::move(v); }}},
    {"sandbox.listen_port", IntegerField{0, kMaxPort, "", [](Settings& s, std::int64_t v) { s.sandbox.listen_port = port(v); }}},
    {"sandbox.key_file", StringField{[](Settings& s, std::string v) { s.sandbox.key_file = std::move(v); }}},
    {"sandbox.seal_key_file", StringField{[](Settings& s, std::string v) { s.sandbox.seal_key_file = std::move(v); }}},
    {"sandbox.store_url", StringField{[](Settings& s, std::string v) { s.sandbox.store_url = std::move(v); }}},
    {"sandbox.allowed_images", StringListField{256, [](Settings& s, std::vector<std::string> v) { s.sandbox.allowed_images = std::move(v); }}},
    {"sandbox.workspace_root", StringField{[](Settings& s, std::string v) { s.sandbox.workspace_root = std::move(v); }}},
    {"sandbox.public_scheme", ChoiceField{kSchemes, [](Settings& s, std::string_view v) { s.sandbox.public_scheme = std::string(v); }}},
    {"sandbox.runtime_suffix", StringField{[](Settings& s, std::string v) { s.sandbox.runtime_suffix = std::move(v); }}},
    {"sandbox.public_port", IntegerField{0, kMaxPort, "", [](Settings& s, std::int64_t v) { s.sandbox.public_port = port(v); }}},
    {"sandbox.network_prefix", StringField{[](Settings& s, std::string v) { s.sandbox.network_prefix = std::move(v); }}},
    {"sandbox.managed_label_value", StringField{[](Settings& s, std::string v) { s.sandbox.managed_label_value = std::move(v); }}},
    {"sandbox.stop_grace_seconds", IntegerField{0, 300, "seconds", [](Settings& s, std::int64_t v) { s.sandbox.stop_grace = seconds(v); }}},
    {"sandbox.limits.cpus", NumberField{0.0, false, 1024.0, [](Settings& s, double v) { s.sandbox.limits.cpus = v; }}},
    {"sandbox.limits.memory_mb", IntegerField{0, 4 * 1024 * 1024, "", [](Settings& s, std::int64_t v) { s.sandbox.limits.memory_mb = static_cast<std::uint64_t>(v); }}},
    {"sandbox.limits.pids", IntegerField{0, 4'194'304, "", [](Settings& s, std::int64_t v) { s.sandbox.limits.pids = v; }}},
    {"sandbox.limits.disk_mb", IntegerField{0, 64 * 1024 * 1024, "", [](Settings& s, std::int64_t v) { s.sandbox.limits.disk_mb = static_cast<std::uint64_t>(v); }}},
    {"sandbox.limits.max_resource_factor", NumberField{0.0, true, 64.0, [](Settings& s, double v) { s.sandbox.limits.max_resource_factor = v; }}},
    {"sandbox.limits.max_running_per_user", IntegerField{1, 1000, "", [](Settings& s, std::int64_t v) { s.sandbox.limits.max_running_per_user = size(v); }}},
    {"sandbox.limits.max_sandboxes_per_user", IntegerField{1, 100'000, "", [](Settings& s, std::int64_t v) { s.sandbox.limits.max_sandboxes_per_user = size(v); }}},

    {"credentials.enabled", BoolField{[](Settings& s, bool v) { s.credentials.enabled = v; }}},
    {"credentials.listen_address", StringField{[](Settings& s, std::string v) { s.credentials.listen_address = std::move(v); }}},
    {"credentials.listen_port", IntegerField{1, kMaxPort, "", [](Settings& s, std::int64_t v) { s.credentials.listen_port = port(v); }}},
    {"credentials.role_arn", StringField{[](Settings& s, std::string v) { s.credentials.role_arn = std::move(v); }}},
    {"credentials.region", StringField{[](Settings& s, std::string v) { s.credentials.region = std::move(v); }}},
    {"credentials.sts_endpoint", StringField{[](Settings& s, std::string v) { s.credentials.sts_endpoint = std::move(v); }}},
    {"credentials.token_key_file", StringField{[](Settings& s, std::string v) { s.credentials.token_key_file = std::move(v); }}},
    {"credentials.gateway_credentials", ChoiceField{kGatewayCredentials, [](Settings& s, std::string_view v) { s.credentials.gateway_credentials = std::string(v); }}},
    {"credentials.imds_url", StringField{[](Settings& s, std::string v) { s.credentials.imds_url = std::move(v); }}},
    {"credentials.session_duration_seconds", IntegerField{900, 3600, "seconds", [](Settings& s, std::int64_t v) { s.credentials.session_duration = seconds(v); }}},
    {"appserver.enabled", BoolField{[](Settings& s, bool v) { s.appserver.enabled = v; }}},
    {"appserver.image", StringField{[](Settings& s, std::string v) { s.appserver.image = std::move(v); }}},
    {"appserver.openhands_version", StringField{[](Settings& s, std::string v) { s.appserver.openhands_version = std::move(v); }}},
    {"appserver.port", IntegerField{1, kMaxPort, "", [](Settings& s, std::int64_t v) { s.appserver.port = port(v); }}},
    {"appserver.command", StringListField{64, [](Settings& s, std::vector<std::string> v) { s.appserver.command = std::move(v); }}},
    {"appserver.data_root", StringField{[](Settings& s, std::string v) { s.appserver.data_root = std::move(v); }}},
    {"appserver.managed_label_value", StringField{[](Settings& s, std::string v) { s.appserver.managed_label_value = std::move(v); }}},
    {"appserver.sandbox_api_url", StringField{[](Settings& s, std::string v) { s.appserver.sandbox_api_url = std::move(v); }}},
    {"appserver.web_url", StringField{[](Settings& s, std::string v) { s.appserver.web_url = std::move(v); }}},
    {"appserver.cors_origins", StringListField{16, [](Settings& s, std::vector<std::string> v) { s.appserver.cors_origins = std::move(v); }}},
    {"appserver.secret_key_file", StringField{[](Settings& s, std::string v) { s.appserver.secret_key_file = std::move(v); }}},
    {"appserver.pass_environment", StringListField{64, [](Settings& s, std::vector<std::string> v) { s.appserver.pass_environment = std::move(v); }}},
    {"appserver.database_url", StringField{[](Settings& s, std::string v) { s.appserver.database_url = std::move(v); }}},
    {"appserver.database_password_file", StringField{[](Settings& s, std::string v) { s.appserver.database_password_file = std::move(v); }}},
    {"appserver.database_host", StringField{[](Settings& s, std::string v) { s.appserver.database_host = std::move(v); }}},
    {"appserver.database_port", IntegerField{0, kMaxPort, "", [](Settings& s, std::int64_t v) { s.appserver.database_port = port(v); }}},
    {"appserver.database_name_prefix", StringField{[](Settings& s, std::string v) { s.appserver.database_name_prefix = std::move(v); }}},
    {"appserver.event_bucket", StringField{[](Settings& s, std::string v) { s.appserver.event_bucket = std::move(v); }}},
    {"appserver.s3_endpoint", StringField{[](Settings& s, std::string v) { s.appserver.s3_endpoint = std::move(v); }}},
    {"appserver.max_running", IntegerField{1, 10'000, "", [](Settings& s, std::int64_t v) { s.appserver.max_running = size(v); }}},
    {"appserver.idle_timeout_seconds", IntegerField{60, 30 * kMaxTimeoutSeconds, "seconds", [](Settings& s, std::int64_t v) { s.appserver.idle_timeout = seconds(v); }}},
    {"appserver.start_timeout_seconds", IntegerField{10, 3600, "seconds", [](Settings& s, std::int64_t v) { s.appserver.start_timeout = seconds(v); }}},
    {"appserver.retry_delay_seconds", IntegerField{1, 3600, "seconds", [](Settings& s, std::int64_t v) { s.appserver.retry_delay = seconds(v); }}},
    {"appserver.cpus", NumberField{0.0, false, 1024.0, [](Settings& s, double v) { s.appserver.cpus = v; }}},
    {"appserver.memory_mb", IntegerField{0, 4 * 1024 * 1024, "", [](Settings& s, std::int64_t v) { s.appserver.memory_mb = static_cast<std::uint64_t>(v); }}},
    {"appserver.pids", IntegerField{0, 4'194'304, "", [](Settings& s, std::int64_t v) { s.appserver.pids = v; }}},
}};

constexpr std::array<std::string_view, 16> kSections{"server", "upstream", "websocket",   "origin",
                                                     "limits", "rate_limit", "admin",       "log",
                                                     "auth",   "auth.cognito", "auth.oidc", "runtime",
                                                     "sandbox", "sandbox.limits", "appserver", "credentials"};

}  // namespace

std::span<const FieldSpec> settingsSchema() { return kSchema; }

const FieldSpec* findField(std::string_view key) {
  for (const FieldSpec& field : kSchema) {
    if (field.key == key) {
      return &field;
    }
  }
  return nullptr;
}

bool isSection(std::string_view key) {
  for (std::string_view section : kSections) {
    if (section == key) {
      return true;
    }
  }
  return false;
}

std::vector<std::string_view> allKeys() {
  std::vector<std::string_view> keys(kSections.begin(), kSections.end());
  for (const FieldSpec& field : kSchema) {
    keys.push_back(field.key);
  }
  return keys;
}

}  // namespace oh::gateway::config_schema
