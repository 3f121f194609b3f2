// OpenHands-Security: the three security groups and the least-privilege instance role.
#include <gtest/gtest.h>

#include "stacks/security_stack.h"
#include "stacks/bedrock_access.h"
#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert security() {
  return TemplateAssert::of(testing::stackNamed(testing::testApp(), "OpenHands-Security").template_);
}

TEST(SecurityStackTest, AlbAdmitsHttpsOnlyFromTheCloudFrontOriginFacingPrefixList) {
  const auto t = security();
  EXPECT_TRUE(t.resourceMatches("AlbSecurityGroup", R"({"Properties": {"SecurityGroupIngress": [
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
     "SourcePrefixListId": {"Fn::FindInMap": ["CloudFrontOriginFacingPrefixList", {"Ref": "AWS::Region"}, "PrefixListId"]},
     "CidrIp": {"$absent": true}}]}})"));
  const auto& mapping = t.json().at("Mappings").at("CloudFrontOriginFacingPrefixList");
  EXPECT_EQ(mapping.at("us-east-1").at("PrefixListId"), "pl-3b927c52");
  EXPECT_EQ(mapping.at("us-west-2").at("PrefixListId"), "pl-82a045eb");
  EXPECT_EQ(mapping.as_object().size(), stacks::cloudFrontOriginFacingPrefixLists().size());
}

TEST(SecurityStackTest, AlbSendsOnlyToTheGatewayPort) {
  EXPECT_TRUE(security().resourceMatches("AlbSecurityGroup", R"({"Properties": {"SecurityGroupEgress": [
    {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
     "DestinationSecurityGroupId": {"Fn::GetAtt": ["InstanceSecurityGroup", "GroupId"]}}]}})"));
}

TEST(SecurityStackTest, InstancesAdmitTheGatewayPortFromTheAlbOnly) {
  const auto t = security();
  EXPECT_TRUE(t.resourceMatches("InstanceSecurityGroup", R"({"Properties": {"SecurityGroupIngress": {"$absent": true}}})"));
  EXPECT_TRUE(t.resourceCountIs("AWS::EC2::SecurityGroupIngress", 2));
  EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::SecurityGroupIngress", R"({
    "GroupId": {"Fn::GetAtt": ["InstanceSecurityGroup", "GroupId"]}, "FromPort": 8080, "ToPort": 8080,
    "SourceSecurityGroupId": {"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]}})"));
}

TEST(SecurityStackTest, EfsAdmitsNfsFromTheInstancesAndSendsNothing) {
  const auto t = security();
  EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::SecurityGroupIngress", R"({
    "GroupId": {"Fn::GetAtt": ["EfsSecurityGroup", "GroupId"]}, "FromPort": 2049, "ToPort": 2049,
    "SourceSecurityGroupId": {"Fn::GetAtt": ["InstanceSecurityGroup", "GroupId"]}})"));
  EXPECT_TRUE(t.resourceMatches("EfsSecurityGroup", R"({"Properties": {"SecurityGroupEgress": [
    {"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"}]}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::SecurityGroupEgress", R"({
    "GroupId": {"Fn::GetAtt": ["InstanceSecurityGroup", "GroupId"]}, "FromPort": 2049,
    "DestinationSecurityGroupId": {"Fn::GetAtt": ["EfsSecurityGroup", "GroupId"]}})"));
}

TEST(SecurityStackTest, InstanceRoleGrantsExactlyTheNeededServices) {
  const auto t = security();
  EXPECT_TRUE(t.hasResourceProperties("AWS::IAM::Role", R"({
    "AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "ec2.amazonaws.com"}}]},
    "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"},
                          {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/CloudWatchAgentServerPolicy"}],
    "Policies": [{"PolicyDocument": {"Statement": {"$arrayWith": [
      {"Sid": "ReadInstanceSecrets",
       "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:openhands/db-admin-??????"},
                    {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:openhands/app-db-??????"},
                    {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:openhands/auth-settings-??????"},
                    {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:openhands/origin-verify-??????"},
                    {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:openhands/session-key-??????"}]},
      {"Sid": "WriteAppLogs", "Resource": [{"Fn::ImportValue": "OpenHands-Monitoring-AppLogGroupArn"}]},
      {"Sid": "ListDataBucket", "Resource": [{"Fn::ImportValue": "OpenHands-Monitoring-DataBucketArn"}]},
      {"Sid": "EcrPullGatewayImage", "Resource": [{"Fn::Sub":
        "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}"}]},
      {"Sid": "ReadVersionParameters"}]}}}]})"));
}

// Plain HTTP stays for the sandboxes' apt (Debian's sources are http), nothing wider.
TEST(SecurityStackTest, InstancesSendHttpsAndHttpToTheWorldAndNothingElse) {
  EXPECT_TRUE(security().resourceMatches("InstanceSecurityGroup", R"({"Properties": {"SecurityGroupEgress": [
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
    {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}})"));
}

TEST(SecurityStackTest, BedrockAccessIsTheModelFamilyWhereTheRequestLands) {
  const auto arns = [](const std::string& model) { return stacks::bedrockAccess(model).resourceArns(); };
  EXPECT_EQ(arns("bedrock/eu.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            (std::vector<std::string>{"arn:${AWS::Partition}:bedrock:eu-*::foundation-model/anthropic.claude-3-7-sonnet*",
                                      "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/"
                                      "eu.anthropic.claude-3-7-sonnet*"}));
  EXPECT_EQ(arns("global.anthropic.claude-haiku-4-5-20251001-v1:0").at(0),
            "arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-haiku-4-5*");
  // A plain model id is invoked in the deployment's region only, and there is no profile.
  EXPECT_EQ(arns("bedrock/anthropic.claude-opus-4-1-20250805-v1:0"),
            (std::vector<std::string>{"arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/anthropic.claude-opus-4-1*"}));
  EXPECT_EQ(arns("apac.amazon.nova-pro-v1:0").at(0), "arn:${AWS::Partition}:bedrock:ap-*::foundation-model/amazon.nova-pro*");
  // Hostile or malformed ids never widen the grant to every model.
  for (const char* model : {"", "bedrock/", "*", "us.*", "bedrock/us.", "no-dot", "us.anthropic.claude\"*", ".x"}) {
    EXPECT_EQ(stacks::bedrockAccess(model).family, "anthropic.") << model;
  }
}

TEST(SecurityStackTest, OnlyEcrLoginUsesAWildcardResource) {
  const auto roles = security().resourcesOfType("AWS::IAM::Role");
  ASSERT_EQ(roles.size(), 2u);  // the instance role and the sandboxes' Bedrock role
  for (const auto& [id, role] : roles) {
    const auto& statements = role.at("Properties").at("Policies").at(0).at("PolicyDocument").at("Statement").as_array();
    for (const auto& statement : statements) {
      if (statement.at("Resource") == "*") {
        EXPECT_EQ(statement.at("Action"), boost::json::array{"ecr:GetAuthorizationToken"}) << id;
      }
    }
  }
}

TEST(SecurityStackTest, OneInstanceProfileForTheRoleExported) {
  const auto t = security();
  EXPECT_TRUE(t.resourceCountIs("AWS::IAM::InstanceProfile", 1));
  EXPECT_TRUE(t.hasResourceProperties("AWS::IAM::InstanceProfile", R"({"Roles":[{"Ref":"InstanceRole"}]})"));
  EXPECT_TRUE(t.hasOutput("InstanceProfileArn", R"({"Export":{"Name":"OpenHands-Security-InstanceProfileArn"}})"));
}

TEST(SecurityStackTest, TheLaunchTemplateUsesTheExportedProfile) {
  const auto compute = TemplateAssert::of(testing::stackNamed(testing::testApp(), "OpenHands-Compute").template_);
  EXPECT_TRUE(compute.hasResourceProperties("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData": {
    "IamInstanceProfile": {"Arn": {"Fn::ImportValue": "OpenHands-Security-InstanceProfileArn"}}}})"));
}

// This test verifies the instance reads only the secrets it needs, each by its own name: not the
// origin-host secret (CloudFront's), and no prefix wildcard that a new secret would fall under.
TEST(SecurityStackTest, InstanceReadsOnlyItsOwnSecretsByName) {
  const auto t = security();
  const auto& role = t.json().at("Resources").at("InstanceRole").at("Properties");
  const auto& statements = role.at("Policies").at(0).at("PolicyDocument").at("Statement").as_array();
  std::size_t secret_statements = 0;
  for (const auto& statement : statements) {
    const auto text = boost::json::serialize(statement);
    if (text.find("secretsmanager") == std::string::npos) {
      continue;
    }
    ++secret_statements;
    EXPECT_EQ(text.find("openhands/*"), std::string::npos) << text;
    EXPECT_EQ(text.find("origin-host"), std::string::npos) << text;
    for (const auto& resource : statement.at("Resource").as_array()) {
      const std::string arn(resource.at("Fn::Sub").as_string());
      EXPECT_TRUE(arn.ends_with("-??????")) << arn;
    }
  }
  EXPECT_EQ(secret_statements, 1u);
}

}  // namespace
}  // namespace oh::infra
