#pragma once
// The EC2 user data that bootstraps an instance (Amazon Linux 2023, arm64): Docker, EFS, the
// CloudWatch agent and the systemd units. oh-prepare.service then copies the boot scripts
// (secrets into root-only files, the database bootstrap, the gateway's configuration) out of the
// gateway image, which carries them rather than this user data (docs/instance.md). Rendered as
// {"Fn::Base64": {"Fn::Sub": [script, {...}]}} so deploy-time values come from the stacks and
// no secret value is ever in the template.

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/openhands_release.h"

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

  // Added by the instance issue; the defaults keep the fields above sufficient.
  // The application role's secret ({"username":"openhands_app","password":...}), which the
  // Database stack creates and lists in the RDS Proxy's Auth (the proxy admits only those users).
  boost::json::value app_db_secret_arn;
  // Stock OpenHands image; the tag is the SSM parameter's value.
  std::string openhands_image_repository{openhands_release::kAppServerImageRepository};
  // OpenHands' SANDBOX_CONTAINER_URL_PATTERN ({port} is the sandbox's published host port).
  std::string sandbox_url_pattern = "http://localhost:{port}";
  // The VPC's CIDR (the ALB's addresses): the gateway believes X-Forwarded-For from it.
  // "" = trust no forwarder.
  std::string vpc_cidr;
  // The SSM parameter (String, comma list) that names every main host the deployment serves
  // ({sub}.{domain} of each domain, the primary first): the gateway's auth.callback_hosts and
  // runtime.{host} suffixes, OpenHands' CORS origins. Read at boot rather than carried here,
  // so fifty domains cost the user data nothing. "" = main_host alone.
  boost::json::value main_hosts_parameter = "";

  // Added by issue 15: the Bedrock-only role (Security stack) oh-gateway assumes per user and
  // serves to sandboxes as container credentials (its [credentials] section).
  boost::json::value bedrock_role_arn;
};

// The two halves of the Fn::Sub: the script (every literal "${" written "${!") and the values
// of its variables, named as in deploy/instance/user-data.sh (Region, LogGroupName, ...).
struct UserDataParts {
  std::string script;
  boost::json::object variables;
};
UserDataParts renderUserDataParts(const UserDataInputs& inputs);

// Problems that would make the rendered user data unusable, each naming its field
// (e.g. "main_host: must be a DNS name, but \"a b\" was provided"); empty when valid.
std::vector<std::string> validateUserDataInputs(const UserDataInputs& inputs);

// A deploy/instance file as the user data carries it: without full-line comments and blank
// lines (scripts, units, TOML), so the script fits EC2's limit; shebang and shellcheck kept.
std::string compactForUserData(std::string_view name, std::string_view content);

// EC2's limit on user data, applied to the script before base64 (the decoded size).
inline constexpr std::size_t kMaxUserDataBytes = 16384;

// {"Fn::Base64": {"Fn::Sub": [script, variables]}}; the script stays under EC2's 16 KB limit.
// Literal string inputs are validated (validateUserDataInputs); an invalid one throws
// std::invalid_argument listing every problem, since this runs at synth time, not on a data path.
boost::json::value renderUserData(const UserDataInputs& inputs);

}  // namespace oh::infra::instance
