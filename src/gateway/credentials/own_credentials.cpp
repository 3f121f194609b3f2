#include "credentials/own_credentials.h"

#include <algorithm>
#include <memory>

#include <boost/json/object.hpp>

#include "common/json_fields.h"
#include "common/strict_json.h"
#include "credentials/aws_time.h"

namespace oh::gateway::credentials {
namespace {

using control::aws::AwsCredentials;

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kRolesPath = "/latest/meta-data/iam/security-credentials/";
constexpr std::string_view kTokenTtl = "21600";  // IMDSv2's maximum, 6 hours; we ask once per refresh
constexpr std::size_t kMaxSecretBytes = 8192;

bool isVisible(std::string_view text) {
  return !text.empty() && text.size() <= kMaxSecretBytes &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// The role name IMDS lists (one per instance profile): letters, digits and +=,.@_-.
bool isRoleName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("+=,.@_-").find(c) != std::string_view::npos;
  });
}

// One IMDS step: the answer's body when it is 200, otherwise the reason.
common::Result<std::string> bodyOf(OutboundResult result, std::string_view step) {
  if (auto* reason = std::get_if<std::string>(&result)) {
    return common::failure("IMDS " + std::string(step) + ": " + *reason);
  }
  auto& response = std::get<OutboundResponse>(result);
  if (response.status != 200) {
    return common::failure("IMDS " + std::string(step) + ": HTTP " + std::to_string(response.status));
  }
  return std::move(response.body);
}

struct ImdsFetch : std::enable_shared_from_this<ImdsFetch> {
  HttpsClient& client;
  std::string base_url;
  CredentialsDone done;
  std::string token;

  ImdsFetch(HttpsClient& c, std::string url, CredentialsDone d) : client(c), base_url(std::move(url)), done(std::move(d)) {}

  void start() {
    OutboundRequest request;
    request.method = "PUT";
    request.url = base_url + std::string(kTokenPath);
    request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::string(kTokenTtl)}};
    client.send(std::move(request), [self = shared_from_this()](OutboundResult result) { self->onToken(std::move(result)); });
  }

  void get(std::string path, void (ImdsFetch::*next)(OutboundResult)) {
    OutboundRequest request;
    request.url = base_url + path;
    request.headers = {{"X-aws-ec2-metadata-token", token}};
    client.send(std::move(request), [self = shared_from_this(), next](OutboundResult result) {
      ((*self).*next)(std::move(result));
    });
  }

  void onToken(OutboundResult result) {
    auto body = bodyOf(std::move(result), "token");
    if (!body) {
      return done(common::fail(body.error()));
    }
    if (!isVisible(*body)) {
      return done(common::failure("IMDS token: malformed"));
    }
    token = std::move(body).value();
    get(std::string(kRolesPath), &ImdsFetch::onRoles);
  }

  void onRoles(OutboundResult result) {
    auto body = bodyOf(std::move(result), "role list");
    if (!body) {
      return done(common::fail(body.error()));
    }
    std::string_view role = *body;
    role = role.substr(0, role.find('\n'));  // the first (and only) role of the instance profile
    if (!isRoleName(role)) {
      return done(common::failure("IMDS role list: no instance role (is an instance profile attached?)"));
    }
    get(std::string(kRolesPath) + std::string(role), &ImdsFetch::onCredentials);
  }

  void onCredentials(OutboundResult result) {
    auto body = bodyOf(std::move(result), "role credentials");
    if (!body) {
      return done(common::fail(body.error()));
    }
    done(parseImdsCredentials(*body));
  }
};

}  // namespace

common::Result<AwsCredentials> parseImdsCredentials(std::string_view json) {
  if (json.size() > 16 * 1024) {
    return common::failure("IMDS credentials: document larger than 16 KiB");
  }
  auto parsed = common::parseStrictJson(json, 2);
  if (!parsed || !parsed->is_object()) {
    return common::failure("IMDS credentials: not a JSON object");
  }
  const auto& object = parsed->get_object();
  if (common::stringAt(object, "Code") != std::optional<std::string_view>("Success")) {
    return common::failure("IMDS credentials: Code is not Success");
  }
  const auto key_id = common::stringAt(object, "AccessKeyId");
  const auto secret = common::stringAt(object, "SecretAccessKey");
  const auto token = common::stringAt(object, "Token");
  const auto expiration = common::stringAt(object, "Expiration");
  if (!key_id || !secret || !token || !expiration || !isVisible(*key_id) || !isVisible(*secret) || !isVisible(*token)) {
    return common::failure("IMDS credentials: AccessKeyId, SecretAccessKey, Token or Expiration missing or malformed");
  }
  const auto expires = control::aws::parseIso8601(*expiration);
  if (!expires) {
    return common::failure("IMDS credentials: Expiration is not an ISO 8601 UTC time");
  }
  return AwsCredentials{std::string(*key_id), std::string(*secret), std::string(*token), *expires};
}

CredentialCache::Fetch imdsCredentials(HttpsClient& client, std::string base_url) {
  while (!base_url.empty() && base_url.back() == '/') {
    base_url.pop_back();
  }
  return [&client, base_url](const std::string&, CredentialsDone done) {
    std::make_shared<ImdsFetch>(client, base_url, std::move(done))->start();
  };
}

common::Result<AwsCredentials> environmentCredentials(const std::function<const char*(const char*)>& getenv) {
  const char* key_id = getenv("AWS_ACCESS_KEY_ID");
  const char* secret = getenv("AWS_SECRET_ACCESS_KEY");
  const char* token = getenv("AWS_SESSION_TOKEN");
  if (key_id == nullptr || secret == nullptr || !isVisible(key_id) || !isVisible(secret)) {
    return common::failure("credentials.gateway_credentials = \"environment\": AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY must be set");
  }
  if (token != nullptr && *token != '\0' && !isVisible(token)) {
    return common::failure("AWS_SESSION_TOKEN is malformed");
  }
  return AwsCredentials{key_id, secret, token != nullptr ? token : "", std::nullopt};
}

}  // namespace oh::gateway::credentials
