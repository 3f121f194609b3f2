// OpenHands-Compute: EFS, the instance, the origin-checking ALB, DNS, parameters and alarms.
#include <gtest/gtest.h>

#include "common/openhands_release.h"

#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert computeOf(const AppContext& context) {
  return TemplateAssert::of(testing::stackNamed(testing::testApp(context), "OpenHands-Compute").template_);
}
TemplateAssert compute() { return computeOf(testing::exampleContext()); }

TEST(ComputeStackTest, EfsIsEncryptedTieredRetainedAndBackedUp) {
  EXPECT_TRUE(compute().hasResource("AWS::EFS::FileSystem", R"({
    "Properties": {"Encrypted": true, "LifecyclePolicies": [{"TransitionToIA": "AFTER_14_DAYS"}],
                   "FileSystemTags": {"$arrayWith": [{"Key": "backup", "Value": "true"}]}},
    "DeletionPolicy": "Retain"})"));
}

TEST(ComputeStackTest, EfsPolicyAllowsOnlyTheInstanceRoleThroughMountTargets) {
  EXPECT_TRUE(compute().hasResourceProperties("AWS::EFS::FileSystem", R"({"FileSystemPolicy": {"Statement": [
    {"Effect": "Allow", "Principal": {"AWS": {"Fn::ImportValue": "OpenHands-Security-InstanceRoleArn"}},
     "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}},
    {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}})"));
}

TEST(ComputeStackTest, OneMountTargetPerPrivateSubnetAndAnAccessPoint) {
  const auto t = compute();
  EXPECT_TRUE(t.resourceCountIs("AWS::EFS::MountTarget", 2));
  EXPECT_TRUE(t.hasResourceProperties("AWS::EFS::MountTarget", R"({"SubnetId": {"Fn::Select": [1,
    {"Fn::Split": [",", {"Fn::ImportValue": "OpenHands-Network-PrivateSubnetIds"}]}]},
    "SecurityGroups": [{"Fn::ImportValue": "OpenHands-Security-EfsSecurityGroupId"}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::EFS::AccessPoint",
                                      R"({"FileSystemId":{"Ref":"FileSystem"},"RootDirectory":{"Path":"/openhands"}})"));
}

TEST(ComputeStackTest, LaunchTemplateRequiresImdsV2AndEncryptedGp3) {
  EXPECT_TRUE(compute().hasResourceProperties("AWS::EC2::LaunchTemplate", R"({"LaunchTemplateData": {
    "ImageId": "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64}}",
    "InstanceType": "m7g.xlarge",
    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
    "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                             "Ebs": {"VolumeSize": 300, "VolumeType": "gp3", "Encrypted": true}}],
    "SecurityGroupIds": [{"Fn::ImportValue": "OpenHands-Security-InstanceSecurityGroupId"}],
    "UserData": {"Fn::Base64": {}}}})"));
}

TEST(ComputeStackTest, InstanceTypeComesFromTheContext) {
  auto context = testing::exampleContext();
  context.instance_type = "m7g.2xlarge";
  EXPECT_TRUE(computeOf(context).hasResourceProperties("AWS::EC2::LaunchTemplate",
                                                       R"({"LaunchTemplateData":{"InstanceType":"m7g.2xlarge"}})"));
}

TEST(ComputeStackTest, AutoScalingGroupOfOneWithElbChecksAndRollingUpdates) {
  EXPECT_TRUE(compute().hasResource("AWS::AutoScaling::AutoScalingGroup", R"({
    "Properties": {"MinSize": "1", "MaxSize": "1", "DesiredCapacity": "1", "HealthCheckType": "ELB",
                   "HealthCheckGracePeriod": 600, "TargetGroupARNs": [{"Ref": "GatewayTargetGroup"}],
                   "VPCZoneIdentifier": {"Fn::Split": [",", {"Fn::ImportValue": "OpenHands-Network-PrivateSubnetIds"}]}},
    "UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": 1}},
    "DependsOn": ["MountTarget1", "MountTarget2"]})"));
}

TEST(ComputeStackTest, AlbIsInternetFacingInPublicSubnets) {
  EXPECT_TRUE(compute().hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", R"({
    "Scheme": "internet-facing", "Type": "application",
    "Subnets": {"Fn::Split": [",", {"Fn::ImportValue": "OpenHands-Network-PublicSubnetIds"}]},
    "SecurityGroups": [{"Fn::ImportValue": "OpenHands-Security-AlbSecurityGroupId"}]})"));
}

TEST(ComputeStackTest, ListenerAnswers403UnlessTheOriginHeaderMatches) {
  const auto t = compute();
  EXPECT_TRUE(t.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", R"({
    "Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": {"Ref": "OriginCertificate"}}],
    "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {
      "StatusCode": "403", "ContentType": "text/plain", "MessageBody": "Access Denied - Invalid Origin"}}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::ElasticLoadBalancingV2::ListenerRule", R"({
    "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Origin-Verify",
      "Values": [{"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"}]}}],
    "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "GatewayTargetGroup"}}]})"));
  EXPECT_TRUE(t.resourceCountIs("AWS::ElasticLoadBalancingV2::ListenerRule", 1));
}

TEST(ComputeStackTest, TargetGroupChecksTheGatewayReadinessPath) {
  EXPECT_TRUE(compute().hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", R"({
    "Port": 8080, "Protocol": "HTTP", "HealthCheckPath": "/_gateway/ready", "Matcher": {"HttpCode": "200"}})"));
}

TEST(ComputeStackTest, OriginNameHasItsOwnDnsValidatedCertificateAndAlias) {
  const auto t = compute();
  EXPECT_TRUE(t.hasResourceProperties("AWS::CertificateManager::Certificate", R"({
    "DomainName": "origin.openhands.example.com", "ValidationMethod": "DNS",
    "SubjectAlternativeNames": ["openhands.example.com", "*.runtime.openhands.example.com"],
    "DomainValidationOptions": [{"DomainName": "origin.openhands.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"},
                                {"DomainName": "openhands.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"},
                                {"DomainName": "*.runtime.openhands.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::Route53::RecordSet", R"({
    "Name": "origin.openhands.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "AliasTarget": {"DNSName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]},
                    "HostedZoneId": {"Fn::GetAtt": ["LoadBalancer", "CanonicalHostedZoneID"]}}})"));
}

TEST(ComputeStackTest, OriginSecretIsGeneratedAndReplicatedToUsEast1) {
  EXPECT_TRUE(compute().hasResourceProperties("AWS::SecretsManager::Secret", R"({
    "Name": "openhands/origin-verify", "GenerateSecretString": {"PasswordLength": 48},
    "ReplicaRegions": [{"Region": "us-east-1"}], "SecretString": {"$absent": true}})"));
  auto context = testing::exampleContext();
  context.region = "us-east-1";
  EXPECT_TRUE(computeOf(context).hasResourceProperties(
      "AWS::SecretsManager::Secret", R"({"Name": "openhands/origin-verify", "ReplicaRegions": {"$absent": true}})"));
}

TEST(ComputeStackTest, OriginHostReachesUsEast1ThroughAReplicatedSecret) {
  EXPECT_TRUE(compute().hasResourceProperties("AWS::SecretsManager::Secret", R"({
    "Name": "openhands/origin-host",
    "GenerateSecretString": {"SecretStringTemplate": "{\"originHost\":\"origin.openhands.example.com\"}"},
    "ReplicaRegions": [{"Region": "us-east-1"}]})"));
}

// This test verifies the version parameters carry the pinned release: 1.7.0 and that release's
// agent-server constant (sandbox_spec_service.py:14-16), not "{version}-python".
TEST(ComputeStackTest, VersionParametersCarryThePinnedRelease) {
  const auto t = compute();
  EXPECT_EQ(openhands_release::kVersion, "1.7.0");
  EXPECT_EQ(openhands_release::kAgentServerImage, "ghcr.io/openhands/agent-server:1.20.1-python");
  EXPECT_TRUE(t.hasResourceProperties("AWS::SSM::Parameter",
                                      R"({"Name":"/openhands/version/openhands","Type":"String","Value":"1.7.0"})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::SSM::Parameter", R"({"Name":"/openhands/version/runtime-image","Type":"String",
                                      "Value":"ghcr.io/openhands/agent-server:1.20.1-python"})"));
}

TEST(ComputeStackTest, AlarmsForCpuMemoryAndDataDiskGoToTheTopic) {
  const auto t = compute();
  // Three here and two on 5xx at the ALB (AccessLogsAndFiveHundredsAlarms).
  EXPECT_TRUE(t.resourceCountIs("AWS::CloudWatch::Alarm", 5));
  EXPECT_TRUE(t.hasResourceProperties("AWS::CloudWatch::Alarm", R"({
    "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Threshold": 80, "ComparisonOperator": "GreaterThanThreshold",
    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": {"Ref": "AutoScalingGroup"}}],
    "AlarmActions": [{"Fn::ImportValue": "OpenHands-Monitoring-AlertTopicArn"}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::CloudWatch::Alarm", R"({
    "Namespace": "CWAgent", "MetricName": "mem_used_percent", "Threshold": 85,
    "AlarmActions": [{"Fn::ImportValue": "OpenHands-Monitoring-AlertTopicArn"}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::CloudWatch::Alarm", R"({
    "Namespace": "CWAgent", "MetricName": "disk_used_percent", "Threshold": 85,
    "Dimensions": [{"Name": "AutoScalingGroupName"}, {"Name": "path", "Value": "/"}],
    "AlarmActions": [{"Fn::ImportValue": "OpenHands-Monitoring-AlertTopicArn"}]})"));
}

TEST(ComputeStackTest, UserDataGetsTheGatewayImageFromTheBootstrapRepository) {
  const auto t = compute();
  const auto text = boost::json::serialize(
      t.resourcesOfType("AWS::EC2::LaunchTemplate").at(0).second.at("Properties").at("LaunchTemplateData").at("UserData"));
  EXPECT_NE(text.find("cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:" +
                      testing::fixedGatewayImage().source_hash),
            std::string::npos);
}

// This test verifies the user data gets the application database secret (imported from the
// Database stack), the VPC CIDR, the sandbox URL pattern (by default the agent-server form on the
// primary domain) and the parameter naming every main host of the context.
TEST(ComputeStackTest, UserDataGetsTheAppSecretTheVpcCidrAndTheMainHosts) {
  auto context = testing::exampleContext();
  context.auth_callback_domains = {"openhands.example.com", "openhands.example.org"};
  const auto app = buildApp(context, testing::fixedGatewayImage());
  const auto t = testing::TemplateAssert::of(testing::stackNamed(app, "OpenHands-Compute").template_);
  // A copy: resourcesOfType returns a temporary.
  const boost::json::object variables = t.resourcesOfType("AWS::EC2::LaunchTemplate")
                                            .at(0)
                                            .second.at("Properties")
                                            .at("LaunchTemplateData")
                                            .at("UserData")
                                            .at("Fn::Base64")
                                            .at("Fn::Sub")
                                            .at(1)
                                            .as_object();
  EXPECT_EQ(boost::json::serialize(variables.at("AppDbSecretArn")),
            R"({"Fn::ImportValue":"OpenHands-Database-AppDbSecretArn"})");
  EXPECT_EQ(variables.at("VpcCidr"), "10.20.0.0/16");
  EXPECT_EQ(variables.at("SandboxUrlPattern"), "https://{port}-sandbox.runtime.openhands.example.com");
  EXPECT_EQ(boost::json::serialize(variables.at("MainHostsParameter")), R"({"Ref":"MainHostsParameter"})");
  EXPECT_TRUE(t.hasResourceProperties("AWS::SSM::Parameter", R"({
    "Name": "/openhands/config/main-hosts", "Type": "String",
    "Value": "openhands.example.com,openhands.example.org"})"));
}

// This test verifies the main-hosts parameter puts the primary host first, once, even when the
// callback domains list it later or not at all.
TEST(ComputeStackTest, MainHostsParameterPrimaryFirstWithoutDuplicates) {
  auto context = testing::exampleContext();
  context.auth_callback_domains = {"openhands.example.org", "openhands.example.com", "openhands.example.net"};
  auto app = buildApp(context, testing::fixedGatewayImage());
  EXPECT_TRUE(testing::TemplateAssert::of(testing::stackNamed(app, "OpenHands-Compute").template_)
                  .hasResourceProperties("AWS::SSM::Parameter", R"({"Name": "/openhands/config/main-hosts",
                    "Value": "openhands.example.com,openhands.example.org,openhands.example.net"})"));
  context.auth_callback_domains = {"openhands.example.org"};
  app = buildApp(context, testing::fixedGatewayImage());
  EXPECT_TRUE(testing::TemplateAssert::of(testing::stackNamed(app, "OpenHands-Compute").template_)
                  .hasResourceProperties("AWS::SSM::Parameter", R"({"Name": "/openhands/config/main-hosts",
                    "Value": "openhands.example.com,openhands.example.org"})"));
}

// This test verifies each further domain with a hosted zone gets its own origin certificate
// (main host and runtime wildcard, validated in its zone) on the HTTPS listener, by SNI.
TEST(ComputeStackTest, EachFurtherDomainHasAnOriginCertificateOnTheListener) {
  auto context = testing::exampleContext();
  context.auth_callback_domains = {"openhands.example.com", "openhands.example.org", "openhands.example.net"};
  context.auth_callback_hosted_zones = {{"openhands.example.org", "Z0RG0RG0RG0RG0RG0RG0"}};
  const auto t = TemplateAssert::of(testing::stackNamed(testing::testApp(context), "OpenHands-Compute").template_);
  EXPECT_TRUE(t.resourceCountIs("AWS::CertificateManager::Certificate", 2));
  EXPECT_TRUE(t.hasResourceProperties("AWS::CertificateManager::Certificate", R"({
    "DomainName": "openhands.example.org", "SubjectAlternativeNames": ["*.runtime.openhands.example.org"],
    "DomainValidationOptions": [{"DomainName": "openhands.example.org", "HostedZoneId": "Z0RG0RG0RG0RG0RG0RG0"},
                                {"DomainName": "*.runtime.openhands.example.org", "HostedZoneId": "Z0RG0RG0RG0RG0RG0RG0"}]})"));
  EXPECT_TRUE(t.resourceCountIs("AWS::ElasticLoadBalancingV2::ListenerCertificate", 1));
  const auto listener_certificates = t.resourcesOfType("AWS::ElasticLoadBalancingV2::ListenerCertificate");
  const auto& properties = listener_certificates.at(0).second.at("Properties");
  EXPECT_EQ(properties.at("ListenerArn"), boost::json::parse(R"({"Ref": "HttpsListener"})"));
  const auto id = std::string(properties.at("Certificates").at(0).at("CertificateArn").at("Ref").as_string());
  EXPECT_TRUE(t.resourceMatches(id, R"({"Properties": {"DomainName": "openhands.example.org"}})")) << id;
  // Every callback host is a gateway host, zone or not.
  EXPECT_TRUE(t.hasResourceProperties("AWS::SSM::Parameter", R"({"Name": "/openhands/config/main-hosts",
    "Value": "openhands.example.com,openhands.example.org,openhands.example.net"})"));
}

// This test verifies the ALB writes access logs to the Monitoring stack's bucket, and 5xx from
// the ALB and from the gateway raise alarms.
TEST(ComputeStackTest, AccessLogsAndFiveHundredsAlarms) {
  const auto t = TemplateAssert::of(testing::stackNamed(testing::testApp(), "OpenHands-Compute").template_);
  EXPECT_TRUE(t.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", R"({"LoadBalancerAttributes": {"$arrayWith": [
    {"Key": "access_logs.s3.enabled", "Value": "true"},
    {"Key": "access_logs.s3.bucket", "Value": {"Fn::ImportValue": "OpenHands-Monitoring-AlbLogBucketName"}},
    {"Key": "access_logs.s3.prefix", "Value": "alb"}]}})"));
  for (const char* metric : {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"}) {
    EXPECT_TRUE(t.hasResourceProperties("AWS::CloudWatch::Alarm", boost::json::parse(std::string(R"({
      "Namespace": "AWS/ApplicationELB", "MetricName": ")") + metric + R"(", "Statistic": "Sum",
      "Dimensions": [{"Name": "LoadBalancer", "Value": {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]}}],
      "AlarmActions": [{"Fn::ImportValue": "OpenHands-Monitoring-AlertTopicArn"}]})"))) << metric;
  }
}

}  // namespace
}  // namespace oh::infra
