#include "credentials/assume_role_call.h"

#include <algorithm>

#include "common/text.h"
#include "credentials/sigv4.h"

namespace oh::control::aws {

std::string stsEndpoint(std::string_view region, std::string_view override_url) {
  if (!override_url.empty()) {
    return std::string(override_url);
  }
  return "https://sts." + std::string(region) + ".amazonaws.com";
}

common::Result<std::string> endpointHostField(std::string_view url) {
  std::string_view default_port;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
    default_port = ":443";
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
    default_port = ":80";
  } else {
    return common::failure("the STS endpoint must start with https:// (or http:// for a local emulator)");
  }
  if (!url.empty() && url.back() == '/') {
    url.remove_suffix(1);
  }
  const bool plain = std::all_of(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '.' || c == '-' ||
           c == ':' || c == '[' || c == ']';
  });
  if (url.empty() || !plain) {
    return common::failure("the STS endpoint must be scheme://host[:port] with no path, query or user");
  }
  std::string host = common::lowercaseAscii(url);
  if (host.ends_with(default_port)) {
    host.resize(host.size() - default_port.size());
  }
  return host;
}

common::Result<HttpCall> assumeRoleCall(const AssumeRoleParameters& parameters, const AwsCredentials& caller,
                                        std::string_view region, std::string_view endpoint_url,
                                        common::UnixSeconds now) {
  auto host = endpointHostField(endpoint_url);
  if (!host) {
    return common::fail(host.error());
  }
  std::string body = "Action=AssumeRole&Version=2011-06-15";
  body.append("&RoleArn=").append(common::percentEncode(parameters.role_arn));
  body.append("&RoleSessionName=").append(common::percentEncode(parameters.session_name));
  body.append("&DurationSeconds=").append(std::to_string(parameters.duration.count()));

  SignableRequest request;
  request.method = "POST";
  request.headers = {{"Host", std::move(host).value()},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.payload = std::move(body);
  sign(request, caller, SigningScope{std::string(region), "sts"}, now);

  HttpCall call;
  call.method = "POST";
  call.url = std::string(endpoint_url);
  if (call.url.back() != '/') {
    call.url += '/';
  }
  for (auto& header : request.headers) {
    if (header.first != "Host") {
      call.headers.push_back(std::move(header));
    }
  }
  call.body = std::move(request.payload);
  return call;
}

}  // namespace oh::control::aws
