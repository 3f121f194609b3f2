#pragma once
// AWS Signature Version 4 (HMAC-SHA256), as the STS call needs it: the canonical request, the
// string to sign, the signing key and the Authorization field. Pure functions over a request
// description, so AWS's published test suite checks each step without a network.
//
//   SignableRequest request{.method = "POST", .headers = {{"Host", "sts.eu-west-1.amazonaws.com"},
//                           {"Content-Type", "application/x-www-form-urlencoded"}}, .payload = form};
//   sign(request, credentials, {"eu-west-1", "sts"}, clock.now());   // adds the signing fields
//
// Not covered (no caller needs them): S3's unsigned payloads and single-encoded paths, path
// normalisation of "." and ".." segments, presigned URLs, SigV4a.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/wall_clock.h"
#include "credentials/aws_credentials.h"

namespace oh::control::aws {

struct SignableRequest {
  std::string method = "GET";
  std::string path = "/";                                    // decoded; each segment is encoded once
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, Host included; all are signed
  std::string payload;
};

struct SigningScope {
  std::string region;
  std::string service;
};

struct CanonicalRequest {
  std::string text;
  std::string signed_headers;  // "host;x-amz-date"
};

CanonicalRequest canonicalRequest(const SignableRequest& request);

// "20150830/us-east-1/service/aws4_request" for amz_date "20150830T123600Z".
std::string credentialScope(std::string_view amz_date, const SigningScope& scope);

std::string stringToSign(std::string_view amz_date, std::string_view credential_scope,
                         std::string_view canonical_request);

// The raw 32-byte key: HMAC chain over the date (YYYYMMDD), region, service and "aws4_request".
std::string signingKey(std::string_view secret_access_key, std::string_view date8, const SigningScope& scope);

// The Authorization value for a request whose headers already carry X-Amz-Date = amz_date
// (and X-Amz-Security-Token when the credentials have a session token).
std::string authorization(const SignableRequest& request, const AwsCredentials& credentials,
                          const SigningScope& scope, std::string_view amz_date);

// Adds X-Amz-Date, X-Amz-Security-Token (session credentials) and Authorization to request.headers.
void sign(SignableRequest& request, const AwsCredentials& credentials, const SigningScope& scope,
          common::UnixSeconds now);

// HMAC-SHA256(key, data), raw 32 bytes.
std::string hmacSha256(std::string_view key, std::string_view data);

}  // namespace oh::control::aws
