#include "credentials/assume_role_client.h"

#include "credentials/assume_role_call.h"
#include "credentials/role_session_name.h"
#include "credentials/sts_reply.h"

namespace oh::gateway::credentials {

namespace aws = control::aws;

AssumeRoleClient::AssumeRoleClient(AssumeRoleSettings settings, HttpsClient& client, CredentialCache& own_credentials,
                                   const common::WallClock& clock)
    : settings_(std::move(settings)),
      endpoint_(aws::stsEndpoint(settings_.region, settings_.endpoint)),
      client_(client),
      own_(own_credentials),
      clock_(clock) {}

void AssumeRoleClient::assumeRole(const std::string& user_key, CredentialsDone done) {
  own_.get("", [this, user_key, done = std::move(done)](CredentialsResult own) mutable {
    if (!own) {
      return done(common::failure("the gateway's own credentials: " + own.error().reason));
    }
    call(user_key, *own, std::move(done));
  });
}

void AssumeRoleClient::call(const std::string& user_key, const aws::AwsCredentials& own, CredentialsDone done) {
  const aws::AssumeRoleParameters parameters{settings_.role_arn, aws::roleSessionName(user_key), settings_.duration};
  auto call = aws::assumeRoleCall(parameters, own, settings_.region, endpoint_, clock_.now());
  if (!call) {
    return done(common::fail(call.error()));
  }
  OutboundRequest request;
  request.method = call->method;
  request.url = std::move(call->url);
  request.headers = std::move(call->headers);
  request.body = std::move(call->body);
  client_.send(std::move(request), [this, done = std::move(done)](OutboundResult result) {
    if (auto* reason = std::get_if<std::string>(&result)) {
      return done(common::failure("STS AssumeRole: " + *reason));
    }
    const auto& response = std::get<OutboundResponse>(result);
    if (response.status != 200) {
      return done(common::failure("STS AssumeRole: HTTP " + std::to_string(response.status) + ": " +
                                  aws::describeStsError(response.body)));
    }
    auto role = aws::parseAssumeRoleResponse(response.body);
    if (!role) {
      return done(common::fail(role.error()));
    }
    if (*role->credentials.expiration <= clock_.now()) {
      return done(common::failure("STS AssumeRole: the credentials STS returned have already expired"));
    }
    done(std::move(role->credentials));
  });
}

CredentialCache::Fetch AssumeRoleClient::asFetch() {
  return [this](const std::string& user_key, CredentialsDone done) { assumeRole(user_key, std::move(done)); };
}

}  // namespace oh::gateway::credentials
