// OpenHands-Database: Aurora Serverless v2, the admin secret, RDS Proxy with TLS, and 5432
// only from the instances.
#include <gtest/gtest.h>

#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert database() {
  return TemplateAssert::of(testing::stackNamed(testing::testApp(), "OpenHands-Database").template_);
}

TEST(DatabaseStackTest, AuroraPostgres15ServerlessV2EncryptedWithLongBackups) {
  const auto t = database();
  EXPECT_TRUE(t.hasResourceProperties("AWS::RDS::DBCluster", R"({
    "Engine": "aurora-postgresql",
    "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4},
    "StorageEncrypted": true,
    "BackupRetentionPeriod": 35,
    "EnableCloudwatchLogsExports": ["postgresql"]})"));
  const auto version = std::string(
      t.resourcesOfType("AWS::RDS::DBCluster").at(0).second.at("Properties").at("EngineVersion").as_string());
  ASSERT_EQ(version.rfind("15.", 0), 0u) << version;
  EXPECT_GE(std::stoi(version.substr(3)), 8) << version;
  EXPECT_TRUE(t.hasResourceProperties("AWS::RDS::DBInstance", R"({"DBInstanceClass":"db.serverless","PubliclyAccessible":false})"));
}

TEST(DatabaseStackTest, ClusterSnapshotsOnDelete) {
  EXPECT_TRUE(database().hasResource("AWS::RDS::DBCluster", R"({"DeletionPolicy":"Snapshot","UpdateReplacePolicy":"Snapshot"})"));
}

TEST(DatabaseStackTest, AdminCredentialsComeOnlyFromSecretsManager) {
  const auto t = database();
  EXPECT_TRUE(t.hasResourceProperties("AWS::SecretsManager::Secret", R"({
    "Name": "openhands/db-admin",
    "GenerateSecretString": {"GenerateStringKey": "password", "PasswordLength": 32}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::RDS::DBCluster", R"({
    "MasterUsername": {"Fn::Sub": "{{resolve:secretsmanager:${DbAdminSecret}:SecretString:username}}"},
    "MasterUserPassword": {"Fn::Sub": "{{resolve:secretsmanager:${DbAdminSecret}:SecretString:password}}"}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::SecretsManager::SecretTargetAttachment",
                                      R"({"TargetType":"AWS::RDS::DBCluster","TargetId":{"Ref":"DbCluster"}})"));
}

TEST(DatabaseStackTest, ProxyRequiresTlsAndAdmitsTheAdminAndTheApplication) {
  const auto t = database();
  EXPECT_TRUE(t.hasResourceProperties("AWS::RDS::DBProxy", R"({
    "EngineFamily": "POSTGRESQL", "RequireTLS": true,
    "Auth": [{"AuthScheme": "SECRETS", "SecretArn": {"Ref": "DbAdminSecret"}, "IAMAuth": "DISABLED"},
             {"AuthScheme": "SECRETS", "SecretArn": {"Ref": "AppDbSecret"}, "IAMAuth": "DISABLED"}]})"));
  EXPECT_TRUE(t.hasResource("AWS::RDS::DBProxyTargetGroup", R"({
    "Properties": {"DBClusterIdentifiers": [{"Ref": "DbCluster"}]}, "DependsOn": ["DbWriter"]})"));
  // The proxy's role reads exactly those two secrets.
  EXPECT_TRUE(t.hasResourceProperties("AWS::IAM::Role", R"({"Policies": [{"PolicyDocument": {"Statement": [
    {"Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
     "Resource": [{"Ref": "DbAdminSecret"}, {"Ref": "AppDbSecret"}]}]}}]})"));
}

// This test verifies the application role's secret: generated (never a template value), named as
// the instance role's policy expects, for the role the instance bootstraps, and exported.
TEST(DatabaseStackTest, ApplicationRoleSecretIsGeneratedAndExported) {
  const auto t = database();
  EXPECT_TRUE(t.hasResourceProperties("AWS::SecretsManager::Secret", R"({
    "Name": "openhands/app-db",
    "GenerateSecretString": {"SecretStringTemplate": "{\"username\":\"openhands_app\"}",
                             "GenerateStringKey": "password", "PasswordLength": 32}})"));
  const auto secret = t.resourcesOfType("AWS::SecretsManager::Secret");
  for (const auto& [id, resource] : secret) {
    EXPECT_EQ(resource.at("Properties").as_object().if_contains("SecretString"), nullptr) << id;
  }
  EXPECT_TRUE(t.hasOutput("AppDbSecretArn", R"({"Value": {"Ref": "AppDbSecret"},
    "Export": {"Name": "OpenHands-Database-AppDbSecretArn"}})"));
}

TEST(DatabaseStackTest, PostgresOnlyFromTheInstances) {
  const auto t = database();
  EXPECT_TRUE(t.hasResourceProperties("AWS::EC2::SecurityGroupIngress", R"({
    "FromPort": 5432, "ToPort": 5432, "GroupId": {"Fn::GetAtt": ["DbSecurityGroup", "GroupId"]},
    "SourceSecurityGroupId": {"Fn::ImportValue": "OpenHands-Security-InstanceSecurityGroupId"}})"));
  for (const auto& [id, rule] : t.resourcesOfType("AWS::EC2::SecurityGroupIngress")) {
    EXPECT_EQ(rule.at("Properties").as_object().if_contains("CidrIp"), nullptr) << id;
  }
  EXPECT_TRUE(t.resourceMatches("DbSecurityGroup", R"({"Properties":{"SecurityGroupIngress":{"$absent":true}}})"));
}

TEST(DatabaseStackTest, ExportsTheProxyEndpointAndSecret) {
  const auto t = database();
  EXPECT_TRUE(t.hasOutput("DbProxyEndpoint", R"({"Value":{"Fn::GetAtt":["DbProxy","Endpoint"]}})"));
  EXPECT_TRUE(t.hasOutput("DbAdminSecretArn", R"({"Export":{"Name":"OpenHands-Database-DbAdminSecretArn"}})"));
}

TEST(DatabaseStackTest, ParameterGroupLogsDdlAndConnectionsAndMaintenanceFollowsTheBackups) {
  const auto t = database();
  const auto version = std::string(
      t.resourcesOfType("AWS::RDS::DBCluster").at(0).second.at("Properties").at("EngineVersion").as_string());
  EXPECT_TRUE(t.hasResourceProperties("AWS::RDS::DBClusterParameterGroup", boost::json::object{
      {"Family", "aurora-postgresql" + version.substr(0, version.find('.'))},
      {"Parameters", boost::json::object{{"log_statement", "ddl"}, {"log_connections", "1"}, {"log_disconnections", "1"}}}}));
  EXPECT_TRUE(t.hasResourceProperties("AWS::RDS::DBCluster", R"({
    "DBClusterParameterGroupName": {"Ref": "DbClusterParameterGroup"},
    "PreferredBackupWindow": "03:00-04:00", "PreferredMaintenanceWindow": "sun:04:30-sun:05:30"})"));
  EXPECT_TRUE(t.hasResource("AWS::RDS::DBInstance", R"({"Properties": {"PreferredMaintenanceWindow": "sun:04:30-sun:05:30"},
    "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})"));
}

TEST(DatabaseStackTest, AdminSecretOutlivesTheStackLikeTheSnapshot) {
  const auto t = database();
  EXPECT_TRUE(t.hasResource("AWS::SecretsManager::Secret", R"({"Properties": {"Name": "openhands/db-admin"},
    "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})"));
  EXPECT_TRUE(t.hasResource("AWS::SecretsManager::Secret", R"({"Properties": {"Name": "openhands/app-db"},
    "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})"));
}

}  // namespace
}  // namespace oh::infra
