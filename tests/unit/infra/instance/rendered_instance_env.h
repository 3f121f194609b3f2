#pragma once
// The /etc/openhands/instance.env the user data writes, for tests that run the boot services:
// rendered by renderUserDataParts and resolved as CloudFormation's Fn::Sub would, with literal
// values for every input.

#include <map>
#include <stdexcept>
#include <string>

#include "instance/fn_sub.h"
#include "instance/user_data.h"

namespace oh::infra::instance::testing {

inline std::string renderedInstanceEnv(const UserDataInputs& in) {
  const auto parts = renderUserDataParts(in);
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : parts.variables) {
    values[std::string(name)] = std::string(value.as_string());
  }
  const auto script = resolveSub(parts.script, values).text;
  const std::string open = "/etc/openhands/instance.env <<'EOF'\n";
  const auto begin = script.find(open);
  const auto end = script.find("\nEOF\n", begin);
  if (begin == std::string::npos || end == std::string::npos) {
    throw std::runtime_error("instance.env here-document not found in the user data");
  }
  return script.substr(begin + open.size(), end - begin - open.size() + 1);
}

// Literal inputs naming test resources (the integration test's moto resources use these names).
inline UserDataInputs sampleInputs() {
  UserDataInputs in;
  in.region = "eu-central-1";
  in.log_group_name = "/openhands/application";
  in.alert_topic_arn = "arn:aws:sns:eu-central-1:123456789012:replaced-by-driver";
  in.data_bucket_name = "openhands-data-test";
  in.efs_file_system_id = "fs-0123456789abcdef0";
  in.efs_access_point_id = "fsap-0123456789abcdef0";
  in.db_proxy_endpoint = "localhost";
  in.db_admin_secret_arn = "oh/db-admin";
  in.app_db_secret_arn = "oh/app-db";
  in.auth_settings_secret_arn = "oh/auth";
  in.origin_secret_arn = "oh/origin";
  in.session_key_secret_arn = "oh/session-key";
  in.openhands_version_parameter = "/openhands/version";
  in.runtime_image_parameter = "/openhands/runtime-image";
  in.main_hosts_parameter = "/openhands/main-hosts";
  in.gateway_image_uri = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/oh-gateway:test";
  in.main_host = "openhands.example.com";
  in.vpc_cidr = "10.20.0.0/16";
  in.bedrock_role_arn = "arn:aws:iam::123456789012:role/OpenHands-Security-BedrockRole-AbCdEf123456";
  return in;
}

}  // namespace oh::infra::instance::testing
