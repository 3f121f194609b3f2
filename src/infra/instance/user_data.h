#pragma once
// The EC2 user data that bootstraps an instance (Amazon Linux 2023, arm64): Docker, EFS, the
// CloudWatch agent, secrets fetched from Secrets Manager into root-only files, the database
// bootstrap, and the services (OpenHands, oh-gateway, Watchtower). Rendered as
// {"Fn::Base64": {"Fn::Sub": [script, {...}]}} so deploy-time values come from the stacks and
// no secret value is ever in the template.

#include <cstdint>
#include <string>

#include <boost/json/value.hpp>

namespace oh::infra::instance {

// Each field is a CloudFormation value (a literal string or an intrinsic such as cfn::ref()).
struct UserDataInputs {
  boost::json::value region;
  boost::json::value log_group_name;
  boost::json::value alert_topic_arn;
  boost::json::value data_bucket_name;
  boost::json::value efs_file_system_id;
  boost::json::value efs_access_point_id;
  boost::json::value db_proxy_endpoint;
  boost::json::value db_admin_secret_arn;
  boost::json::value auth_settings_secret_arn;    // sign-in client settings (replica in the main region)
  boost::json::value origin_secret_arn;           // X-Origin-Verify value
  boost::json::value session_key_secret_arn;      // cookie encryption key
  boost::json::value openhands_version_parameter; // SSM parameter name
  boost::json::value runtime_image_parameter;     // SSM parameter name
  boost::json::value gateway_image_uri;           // ECR image from the Docker image asset
  std::string bedrock_model;                      // e.g. bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0
  std::string main_host;                          // openhands.example.com
  std::uint16_t gateway_port = 8080;
};

// {"Fn::Base64": {"Fn::Sub": [script, variables]}}; the script stays under EC2's 16 KB limit.
boost::json::value renderUserData(const UserDataInputs& inputs);

}  // namespace oh::infra::instance
