#include "instance/user_data.h"

#include <stdexcept>
#include <string_view>
#include <utility>

#include "common/base64.h"
#include "instance/bundle.h"
#include "instance/embedded_files.h"

namespace oh::infra::instance {
namespace {

constexpr std::string_view kFileDirective = "#@file ";
constexpr std::string_view kBundleDirective = "#@bundle";
constexpr std::string_view kHereDocEnd = "OH_EOF";
constexpr std::string_view kDefaultModel = "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
constexpr std::size_t kBase64LineLength = 76;

// Full-line comments and blank lines cost user-data bytes and help no one on the instance; the
// commented originals stay in deploy/instance/. Kept: the shebang and shellcheck directives.
bool droppable(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return true;
  }
  return line[first] == '#' && !line.starts_with("#!") && !line.starts_with("#@") &&
         line.find("shellcheck ") == std::string_view::npos;
}

}  // namespace

std::string compactForUserData(std::string_view name, std::string_view content) {
  const bool commented = name.ends_with(".sh") || name.ends_with(".service") || name.ends_with(".toml.in");
  std::string out;
  out.reserve(content.size());
  std::size_t pos = 0;
  while (pos < content.size()) {
    const auto eol = content.find('\n', pos);
    const auto line = content.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!commented || !droppable(line)) {
      out += line;
      out += '\n';
    }
    pos = eol == std::string_view::npos ? content.size() : eol + 1;
  }
  return out;
}

namespace {

std::string_view requireEmbedded(std::string_view name) {
  const auto content = embeddedFile(name);
  if (!content) {
    throw std::logic_error("deploy/instance/" + std::string(name) + " was not embedded");
  }
  return *content;
}

// "#@file MODE PATH NAME": deploy/instance/NAME goes into the bundle, installed at PATH.
BundleFile fileDirective(std::string_view directive) {
  std::string_view rest = directive.substr(kFileDirective.size());
  std::vector<std::string_view> words;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    words.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  if (words.size() != 3 || words[0].size() != 4 || words[0].find_first_not_of("01234567") != std::string_view::npos) {
    throw std::logic_error("malformed file directive: " + std::string(directive));
  }
  return BundleFile{std::string(words[1]), static_cast<unsigned>(std::stoul(std::string(words[0]), nullptr, 8)),
                    std::string(requireEmbedded(words[2]))};
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto eol = text.find('\n', pos);
    out.push_back(text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
  }
  return out;
}

// "#@bundle" -> the files of every #@file line, unpacked in place by base64 and tar. Base64
// has no '$', so Fn::Sub leaves the files untouched, whatever they contain.
std::string bundleCommand(const std::vector<BundleFile>& files) {
  const std::string encoded = common::base64Encode(gzip(tarArchive(files)));
  std::string out = "base64 -d <<'" + std::string(kHereDocEnd) + "' | tar -xzf - -C /\n";
  for (std::size_t pos = 0; pos < encoded.size(); pos += kBase64LineLength) {
    out += encoded.substr(pos, kBase64LineLength);
    out += '\n';
  }
  out += kHereDocEnd;
  out += '\n';
  return out;
}

std::string expandTemplate(std::string_view tmpl) {
  std::vector<BundleFile> files;
  for (const auto line : lines(tmpl)) {
    if (line.starts_with(kFileDirective)) {
      files.push_back(fileDirective(line));
    }
  }
  std::string out;
  int bundles = 0;
  for (const auto line : lines(tmpl)) {
    if (line.starts_with(kFileDirective)) {
      continue;
    }
    if (line == kBundleDirective) {
      out += bundleCommand(files);
      ++bundles;
    } else {
      out += line;
      out += '\n';
    }
  }
  if (bundles != 1) {
    throw std::logic_error("user-data.sh must have exactly one #@bundle line");
  }
  return out;
}

// Literal values land in env files and single-quoted shell words: keep them to characters
// that mean nothing to bash, systemd or Fn::Sub.
bool safeLiteral(std::string_view text) {
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("._:/@+=-{}").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

void checkValue(std::vector<std::string>& problems, std::string_view field,
                const boost::json::value& value, bool may_be_empty = false) {
  if (value.is_object()) {
    return;  // an intrinsic, resolved by CloudFormation to an AWS-made name
  }
  if (!value.is_string()) {
    problems.push_back(std::string(field) + ": must be a string or an intrinsic function");
    return;
  }
  const std::string_view text = value.get_string();
  if (text.empty() && !may_be_empty) {
    problems.push_back(std::string(field) + ": must not be empty");
  } else if (!safeLiteral(text)) {
    problems.push_back(std::string(field) + ": may contain only letters, digits and ._:/@+={}-, but \"" +
                       std::string(text) + "\" was provided");
  }
}

bool dnsName(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') {
    return false;
  }
  std::size_t label = 0;
  for (const char c : host) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) {
      return false;
    }
  }
  return true;
}

bool ipv4Cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  const auto number = [](std::string_view digits, unsigned max) {
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) {
      return false;
    }
    unsigned value = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') {
        return false;
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value <= max;
  };
  std::string_view address = text.substr(0, slash);
  for (int octet = 0; octet < 4; ++octet) {
    const auto dot = address.find('.');
    if ((octet < 3) == (dot == std::string_view::npos) || !number(address.substr(0, dot), 255)) {
      return false;
    }
    address = dot == std::string_view::npos ? std::string_view{} : address.substr(dot + 1);
  }
  return number(text.substr(slash + 1), 32);
}

}  // namespace

std::vector<std::string> validateUserDataInputs(const UserDataInputs& in) {
  std::vector<std::string> problems;
  checkValue(problems, "region", in.region);
  checkValue(problems, "log_group_name", in.log_group_name);
  checkValue(problems, "alert_topic_arn", in.alert_topic_arn);
  checkValue(problems, "data_bucket_name", in.data_bucket_name);
  checkValue(problems, "efs_file_system_id", in.efs_file_system_id);
  checkValue(problems, "efs_access_point_id", in.efs_access_point_id);
  checkValue(problems, "db_proxy_endpoint", in.db_proxy_endpoint);
  checkValue(problems, "db_admin_secret_arn", in.db_admin_secret_arn);
  checkValue(problems, "auth_settings_secret_arn", in.auth_settings_secret_arn);
  checkValue(problems, "origin_secret_arn", in.origin_secret_arn);
  checkValue(problems, "session_key_secret_arn", in.session_key_secret_arn);
  checkValue(problems, "openhands_version_parameter", in.openhands_version_parameter);
  checkValue(problems, "runtime_image_parameter", in.runtime_image_parameter);
  checkValue(problems, "gateway_image_uri", in.gateway_image_uri);
  checkValue(problems, "app_db_secret_arn", in.app_db_secret_arn);
  checkValue(problems, "main_hosts_parameter", in.main_hosts_parameter, true);
  checkValue(problems, "bedrock_role_arn", in.bedrock_role_arn);
  checkValue(problems, "bedrock_model", boost::json::string(in.bedrock_model), true);
  checkValue(problems, "openhands_image_repository", boost::json::string(in.openhands_image_repository));
  checkValue(problems, "sandbox_url_pattern", boost::json::string(in.sandbox_url_pattern));
  if (in.sandbox_url_pattern.find("{port}") == std::string::npos) {
    problems.push_back("sandbox_url_pattern: must contain {port}, but \"" + in.sandbox_url_pattern +
                       "\" was provided");
  }
  if (!in.vpc_cidr.empty() && !ipv4Cidr(in.vpc_cidr)) {
    problems.push_back("vpc_cidr: must be an IPv4 CIDR such as 10.0.0.0/16, but \"" + in.vpc_cidr +
                       "\" was provided");
  }
  if (!dnsName(in.main_host)) {
    problems.push_back("main_host: must be a DNS name such as openhands.example.com, but \"" + in.main_host +
                       "\" was provided");
  }
  if (in.gateway_port == 0 || in.gateway_port == 3000 || in.gateway_port == 9090) {
    problems.push_back("gateway_port: must be 1-65535 and not 3000 (OpenHands) or 9090 (gateway admin), but " +
                       std::to_string(in.gateway_port) + " was provided");
  }
  return problems;
}

UserDataParts renderUserDataParts(const UserDataInputs& in) {
  if (auto problems = validateUserDataInputs(in); !problems.empty()) {
    std::string message = "invalid user data inputs:";
    for (const auto& problem : problems) {
      message += "\n  " + problem;
    }
    throw std::invalid_argument(message);
  }
  UserDataParts parts;
  parts.script = expandTemplate(compactForUserData("user-data.sh", requireEmbedded("user-data.sh")));
  auto& v = parts.variables;
  v["Region"] = in.region;
  v["LogGroupName"] = in.log_group_name;
  v["AlertTopicArn"] = in.alert_topic_arn;
  v["DataBucketName"] = in.data_bucket_name;
  v["EfsFileSystemId"] = in.efs_file_system_id;
  v["EfsAccessPointId"] = in.efs_access_point_id;
  v["DbProxyEndpoint"] = in.db_proxy_endpoint;
  v["DbAdminSecretArn"] = in.db_admin_secret_arn;
  v["AppDbSecretArn"] = in.app_db_secret_arn;
  v["AuthSettingsSecretArn"] = in.auth_settings_secret_arn;
  v["OriginSecretArn"] = in.origin_secret_arn;
  v["SessionKeySecretArn"] = in.session_key_secret_arn;
  v["OpenHandsVersionParameter"] = in.openhands_version_parameter;
  v["RuntimeImageParameter"] = in.runtime_image_parameter;
  v["OpenHandsImageRepository"] = boost::json::string(in.openhands_image_repository);
  v["GatewayImageUri"] = in.gateway_image_uri;
  v["GatewayPort"] = boost::json::string(std::to_string(in.gateway_port));
  v["BedrockModel"] = boost::json::string(in.bedrock_model.empty() ? kDefaultModel : in.bedrock_model);
  v["MainHost"] = boost::json::string(in.main_host);
  v["SandboxUrlPattern"] = boost::json::string(in.sandbox_url_pattern);
  v["VpcCidr"] = boost::json::string(in.vpc_cidr);
  v["MainHostsParameter"] = in.main_hosts_parameter;
  v["BedrockRoleArn"] = in.bedrock_role_arn;
  return parts;
}

boost::json::value renderUserData(const UserDataInputs& inputs) {
  auto parts = renderUserDataParts(inputs);
  boost::json::array sub{boost::json::string(parts.script), std::move(parts.variables)};
  return boost::json::object{{"Fn::Base64", boost::json::object{{"Fn::Sub", std::move(sub)}}}};
}

}  // namespace oh::infra::instance
