#include "credentials/credential_endpoint.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "common/text.h"
#include "credentials/aws_time.h"

namespace oh::gateway::credentials {
namespace {

CredentialReply refusal(unsigned status, std::string_view outcome, std::string_view message) {
  boost::json::object body;
  body["code"] = outcome;
  body["message"] = message;
  return CredentialReply{status, boost::json::serialize(body), "", outcome};
}

}  // namespace

std::string renderContainerCredentials(const control::aws::AwsCredentials& credentials) {
  boost::json::object body;
  body["AccessKeyId"] = credentials.access_key_id;
  body["SecretAccessKey"] = credentials.secret_access_key;
  body["Token"] = credentials.session_token;
  if (credentials.expiration) {
    body["Expiration"] = control::aws::iso8601(*credentials.expiration);
  }
  return boost::json::serialize(body);
}

CredentialEndpoint::CredentialEndpoint(control::SandboxCredentialTokens tokens,
                                       std::shared_ptr<control::SandboxRouteSource> routes, CredentialCache& users)
    : tokens_(std::move(tokens)), routes_(std::move(routes)), users_(users) {}

void CredentialEndpoint::handle(std::string_view method, std::string_view target,
                                const std::vector<std::string_view>& authorization,
                                std::function<void(CredentialReply)> respond) const {
  if (target != kCredentialsPath) {
    return respond(refusal(404, "not_found", "only GET /v1/credentials is served here"));
  }
  if (method != "GET") {
    return respond(refusal(405, "bad_request", "only GET /v1/credentials is served here"));
  }
  if (authorization.empty()) {
    return respond(refusal(401, "unauthorized", "the sandbox's token is missing (Authorization)"));
  }
  if (authorization.size() > 1) {
    return respond(refusal(400, "bad_request", "one Authorization field, not several"));
  }
  const auto sandbox_id = tokens_.sandboxOf(common::trimOws(authorization.front()));
  if (!sandbox_id) {
    return respond(refusal(403, "forbidden", "the token is not valid"));
  }
  // Exact id: find() is case-insensitive, a token names one spelling.
  const control::SandboxRoutesPtr routes = routes_->routes();
  const control::SandboxRoute* route = routes->find(common::lowercaseAscii(*sandbox_id));
  if (route == nullptr || route->sandbox_id != *sandbox_id) {
    return respond(refusal(403, "forbidden", "the token's sandbox does not exist"));
  }
  std::string owner = route->owner;
  users_.get(owner, [owner, respond = std::move(respond)](CredentialsResult result) {
    if (!result) {
      // The reason (STS's error) is for the operator, not for the sandbox.
      spdlog::warn("credentials: no credentials for user {}: {}", owner, result.error().reason);
      auto reply = refusal(503, "unavailable", "credentials are unavailable; retry later");
      reply.owner = owner;
      return respond(std::move(reply));
    }
    respond(CredentialReply{200, renderContainerCredentials(*result), owner, "ok"});
  });
}

}  // namespace oh::gateway::credentials
