#pragma once
// What the container credential endpoint answers (issue 15): GET /v1/credentials with the
// sandbox's token in Authorization, exactly as botocore's ContainerProvider sends it
// (credentials.py ContainerProvider._build_headers: {'Authorization': token}, no scheme), and
// the JSON it reads (AccessKeyId, SecretAccessKey, Token, Expiration; utils.py
// ContainerMetadataFetcher needs status 200).
//
// The token names a sandbox (control/credentials/sandbox_credential_tokens.h); the sandbox
// service's route snapshot, read at the time of the call, says whose it is, so a removed
// sandbox's token opens nothing. The owner's credentials come from the per-user cache.
// Tokens are never logged or echoed; refusals say only which rule refused.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "credentials/credential_cache.h"
#include "credentials/sandbox_credential_tokens.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway::credentials {

inline constexpr std::string_view kCredentialsPath = "/v1/credentials";

struct CredentialReply {
  unsigned status = 200;
  std::string body;       // JSON
  std::string owner;      // the user key when the token was accepted (for the access log)
  std::string_view outcome = "ok";  // ok | unauthorized | forbidden | not_found | bad_request | unavailable
};

// {"AccessKeyId":...,"SecretAccessKey":...,"Token":...,"Expiration":"...Z"}
std::string renderContainerCredentials(const control::aws::AwsCredentials& credentials);

class CredentialEndpoint {
public:
  CredentialEndpoint(control::SandboxCredentialTokens tokens, std::shared_ptr<control::SandboxRouteSource> routes,
                     CredentialCache& users);

  // authorization: the value of each Authorization field of the request. `respond` runs
  // once, at once for refusals and cache hits, otherwise when STS has answered.
  void handle(std::string_view method, std::string_view target, const std::vector<std::string_view>& authorization,
              std::function<void(CredentialReply)> respond) const;

private:
  control::SandboxCredentialTokens tokens_;
  std::shared_ptr<control::SandboxRouteSource> routes_;
  CredentialCache& users_;
};

}  // namespace oh::gateway::credentials
