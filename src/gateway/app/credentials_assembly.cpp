#include "app/credentials_assembly.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "auth/key_file.h"
#include "credentials/assume_role_client.h"
#include "credentials/credential_cache.h"
#include "credentials/credential_endpoint.h"
#include "credentials/credential_metrics.h"
#include "credentials/own_credentials.h"
#include "http/credentials_server.h"
#include "outbound/https_client.h"
#include "outbound/outbound_url.h"

namespace oh::gateway {

using namespace credentials;

namespace {

// IMDS's hosts, reached over plain http by design (hop limit 1 keeps them from containers).
const std::vector<std::string> kImdsHosts = {"169.254.169.254", "fd00:ec2::254"};

// Kept until a third of their lifetime is left, at most 20 minutes before expiry: botocore
// refreshes 15 minutes before (credentials.py, _advisory_refresh_timeout), so sandboxes
// always get credentials they need not refresh at once.
std::chrono::seconds userRefreshMargin(std::chrono::seconds duration) {
  return std::min<std::chrono::seconds>(std::chrono::minutes(20), duration / 3);
}

}  // namespace

std::string containerCredentialsUri(const CredentialsSettings& settings) {
  const bool v6 = settings.listen_address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + settings.listen_address + "]" : settings.listen_address) + ":" +
         std::to_string(settings.listen_port) + std::string(kCredentialsPath);
}

// Declared in the order they are needed; destroyed in reverse. The listener is stopped first
// (~Parts), then the outbound client ends its exchanges (their callbacks still find the caches,
// the STS client and the stopped listener), then the rest.
struct CredentialsAssembly::Parts {
  common::SystemWallClock clock;
  CredentialMetrics metrics;
  std::unique_ptr<CredentialCache> own;
  std::unique_ptr<AssumeRoleClient> sts;
  std::unique_ptr<CredentialCache> users;
  std::unique_ptr<CredentialEndpoint> endpoint;
  std::unique_ptr<CredentialsServer> server;
  std::unique_ptr<HttpsClient> client;

  ~Parts() {
    if (server) {
      server->stop();
    }
    client.reset();
  }
};

CredentialsAssembly::CredentialsAssembly(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

CredentialsAssembly::~CredentialsAssembly() = default;

common::Result<std::unique_ptr<CredentialsAssembly>> CredentialsAssembly::start(
    const Settings& settings, std::shared_ptr<control::SandboxRouteSource> routes, Metrics& metrics) {
  const CredentialsSettings& config = settings.credentials;
  auto key = auth::readKeyFile(config.token_key_file);
  if (!key) {
    return common::failure("credentials.token_key_file: " + key.error().reason);
  }
  auto tokens = control::SandboxCredentialTokens::fromKey(std::move(key).value());
  if (!tokens) {
    return common::failure("credentials.token_key_file: " + tokens.error().reason);
  }
  const bool loopback_sts = !config.sts_endpoint.empty() && !config.sts_endpoint.starts_with("https://");
  const bool loopback_imds = config.imds_url.find("169.254.169.254") == std::string::npos &&
                             config.imds_url.find("fd00:ec2::254") == std::string::npos;
  auto client = HttpsClient::create(HttpsClient::Options{
      .ca_file = settings.auth.ca_file,
      .timeout = std::chrono::seconds(10),
      .max_response_bytes = 64 * 1024,
      .allow_loopback_http = loopback_sts || loopback_imds,  // the rules allow http only to loopback
      .plain_http_hosts = kImdsHosts,
  });
  if (auto* reason = std::get_if<std::string>(&client)) {
    return common::failure("credentials: " + *reason);
  }
  auto parts = std::make_unique<Parts>();
  parts->client = std::move(std::get<std::unique_ptr<HttpsClient>>(client));

  CredentialCache::Fetch own_fetch;
  if (config.gateway_credentials == "environment") {
    auto from_env = environmentCredentials([](const char* name) { return std::getenv(name); });
    if (!from_env) {
      return common::failure(from_env.error().reason);
    }
    own_fetch = [credentials = std::move(from_env).value()](const std::string&, CredentialsDone done) {
      done(credentials);
    };
  } else {
    own_fetch = imdsCredentials(*parts->client, config.imds_url);
  }
  // The instance role's credentials rotate about an hour before they expire; five minutes of
  // margin keeps every AssumeRole signed with valid ones.
  parts->own = std::make_unique<CredentialCache>(std::move(own_fetch), parts->clock,
                                                 CredentialCache::Options{.refresh_before_expiry = std::chrono::minutes(5)});
  parts->sts = std::make_unique<AssumeRoleClient>(
      AssumeRoleSettings{config.role_arn, config.region, config.sts_endpoint, config.session_duration}, *parts->client,
      *parts->own, parts->clock);
  parts->users = std::make_unique<CredentialCache>(
      parts->sts->asFetch(), parts->clock,
      CredentialCache::Options{.refresh_before_expiry = userRefreshMargin(config.session_duration)});
  parts->endpoint = std::make_unique<CredentialEndpoint>(std::move(tokens).value(), std::move(routes), *parts->users);
  parts->server = std::make_unique<CredentialsServer>(
      CredentialsServerOptions{
          .listen_address = config.listen_address,
          .listen_port = config.listen_port,
          .access_log = settings.log.access_log,
      },
      *parts->endpoint, parts->metrics);
  if (auto error = parts->server->start()) {
    return common::failure(*error);
  }
  metrics.addSource([p = parts.get()] { return p->metrics.renderPrometheus(p->users->stats(), p->own->stats()); });
  spdlog::info("credentials: serving {} for role {} (STS {}, gateway credentials from {})",
               containerCredentialsUri(config), config.role_arn,
               config.sts_endpoint.empty() ? "regional" : config.sts_endpoint, config.gateway_credentials);
  return std::unique_ptr<CredentialsAssembly>(new CredentialsAssembly(std::move(parts)));
}

ListenAddress CredentialsAssembly::address() const { return parts_->server->address(); }

}  // namespace oh::gateway
