#pragma once
// The STS AssumeRole call as an HTTP request, signed (Query API: a POST of a form to the
// regional endpoint https://sts.{region}.amazonaws.com/, or the configured override such as a
// local moto server). Pure: the caller sends it with its outbound client.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/wall_clock.h"
#include "credentials/aws_credentials.h"

namespace oh::control::aws {

struct AssumeRoleParameters {
  std::string role_arn;
  std::string session_name;              // roleSessionName(...)
  std::chrono::seconds duration{3600};   // DurationSeconds: 900 to the role's maximum (3600 when chained)
};

struct HttpCall {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Host excluded: the client sets it
  std::string body;
};

// "https://sts.{region}.amazonaws.com" unless override_url is set.
std::string stsEndpoint(std::string_view region, std::string_view override_url);

// The Host field a client sends for an http(s)://host[:port][/] endpoint (the port only when
// not the scheme's default), or a reason. The signature covers it, so it must be what goes out.
common::Result<std::string> endpointHostField(std::string_view endpoint_url);

common::Result<HttpCall> assumeRoleCall(const AssumeRoleParameters& parameters, const AwsCredentials& caller,
                                        std::string_view region, std::string_view endpoint_url,
                                        common::UnixSeconds now);

}  // namespace oh::control::aws
