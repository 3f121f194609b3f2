// The sandboxes' Bedrock role (issue 15): Bedrock actions only, assumable by the instance role
// only, an hour at most; the instance role may assume it and nothing else through STS. The
// checks are functions over the template so each one is also shown failing on a template that
// breaks it.
#include <algorithm>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
namespace json = boost::json;
using testing::TemplateAssert;

json::object securityTemplate(const AppContext& context = testing::exampleContext()) {
  return testing::stackNamed(testing::testApp(context), "OpenHands-Security").template_.toJson();
}

// A string or a list of strings, as IAM takes Action, Resource and Principal values.
std::vector<std::string> strings(const json::value* value) {
  std::vector<std::string> out;
  if (value == nullptr) return out;
  if (value->is_string()) return {std::string(value->as_string())};
  if (value->is_array()) {
    for (const auto& item : value->as_array()) {
      out.push_back(item.is_string() ? std::string(item.as_string()) : json::serialize(item));
    }
    return out;
  }
  return {json::serialize(*value)};
}

std::vector<json::object> statementsOf(const json::value& document) {
  std::vector<json::object> out;
  const auto& statement = document.at("Statement");
  if (statement.is_object()) return {statement.as_object()};
  for (const auto& item : statement.as_array()) out.push_back(item.as_object());
  return out;
}

// Every identity-policy statement that applies to role `role_id`: its inline policies and every
// AWS::IAM::Policy or ManagedPolicy of the template that lists it.
std::vector<json::object> identityStatements(const json::object& t, const std::string& role_id) {
  std::vector<json::object> out;
  const auto& resources = t.at("Resources").as_object();
  const auto& role = resources.at(role_id).at("Properties").as_object();
  if (const auto* policies = role.if_contains("Policies")) {
    for (const auto& policy : policies->as_array()) {
      for (auto& s : statementsOf(policy.at("PolicyDocument"))) out.push_back(std::move(s));
    }
  }
  const json::value ref = json::object{{"Ref", role_id}};
  for (const auto& [id, resource] : resources) {
    const auto type = resource.at("Type").as_string();
    if (type != "AWS::IAM::Policy" && type != "AWS::IAM::ManagedPolicy") continue;
    const auto* roles = resource.at("Properties").as_object().if_contains("Roles");
    if (roles == nullptr || !roles->is_array()) continue;
    const auto& list = roles->as_array();
    if (std::find(list.begin(), list.end(), ref) == list.end()) continue;
    for (auto& s : statementsOf(resource.at("Properties").at("PolicyDocument"))) out.push_back(std::move(s));
  }
  return out;
}

// Why the Bedrock role could do more than invoke Bedrock models, or be assumed by anyone but
// the instance role; empty when it cannot.
std::vector<std::string> bedrockRoleProblems(const json::object& t) {
  std::vector<std::string> problems;
  const auto* resource = t.at("Resources").as_object().if_contains("BedrockRole");
  if (resource == nullptr || resource->at("Type") != "AWS::IAM::Role") return {"no AWS::IAM::Role BedrockRole"};
  const auto& role = resource->at("Properties").as_object();
  if (role.contains("ManagedPolicyArns")) problems.push_back("managed policies attached");
  const auto trust = statementsOf(role.at("AssumeRolePolicyDocument"));
  if (trust.size() != 1) problems.push_back("trust policy has " + std::to_string(trust.size()) + " statements");
  const json::value instance_role = json::object{{"AWS", json::object{{"Fn::GetAtt", json::array{"InstanceRole", "Arn"}}}}};
  for (const auto& statement : trust) {
    if (statement.contains("NotPrincipal") || statement.contains("NotAction")) problems.push_back("trust uses Not*");
    if (statement.at("Effect") != "Allow") continue;
    const auto* principal = statement.if_contains("Principal");
    if (principal == nullptr || *principal != instance_role) {
      problems.push_back("trust admits " + (principal ? json::serialize(*principal) : std::string("anyone")));
    }
    for (const auto& action : strings(statement.if_contains("Action"))) {
      if (action != "sts:AssumeRole") problems.push_back("trust allows " + action);
    }
  }
  const auto statements = identityStatements(t, "BedrockRole");
  if (statements.empty()) problems.push_back("no permission at all");
  for (const auto& statement : statements) {
    if (statement.contains("NotAction") || statement.contains("NotResource")) problems.push_back("policy uses Not*");
    for (const auto& action : strings(statement.if_contains("Action"))) {
      if (!action.starts_with("bedrock:") || action.find('*') != std::string::npos) {
        problems.push_back("policy allows " + action);
      }
    }
    for (const auto& arn : strings(statement.if_contains("Resource"))) {
      if (arn.find(":bedrock:") == std::string::npos) problems.push_back("policy names resource " + arn);
    }
  }
  return problems;
}

// Every action of the instance role that reaches Bedrock directly.
std::vector<std::string> instanceBedrockActions(const json::object& t) {
  std::vector<std::string> found;
  for (const auto& statement : identityStatements(t, "InstanceRole")) {
    for (const auto& action : strings(statement.if_contains("Action"))) {
      std::string lower = action;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower.starts_with("bedrock:") || lower == "*") found.push_back(action);
    }
  }
  return found;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += "\n  " + item;
  return out;
}

TEST(BedrockRoleTest, InvokesTheConfiguredModelFamilyOnlyAndTrustsTheInstanceRoleOnly) {
  auto global = testing::exampleContext();
  global.bedrock_model = "bedrock/global.anthropic.claude-haiku-4-5-20251001-v1:0";
  auto plain = testing::minimalContext();
  plain.bedrock_model = "bedrock/anthropic.claude-opus-4-1-20250805-v1:0";
  for (const auto& context : {testing::exampleContext(), testing::minimalContext(), global, plain}) {
    EXPECT_TRUE(bedrockRoleProblems(securityTemplate(context)).empty())
        << context.bedrock_model << joined(bedrockRoleProblems(securityTemplate(context)));
  }
  EXPECT_TRUE(TemplateAssert::of(securityTemplate()).resourceMatches("BedrockRole", R"({"Properties": {
    "MaxSessionDuration": 3600,
    "Policies": [{"PolicyDocument": {"Statement": [
      {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
       "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:bedrock:us-*::foundation-model/anthropic.claude-sonnet-4-5*"},
                    {"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/us.anthropic.claude-sonnet-4-5*"}]}]}}]}})"));
}

// The check above can fail: each way of widening the role is caught and named.
TEST(BedrockRoleTest, TheCheckCatchesEveryWidening) {
  const auto base = securityTemplate();
  const auto role_props = [](json::object& t) -> json::object& {
    return t.at("Resources").at("BedrockRole").at("Properties").as_object();
  };
  const auto first_statement = [&](json::object& t) -> json::object& {
    return role_props(t).at("Policies").at(0).at("PolicyDocument").at("Statement").at(0).as_object();
  };
  const auto trust = [&](json::object& t) -> json::object& {
    return role_props(t).at("AssumeRolePolicyDocument").at("Statement").at(0).as_object();
  };
  std::vector<std::pair<std::string, json::object>> broken;
  {
    auto t = base;
    first_statement(t).at("Action").as_array().push_back("s3:GetObject");
    broken.emplace_back("s3:GetObject", std::move(t));
  }
  {
    auto t = base;
    first_statement(t)["Action"] = "bedrock:*";
    broken.emplace_back("bedrock:*", std::move(t));
  }
  {
    auto t = base;
    first_statement(t)["Resource"] = "*";
    broken.emplace_back("resource *", std::move(t));
  }
  {
    auto t = base;
    trust(t)["Principal"] = json::object{{"AWS", json::object{{"Fn::Sub", "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}}};
    broken.emplace_back("account root", std::move(t));
  }
  {
    auto t = base;
    trust(t)["Action"] = json::array{"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"};
    broken.emplace_back("web identity", std::move(t));
  }
  {
    auto t = base;
    role_props(t).at("AssumeRolePolicyDocument").at("Statement").as_array().push_back(
        json::object{{"Effect", "Allow"}, {"Principal", json::object{{"Service", "ec2.amazonaws.com"}}}, {"Action", "sts:AssumeRole"}});
    broken.emplace_back("second trust statement", std::move(t));
  }
  {
    auto t = base;
    role_props(t)["ManagedPolicyArns"] = json::array{"arn:aws:iam::aws:policy/ReadOnlyAccess"};
    broken.emplace_back("managed policy", std::move(t));
  }
  {
    auto t = base;
    t.at("Resources").as_object()["Extra"] = json::object{
        {"Type", "AWS::IAM::Policy"},
        {"Properties", json::object{{"PolicyName", "x"},
                                    {"Roles", json::array{json::object{{"Ref", "BedrockRole"}}}},
                                    {"PolicyDocument", json::object{{"Statement", json::array{json::object{
                                                                        {"Effect", "Allow"},
                                                                        {"Action", "secretsmanager:GetSecretValue"},
                                                                        {"Resource", "*"}}}}}}}}};
    broken.emplace_back("attached policy", std::move(t));
  }
  for (const auto& [what, t] : broken) {
    EXPECT_FALSE(bedrockRoleProblems(t).empty()) << what;
  }
}

TEST(BedrockRoleTest, TheInstanceRoleMayAssumeItAndNoOtherRole) {
  const auto t = securityTemplate();
  EXPECT_TRUE(TemplateAssert::of(t).hasResourceProperties("AWS::IAM::Policy", R"({
    "Roles": [{"Ref": "InstanceRole"}],
    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
                                      "Resource": [{"Fn::GetAtt": ["BedrockRole", "Arn"]}]}]}})"));
  std::size_t sts = 0;
  for (const auto& statement : identityStatements(t, "InstanceRole")) {
    for (const auto& action : strings(statement.if_contains("Action"))) {
      if (!action.starts_with("sts:")) continue;
      ++sts;
      EXPECT_EQ(action, "sts:AssumeRole");
      EXPECT_EQ(strings(statement.if_contains("Resource")), std::vector<std::string>{R"({"Fn::GetAtt":["BedrockRole","Arn"]})"});
    }
  }
  EXPECT_EQ(sts, 1u);
}

// The instance's user data carries the role's ARN (the gateway's credentials.role_arn).
TEST(BedrockRoleTest, ExportedToTheInstance) {
  const auto app = testing::testApp();
  EXPECT_TRUE(TemplateAssert::of(testing::stackNamed(app, "OpenHands-Security").template_)
                  .hasOutput("BedrockRoleArn", R"({"Value": {"Fn::GetAtt": ["BedrockRole", "Arn"]},
                                                   "Export": {"Name": "OpenHands-Security-BedrockRoleArn"}})"));
  EXPECT_TRUE(TemplateAssert::of(testing::stackNamed(app, "OpenHands-Compute").template_)
                  .hasResourceProperties("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData": {"UserData": {"Fn::Base64": {"Fn::Sub": {"$arrayWith": [
                    {"BedrockRoleArn": {"Fn::ImportValue": "OpenHands-Security-BedrockRoleArn"}}]}}}}})"));
}

// Sandboxes cannot use the instance's own credentials: the instance role has no Bedrock left
// (the gateway assumes the Bedrock role per user instead), and a container behind a bridge gets
// no IMDS answer (one hop). The checks are shown catching a direct grant and a second hop.
TEST(BedrockRoleTest, TheInstanceRoleHasNoBedrockAndImdsStopsAtTheHost) {
  for (const auto& context : {testing::exampleContext(), testing::minimalContext()}) {
    EXPECT_TRUE(instanceBedrockActions(securityTemplate(context)).empty()) << joined(instanceBedrockActions(securityTemplate(context)));
    const auto compute = testing::stackNamed(testing::testApp(context), "OpenHands-Compute").template_.toJson();
    const auto& options = compute.at("Resources").at("LaunchTemplate").at("Properties").at("LaunchTemplateData").at("MetadataOptions");
    EXPECT_EQ(options.at("HttpPutResponseHopLimit"), 1);
    EXPECT_EQ(options.at("HttpTokens"), "required");
  }
  auto t = securityTemplate();
  t.at("Resources").at("InstanceRole").at("Properties").at("Policies").at(0).at("PolicyDocument").at("Statement").as_array().push_back(
      json::object{{"Effect", "Allow"}, {"Action", "Bedrock:Converse"}, {"Resource", "*"}});
  EXPECT_EQ(instanceBedrockActions(t), std::vector<std::string>{"Bedrock:Converse"});
  t = securityTemplate();
  t.at("Resources").as_object()["Extra"] = json::object{
      {"Type", "AWS::IAM::Policy"},
      {"Properties", json::object{{"PolicyName", "x"},
                                  {"Roles", json::array{json::object{{"Ref", "InstanceRole"}}}},
                                  {"PolicyDocument", json::object{{"Statement", json::object{{"Effect", "Allow"},
                                                                                            {"Action", "*"},
                                                                                            {"Resource", "*"}}}}}}}};
  EXPECT_EQ(instanceBedrockActions(t), std::vector<std::string>{"*"});
}

}  // namespace
}  // namespace oh::infra
