#pragma once
// The gateway's own AWS credentials, with which it calls STS AssumeRole for users:
//  - "instance": the instance role through IMDSv2 (PUT a session token, then GET the role's
//    name and its credentials from 169.254.169.254). Works from the host with hop limit 1,
//    which keeps the role out of reach of containers.
//  - "environment": AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, read once at
//    start (one machine, tests).
// Both yield a CredentialCache::Fetch; the cache keeps them until shortly before expiry.

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "credentials/aws_credentials.h"
#include "credentials/credential_cache.h"
#include "outbound/https_client.h"

namespace oh::gateway::credentials {

// The credentials document IMDS serves at /latest/meta-data/iam/security-credentials/{role}:
// {"Code":"Success","AccessKeyId":...,"SecretAccessKey":...,"Token":...,"Expiration":...}.
common::Result<control::aws::AwsCredentials> parseImdsCredentials(std::string_view json);

// IMDSv2 at base_url ("http://169.254.169.254"; a test's fake on loopback). The client must
// allow plain http to that host (HttpsClient::Options::plain_http_hosts).
CredentialCache::Fetch imdsCredentials(HttpsClient& client, std::string base_url);

// From the variables (read through getenv), or the reason they are unusable. No expiry.
common::Result<control::aws::AwsCredentials> environmentCredentials(
    const std::function<const char*(const char*)>& getenv);

}  // namespace oh::gateway::credentials
