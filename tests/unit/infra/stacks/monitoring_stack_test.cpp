// OpenHands-Monitoring: logs, topic, data bucket, dashboard and the backup plan.
#include <gtest/gtest.h>

#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert monitoring() {
  return TemplateAssert::of(testing::stackNamed(testing::testApp(), "OpenHands-Monitoring").template_);
}

TEST(MonitoringStackTest, LogGroupKeeps30DaysAndIsRetained) {
  EXPECT_TRUE(monitoring().hasResource("AWS::Logs::LogGroup", R"({
    "Properties": {"LogGroupName": "/openhands/application", "RetentionInDays": 30},
    "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})"));
}

TEST(MonitoringStackTest, AlertTopicExists) { EXPECT_TRUE(monitoring().resourceCountIs("AWS::SNS::Topic", 1)); }

TEST(MonitoringStackTest, DataBucketIsEncryptedVersionedPrivateAndRetained) {
  EXPECT_TRUE(monitoring().hasResource("AWS::S3::Bucket", R"({
    "Properties": {
      "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
      "VersioningConfiguration": {"Status": "Enabled"},
      "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                                         "IgnorePublicAcls": true, "RestrictPublicBuckets": true}},
    "DeletionPolicy": "Retain"})"));
}

TEST(MonitoringStackTest, DataBucketLifecycleExpiresOldVersionsAndUploads) {
  EXPECT_TRUE(monitoring().hasResourceProperties("AWS::S3::Bucket", R"({"LifecycleConfiguration": {"Rules": {"$arrayWith": [
    {"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
    {"Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}}})"));
}

TEST(MonitoringStackTest, DataBucketPolicyDeniesPlainHttp) {
  EXPECT_TRUE(monitoring().hasResourceProperties("AWS::S3::BucketPolicy", R"({
    "Bucket": {"Ref": "DataBucket"},
    "PolicyDocument": {"Statement": [{"Effect": "Deny", "Action": "s3:*",
                                      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}})"));
}

TEST(MonitoringStackTest, DashboardIsValidJsonWithWidgets) {
  const auto t = monitoring();
  const auto dashboards = t.resourcesOfType("AWS::CloudWatch::Dashboard");
  ASSERT_EQ(dashboards.size(), 1u);
  const auto body = boost::json::parse(
      dashboards[0].second.at("Properties").at("DashboardBody").at("Fn::Sub").as_string());
  EXPECT_GE(body.at("widgets").as_array().size(), 4u);
}

TEST(MonitoringStackTest, BackupPlanIsDailyKeeps14DaysAndSelectsBackupTrue) {
  const auto t = monitoring();
  EXPECT_TRUE(t.hasResourceProperties("AWS::Backup::BackupPlan", R"j({"BackupPlan": {"BackupPlanRule": [
    {"ScheduleExpression": "cron(0 5 * * ? *)", "Lifecycle": {"DeleteAfterDays": 14},
     "TargetBackupVault": {"Ref": "BackupVault"}}]}})j"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::Backup::BackupSelection", R"({
    "BackupPlanId": {"Ref": "BackupPlan"},
    "BackupSelection": {"IamRoleArn": {"Fn::GetAtt": ["BackupRole", "Arn"]},
      "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "true"}]}})"));
  EXPECT_TRUE(t.hasResource("AWS::Backup::BackupVault", R"({"DeletionPolicy":"Retain"})"));
}

TEST(MonitoringStackTest, ExportsWhatSecurityAndComputeImport) {
  const auto t = monitoring();
  for (const char* key : {"AppLogGroupName", "AppLogGroupArn", "AlertTopicArn", "DataBucketName", "DataBucketArn"}) {
    EXPECT_TRUE(t.hasOutput(key, boost::json::serialize(boost::json::object{
                                     {"Export", boost::json::object{{"Name", std::string("OpenHands-Monitoring-") + key}}}})))
        << key;
  }
}

// This test verifies the ALB's access log bucket: encrypted, private, expiring after 90 days,
// written only by the region's Elastic Load Balancing account, over TLS.
TEST(MonitoringStackTest, AlbAccessLogBucketEncryptedExpiringAndWrittenByElbOnly) {
  const auto t = TemplateAssert::of(testing::stackNamed(testing::testApp(), "OpenHands-Monitoring").template_);
  EXPECT_TRUE(t.resourceMatches("AlbLogBucket", R"({"Properties": {
    "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    "LifecycleConfiguration": {"Rules": {"$arrayWith": [{"Id": "ExpireAccessLogs", "ExpirationInDays": 90}]}},
    "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "RestrictPublicBuckets": true}},
    "DeletionPolicy": "Retain"})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::S3::BucketPolicy", R"({"Bucket": {"Ref": "AlbLogBucket"},
    "PolicyDocument": {"Statement": [
      {"Sid": "ElbWritesAccessLogs", "Action": "s3:PutObject",
       "Resource": {"Fn::Sub": "${AlbLogBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*"}},
      {"Sid": "DenyInsecureTransport", "Effect": "Deny"}]}})"));
  EXPECT_EQ(t.json().at("Mappings").at("ElbLogDeliveryAccount").at("us-west-2").at("Account"), "797873946194");
  EXPECT_TRUE(t.hasOutput("AlbLogBucketName", R"({"Export": {"Name": "OpenHands-Monitoring-AlbLogBucketName"}})"));
}

}  // namespace
}  // namespace oh::infra
