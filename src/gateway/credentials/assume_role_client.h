#pragma once
// STS AssumeRole of the Bedrock role for one user, with the gateway's own credentials (a
// CredentialCache under key ""), over the gateway's outbound client: asynchronous, so no
// listener or data-plane thread ever waits on STS. The session is named after the user
// ("oh-{userKey}"), so CloudTrail attributes each user's Bedrock calls.

#include <chrono>
#include <string>

#include "common/wall_clock.h"
#include "credentials/credential_cache.h"
#include "outbound/https_client.h"

namespace oh::gateway::credentials {

struct AssumeRoleSettings {
  std::string role_arn;
  std::string region;
  std::string endpoint;                  // "" = https://sts.{region}.amazonaws.com
  std::chrono::seconds duration{3600};   // DurationSeconds
};

class AssumeRoleClient {
public:
  // All three outlive the client.
  AssumeRoleClient(AssumeRoleSettings settings, HttpsClient& client, CredentialCache& own_credentials,
                   const common::WallClock& clock);

  // done runs once, on the outbound client's thread (or the caller's, when the gateway's own
  // credentials fail from the cache).
  void assumeRole(const std::string& user_key, CredentialsDone done);

  // As a CredentialCache::Fetch for the per-user cache.
  CredentialCache::Fetch asFetch();

private:
  void call(const std::string& user_key, const control::aws::AwsCredentials& own, CredentialsDone done);

  AssumeRoleSettings settings_;
  std::string endpoint_;
  HttpsClient& client_;
  CredentialCache& own_;
  const common::WallClock& clock_;
};

}  // namespace oh::gateway::credentials
