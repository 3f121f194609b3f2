#include "instance/user_data.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <utility>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "gateway_image_files.h"
#include "instance/bundle.h"
#include "instance/embedded_files.h"
#include "instance/fn_sub.h"

namespace oh::infra::instance {
namespace {

namespace json = boost::json;

json::value ref(std::string_view id) { return json::object{{"Ref", id}}; }
json::value getAtt(std::string_view id, std::string_view attribute) {
  return json::object{{"Fn::GetAtt", json::array{json::string(id), json::string(attribute)}}};
}

// As the Compute stack passes them: references to other resources and imported values.
UserDataInputs stackInputs() {
  UserDataInputs in;
  in.region = json::object{{"Ref", "AWS::Region"}};
  in.log_group_name = ref("AppLogGroup");
  in.alert_topic_arn = ref("AlertTopic");
  in.data_bucket_name = ref("DataBucket");
  in.efs_file_system_id = ref("FileSystem");
  in.efs_access_point_id = ref("AccessPoint");
  in.db_proxy_endpoint = getAtt("DbProxy", "Endpoint");
  in.db_admin_secret_arn = ref("DbAdminSecret");
  in.app_db_secret_arn = json::object{{"Fn::ImportValue", "OpenHands-Database-AppDbSecretArn"}};
  in.main_hosts_parameter = ref("MainHostsParameter");
  in.auth_settings_secret_arn = ref("AuthSettingsSecret");
  in.origin_secret_arn = ref("OriginSecret");
  in.session_key_secret_arn = ref("SessionKeySecret");
  in.bedrock_role_arn = json::object{{"Fn::ImportValue", "OpenHands-Security-BedrockRoleArn"}};
  in.openhands_version_parameter = ref("OpenHandsVersionParameter");
  in.runtime_image_parameter = ref("RuntimeImageParameter");
  in.gateway_image_uri = json::string("123456789012.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets-123456789012-us-east-1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  in.bedrock_model = "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
  in.main_host = "openhands.example.com";
  return in;
}

// Sample deploy-time values, long enough to stand for real ones (ARNs with random suffixes).
std::map<std::string, std::string> sampleValues(const json::object& variables) {
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : variables) {
    std::string key(name);
    if (value.is_string()) {
      values[key] = std::string(value.get_string());
    } else {
      values[key] = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:OpenHands-" + key + "-AbCdEf";
    }
  }
  values["Region"] = "eu-central-1";
  values["DbProxyEndpoint"] = "openhands-proxy.proxy-abcdefghijkl.eu-central-1.rds.amazonaws.com";
  values["EfsFileSystemId"] = "fs-0123456789abcdef0";
  values["EfsAccessPointId"] = "fsap-0123456789abcdef0";
  return values;
}

std::string resolved(const UserDataInputs& in) {
  const auto parts = renderUserDataParts(in);
  const auto resolution = resolveSub(parts.script, sampleValues(parts.variables));
  EXPECT_TRUE(resolution.unresolved.empty());
  EXPECT_FALSE(resolution.unterminated);
  return resolution.text;
}

std::filesystem::path tempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "oh-instance-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  return pattern;
}

// Runs shellcheck on text; returns its exit status and leaves its report in `report`.
int shellcheck(const std::string& text, std::string& report) {
  const auto dir = tempDir();
  const auto script = dir / "script.sh";
  const auto out = dir / "report.txt";
  std::ofstream(script) << text;
  const int status = std::system(("shellcheck --severity=style --shell=bash '" + script.string() + "' >'" +
                                  out.string() + "' 2>&1").c_str());
  std::ifstream in(out);
  report.assign(std::istreambuf_iterator<char>(in), {});
  std::filesystem::remove_all(dir);
  return status;
}

bool haveShellcheck() { return std::system("command -v shellcheck >/dev/null 2>&1") == 0; }

// This test verifies the CloudFormation shape: Fn::Base64 of Fn::Sub [script, variables].
TEST(UserDataTest, RendersBase64OfSub) {
  const auto rendered = renderUserData(stackInputs());
  const auto& sub = rendered.at("Fn::Base64").at("Fn::Sub").as_array();
  ASSERT_EQ(sub.size(), 2u);
  EXPECT_TRUE(sub[0].as_string().starts_with("#!/bin/bash\n"));
  EXPECT_EQ(sub[1].at("DbProxyEndpoint"), getAtt("DbProxy", "Endpoint"));
  EXPECT_EQ(sub[1].at("GatewayPort"), json::value("8080"));
}

// This test verifies every ${Name} in the script has a variable and every variable is used.
TEST(UserDataTest, VariablesMatchTheScript) {
  const auto parts = renderUserDataParts(stackInputs());
  const auto names = subVariableNames(parts.script);
  std::set<std::string> used(names.begin(), names.end());
  std::set<std::string> given;
  for (const auto& [name, value] : parts.variables) {
    given.emplace(name);
  }
  EXPECT_EQ(used, given);
}

// The user data's budget: EC2's 16,384 bytes less headroom, so the next feature finds room
// rather than a failed deployment. Over it, move what belongs to the gateway into its image (as
// the boot scripts were, docs/instance.md) before anything is cut.
constexpr std::size_t kUserDataBudgetBytes = 14000;
static_assert(kUserDataBudgetBytes < kMaxUserDataBytes);

::testing::AssertionResult withinBudget(std::size_t bytes) {
  if (bytes <= kUserDataBudgetBytes) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "the user data takes " << bytes << " bytes, over its budget of "
                                       << kUserDataBudgetBytes << " (EC2's limit: " << kMaxUserDataBytes << ")";
}

// The long-values context: every literal input as long as it plausibly gets.
UserDataInputs longLiteralInputs() {
  auto literal = stackInputs();
  literal.region = "ap-southeast-2";
  literal.log_group_name = "/openhands/application/with/a/long/name/for/the/test";
  literal.app_db_secret_arn = "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:OpenHands-AppDb-AbCdEf";
  literal.main_host = std::string(60, 'a') + "." + std::string(60, 'b') + ".example.com";
  literal.gateway_port = 18080;
  literal.vpc_cidr = "172.31.128.0/17";
  literal.main_hosts_parameter = "/openhands/config/main-hosts";
  literal.sandbox_url_pattern = "https://" + literal.main_host + "/_gateway/sandbox/{port}";
  return literal;
}

// This test verifies the script, resolved with realistic and with long values, stays within its
// budget (and so under EC2's 16 KB), and prints the sizes (docs/instance.md records them).
TEST(UserDataTest, StaysWithinItsBudget) {
  for (const auto& [name, in] : {std::pair{"stack values", stackInputs()}, {"long literal values", longLiteralInputs()}}) {
    const auto size = resolved(in).size();
    EXPECT_TRUE(withinBudget(size)) << name;
    EXPECT_TRUE(withinBudget(renderUserDataParts(in).script.size())) << name;
    std::cout << "[ measured ] resolved user data, " << name << ": " << size << " bytes (budget "
              << kUserDataBudgetBytes << ", EC2's limit " << kMaxUserDataBytes << ")\n";
  }
}

// This test verifies the budget catches a violation: the user data with the files the gateway
// image carries bundled back in, as before they moved, is over it.
TEST(UserDataTest, BudgetCatchesTheImageFilesBackInTheUserData) {
  std::vector<BundleFile> files;
  for (const auto& [name, path] : testing::kGatewayImageFiles) {
    files.push_back({"/opt/openhands/" + std::string(path), 0755, testing::gatewayImageFile(name)});
  }
  const std::size_t encoded = common::base64Encode(gzip(tarArchive(files))).size();
  const std::size_t with_them = resolved(stackInputs()).size() + encoded + encoded / 76;  // base64 lines
  EXPECT_FALSE(withinBudget(with_them)) << with_them;
  EXPECT_TRUE(withinBudget(resolved(stackInputs()).size()));
}

// This test verifies the script carries no secret: no dynamic references, keys or passwords.
TEST(UserDataTest, CarriesNoSecretValues) {
  const auto parts = renderUserDataParts(stackInputs());
  const std::string all = parts.script + json::serialize(parts.variables);
  for (const char* needle : {"{{resolve:", "AKIA", "PRIVATE KEY", "aws_secret_access_key", "PGPASSWORD",
                             "DB_PASS=$", "password="}) {
    EXPECT_EQ(all.find(needle), std::string::npos) << needle;
  }
  // Secrets are only ever fetched into files with a umask of 077, never into variables.
  const std::string boot = testing::gatewayImageFile("boot-services.sh");
  EXPECT_NE(boot.find("--query SecretString --output text >\"$2.tmp\""), std::string::npos);
  EXPECT_NE(boot.find("set +x"), std::string::npos);
  EXPECT_EQ(boot.find("set -x"), std::string::npos);
}

// Unpacks the user data's bundle with the real base64 and tar into a new directory.
std::filesystem::path unpackBundle(const std::string& script) {
  const std::string open = "base64 -d <<'OH_EOF' | tar -xzf - -C /\n";
  const auto begin = script.find(open);
  const auto end = script.find("OH_EOF\n", begin + open.size());
  if (begin == std::string::npos || end == std::string::npos) {
    throw std::runtime_error("no bundle in the user data");
  }
  const auto dir = tempDir();
  std::ofstream(dir / "bundle.b64") << script.substr(begin + open.size(), end - begin - open.size());
  std::filesystem::create_directory(dir / "root");
  const std::string command = "base64 -d '" + (dir / "bundle.b64").string() + "' | tar -xzf - -C '" +
                              (dir / "root").string() + "'";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("the bundle did not unpack: " + command);
  }
  return dir;
}

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// This test verifies every deploy/instance file is installed verbatim, with its mode, by the
// real base64 and tar.
TEST(UserDataTest, BundleUnpacksVerbatim) {
  const auto dir = unpackBundle(resolved(stackInputs()));
  const std::map<std::string, std::pair<std::string, unsigned>> expected{
      {"docker-daemon.json", {"etc/docker/daemon.json", 0644}},
      {"cloudwatch-agent.json", {"opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json", 0644}},
      {"oh-prepare.service", {"etc/systemd/system/oh-prepare.service", 0644}},
      {"oh-db-tls.service", {"etc/systemd/system/oh-db-tls.service", 0644}},
      {"oh-gateway.service", {"etc/systemd/system/oh-gateway.service", 0644}},
      {"oh-pull-images.service", {"etc/systemd/system/oh-pull-images.service", 0644}}};
  for (const auto& [name, where] : expected) {
    const auto path = dir / "root" / where.first;
    EXPECT_EQ(readText(path), std::string(*embeddedFile(name))) << name;
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 07777u, where.second) << name;
  }
  // Nothing else: the boot scripts come from the gateway image (GatewayImageCarriesTheHostFiles).
  std::size_t unpacked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "root")) {
    unpacked += entry.is_regular_file() ? 1u : 0u;
  }
  EXPECT_EQ(unpacked, expected.size());
  EXPECT_FALSE(std::filesystem::exists(dir / "root/opt/openhands"));
  std::filesystem::remove_all(dir);
}

// This test verifies the same inputs give the same bytes (deterministic synthesis).
TEST(UserDataTest, RenderingIsDeterministic) {
  EXPECT_EQ(json::serialize(renderUserData(stackInputs())), json::serialize(renderUserData(stackInputs())));
}

// This test verifies the pieces the issue asks for are in the script, the files it installs or
// the files the gateway image brings to the host.
TEST(UserDataTest, ContainsTheBootSteps) {
  const std::string text = resolved(stackInputs());
  const auto dir = unpackBundle(text);
  std::string all = text;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "root")) {
    if (entry.is_regular_file()) {
      all += readText(entry.path());
    }
  }
  for (const auto& file : testing::kGatewayImageFiles) {
    all += testing::gatewayImageFile(file.first);
  }
  std::filesystem::remove_all(dir);
  for (const char* needle :
       {"set -Eeuo pipefail", "trap 'notify", "aws sns publish",
        "retry dnf install -y docker amazon-efs-utils amazon-cloudwatch-agent postgresql15 jq stunnel",
        "tls,iam,accesspoint=fsap-0123456789abcdef0", "/etc/fstab", "\"${aws:AutoScalingGroupName}\"",
        "\"default-address-pools\"", "\"max-size\"", "mem_used_percent", "\"/data/openhands\"",
        "\"bip\": \"172.17.0.1/24\"", "systemctl start --no-block oh-pull-images.service", "Restart=always", "--log-driver awslogs", "LLM_MODEL=bedrock/us.anthropic",
        "GATEWAY_PORT=8080", "pg_roles", "pg_database", "CREATEDB CREATEROLE", "umask 077", "secretsmanager get-secret-value"}) {
    EXPECT_NE(all.find(needle), std::string::npos) << needle;
  }
}

// This test verifies the resolved user data and the scripts the gateway image carries pass shellcheck.
TEST(UserDataTest, ShellcheckFindsNothing) {
  if (!haveShellcheck()) {
    GTEST_SKIP() << "shellcheck is not installed (scripts/debian-packages.txt lists it)";
  }
  for (const auto& in : {stackInputs()}) {
    std::string report;
    EXPECT_EQ(shellcheck(resolved(in), report), 0) << report;
  }
  for (const auto& file : testing::kGatewayImageFiles) {
    if (file.first.ends_with(".sh")) {
      std::string report;
      EXPECT_EQ(shellcheck(testing::gatewayImageFile(file.first), report), 0) << file.first << "\n" << report;
    }
  }
}

// This test verifies bad literal inputs are refused together, each naming its field.
TEST(UserDataTest, RefusesUnsafeInputs) {
  auto in = stackInputs();
  in.region = "us-east-1'; rm -rf /; '";
  in.main_host = "a b";
  in.gateway_port = 0;
  in.sandbox_url_pattern = "http://localhost";
  in.log_group_name = "";
  in.data_bucket_name = 42;
  in.bedrock_model = "bedrock/$(id)";
  in.vpc_cidr = "10.0.0.0/33";
  in.main_hosts_parameter = "/x'; id; '";
  in.app_db_secret_arn = "";
  in.bedrock_role_arn = "arn:aws:iam::1:role/x\n";
  const auto problems = validateUserDataInputs(in);
  ASSERT_EQ(problems.size(), 11u);
  for (const char* field : {"region:", "main_host:", "gateway_port:", "sandbox_url_pattern:", "log_group_name:",
                            "data_bucket_name:", "bedrock_model:", "vpc_cidr:", "main_hosts_parameter:",
                            "app_db_secret_arn:", "bedrock_role_arn:"}) {
    bool found = false;
    for (const auto& problem : problems) {
      found = found || problem.starts_with(field);
    }
    EXPECT_TRUE(found) << field;
  }
  EXPECT_THROW(renderUserData(in), std::invalid_argument);
}

// This test verifies the VPC CIDR check accepts IPv4 CIDRs only.
TEST(UserDataTest, ChecksTheVpcCidr) {
  auto in = stackInputs();
  for (const char* good : {"10.0.0.0/16", "172.31.0.0/16", "0.0.0.0/0", "192.168.1.7/32"}) {
    in.vpc_cidr = good;
    EXPECT_TRUE(validateUserDataInputs(in).empty()) << good;
  }
  for (const char* bad : {"10.0.0.0", "10.0.0/16", "10.0.0.256/16", "10.0.0.0/", "010.0.0.0/8", "a.b.c.d/8",
                          "10.0.0.0/16\"; x", "::/0", "10.0.0.0.0/8"}) {
    in.vpc_cidr = bad;
    EXPECT_EQ(validateUserDataInputs(in).size(), 1u) << bad;
  }
}

// This test verifies an empty model falls back to the reference design's Claude model.
TEST(UserDataTest, DefaultsTheModel) {
  auto in = stackInputs();
  in.bedrock_model.clear();
  EXPECT_EQ(renderUserDataParts(in).variables.at("BedrockModel"),
            json::value("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
}

}  // namespace
}  // namespace oh::infra::instance
