#include "stacks/monitoring_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cfn/intrinsics.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

void retain(cfn::Resource& resource) {
  resource.deletion_policy = cfn::DeletionPolicy::Retain;
  resource.update_replace_policy = cfn::DeletionPolicy::Retain;
}

// The lifecycle rule every bucket here has: multipart uploads abandoned for 7 days are aborted.
json::object abortIncompleteUploadsRule() {
  return json::object{{"Id", "AbortIncompleteUploads"},
                      {"Status", "Enabled"},
                      {"AbortIncompleteMultipartUpload", json::object{{"DaysAfterInitiation", 7}}}};
}

// A bucket's properties, then what makes every bucket here private: no public access of any
// kind, and ACLs off (the bucket owner owns every object).
json::object privateBucket(json::object properties) {
  properties["PublicAccessBlockConfiguration"] = json::object{{"BlockPublicAcls", true},
                                                              {"BlockPublicPolicy", true},
                                                              {"IgnorePublicAcls", true},
                                                              {"RestrictPublicBuckets", true}};
  properties["OwnershipControls"] =
      json::object{{"Rules", json::array{json::object{{"ObjectOwnership", "BucketOwnerEnforced"}}}}};
  return properties;
}

void addDataBucket(cfn::Template& t) {
  auto& bucket = t.addResource(
      "DataBucket", "AWS::S3::Bucket",
      privateBucket({{"BucketEncryption",
                      json::object{{"ServerSideEncryptionConfiguration",
                                    json::array{json::object{{"ServerSideEncryptionByDefault", json::object{{"SSEAlgorithm", "AES256"}}},
                                                             {"BucketKeyEnabled", true}}}}}},
                     {"VersioningConfiguration", json::object{{"Status", "Enabled"}}},
                     {"LifecycleConfiguration",
                      json::object{{"Rules", json::array{json::object{{"Id", "ExpireOldVersions"},
                                                                      {"Status", "Enabled"},
                                                                      {"NoncurrentVersionExpiration",
                                                                       json::object{{"NoncurrentDays", 30}}}},
                                                         abortIncompleteUploadsRule()}}}}}));
  // Conversation events and settings outlive the stack.
  retain(bucket);

  t.addResource(
      "DataBucketPolicy", "AWS::S3::BucketPolicy",
      {{"Bucket", cfn::ref("DataBucket")},
       {"PolicyDocument",
        policyDocument(json::array{denyInsecureTransport(
            "s3:*", json::array{cfn::getAtt("DataBucket", "Arn"), cfn::sub("${DataBucket.Arn}/*")})})}});
}

// The account Elastic Load Balancing writes access logs from, per region (the regions of the
// CloudFront prefix-list table; the deploy fails at Fn::FindInMap elsewhere, naming the region).
const std::pair<const char*, const char*> kElbLogAccounts[] = {
    {"ap-northeast-1", "582318560864"}, {"ap-northeast-2", "600734575887"}, {"ap-northeast-3", "383597477331"},
    {"ap-south-1", "718504428378"},     {"ap-southeast-1", "114774131450"}, {"ap-southeast-2", "783225319266"},
    {"ca-central-1", "985666609251"},   {"eu-central-1", "054676820928"},   {"eu-north-1", "897822967062"},
    {"eu-west-1", "156460612806"},      {"eu-west-2", "652711504416"},      {"eu-west-3", "009996457667"},
    {"sa-east-1", "507241528517"},      {"us-east-1", "127311923021"},      {"us-east-2", "033677994240"},
    {"us-west-1", "027434742980"},      {"us-west-2", "797873946194"}};

// The ALB's access logs: SSE-S3 (the only encryption ALB log delivery supports), private, kept
// alb_log_retention_days, written only by Elastic Load Balancing under alb/AWSLogs/{account}/.
void addAlbLogBucket(cfn::Template& t, const MonitoringStackProps& props) {
  json::object accounts;
  for (const auto& [region, account] : kElbLogAccounts) {
    accounts[region] = json::object{{"Account", account}};
  }
  t.addMapping("ElbLogDeliveryAccount", std::move(accounts));
  auto& bucket = t.addResource(
      "AlbLogBucket", "AWS::S3::Bucket",
      privateBucket({{"BucketEncryption",
                      json::object{{"ServerSideEncryptionConfiguration",
                                    json::array{json::object{{"ServerSideEncryptionByDefault", json::object{{"SSEAlgorithm", "AES256"}}}}}}}},
                     {"LifecycleConfiguration",
                      json::object{{"Rules", json::array{json::object{{"Id", "ExpireAccessLogs"},
                                                                      {"Status", "Enabled"},
                                                                      {"ExpirationInDays", props.alb_log_retention_days}},
                                                         abortIncompleteUploadsRule()}}}}}));
  // Access logs are audit records: they expire by the lifecycle rule, not with the stack.
  retain(bucket);
  const json::value objects = cfn::sub("${AlbLogBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*");
  t.addResource(
      "AlbLogBucketPolicy", "AWS::S3::BucketPolicy",
      {{"Bucket", cfn::ref("AlbLogBucket")},
       {"PolicyDocument",
        policyDocument(json::array{
            json::object{{"Sid", "ElbWritesAccessLogs"},
                         {"Effect", "Allow"},
                         {"Principal",
                          json::object{{"AWS", cfn::sub("arn:${AWS::Partition}:iam::${Account}:root",
                                                        json::object{{"Account", json::object{{"Fn::FindInMap",
                                                                                               json::array{"ElbLogDeliveryAccount",
                                                                                                           cfn::region(),
                                                                                                           "Account"}}}}})}}},
                         {"Action", "s3:PutObject"},
                         {"Resource", objects}},
            denyInsecureTransport("s3:*", json::array{cfn::getAtt("AlbLogBucket", "Arn"),
                                                      cfn::sub("${AlbLogBucket.Arn}/*")})})}});
}

// CPU from EC2, memory and the data disk (root volume) from the CloudWatch agent, and the application's errors.
// SEARCH keeps the dashboard valid when the Auto Scaling group (in a later stack) is replaced.
std::string dashboardBody() {
  auto metricWidget = [](const char* title, const char* expression, int x, int y) {
    return json::object{
        {"type", "metric"},
        {"x", x},
        {"y", y},
        {"width", 12},
        {"height", 6},
        {"properties",
         json::object{{"title", title},
                      {"region", "${AWS::Region}"},
                      {"view", "timeSeries"},
                      {"stat", "Average"},
                      {"period", 300},
                      {"metrics", json::array{json::array{json::object{{"expression", expression}, {"id", "e1"}}}}}}}};
  };
  json::array widgets{
      metricWidget("EC2 CPU utilization (%)",
                   "SEARCH('{AWS/EC2,AutoScalingGroupName} MetricName=\"CPUUtilization\" OpenHands', 'Average', 300)",
                   0, 0),
      metricWidget("Memory used (%)",
                   "SEARCH('{CWAgent,AutoScalingGroupName} MetricName=\"mem_used_percent\" OpenHands', 'Average', 300)",
                   12, 0),
      metricWidget("Data disk used (%)",
                   "SEARCH('{CWAgent,AutoScalingGroupName,path} MetricName=\"disk_used_percent\" path=\"/\"', "
                   "'Average', 300)",
                   0, 6),
      metricWidget("ALB 5xx responses",
                   "SEARCH('{AWS/ApplicationELB,LoadBalancer} MetricName=\"HTTPCode_Target_5XX_Count\"', 'Sum', 300)",
                   12, 6),
      json::object{{"type", "log"},
                   {"x", 0},
                   {"y", 12},
                   {"width", 24},
                   {"height", 6},
                   {"properties",
                    json::object{{"title", "Recent errors"},
                                 {"region", "${AWS::Region}"},
                                 {"view", "table"},
                                 {"query", std::string("SOURCE '") + names::kLogGroup +
                                               "' | fields @timestamp, @message | filter @message like /(?i)error/ "
                                               "| sort @timestamp desc | limit 50"}}}}};
  return json::serialize(json::object{{"widgets", std::move(widgets)}});
}

void addBackup(cfn::Template& t, const MonitoringStackProps& props) {
  auto& vault = t.addResource("BackupVault", "AWS::Backup::BackupVault", {{"BackupVaultName", "openhands-backup-vault"}});
  // Recovery points must survive the stack that made them.
  retain(vault);
  t.addResource(
      "BackupPlan", "AWS::Backup::BackupPlan",
      {{"BackupPlan",
        json::object{{"BackupPlanName", "openhands-daily"},
                     {"BackupPlanRule",
                      json::array{json::object{{"RuleName", "Daily"},
                                               {"TargetBackupVault", cfn::ref("BackupVault")},
                                               {"ScheduleExpression", "cron(0 5 * * ? *)"},
                                               {"StartWindowMinutes", 60},
                                               {"CompletionWindowMinutes", 180},
                                               {"Lifecycle", json::object{{"DeleteAfterDays", props.backup_retention_days}}}}}}}}});
  t.addResource(
      "BackupRole", "AWS::IAM::Role",
      {{"AssumeRolePolicyDocument",
        policyDocument(json::array{json::object{{"Effect", "Allow"},
                                                {"Principal", json::object{{"Service", "backup.amazonaws.com"}}},
                                                {"Action", "sts:AssumeRole"}}})},
       {"ManagedPolicyArns",
        json::array{
            cfn::sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"),
            cfn::sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores")}}});
  t.addResource("BackupSelection", "AWS::Backup::BackupSelection",
                {{"BackupPlanId", cfn::ref("BackupPlan")},
                 {"BackupSelection",
                  json::object{{"SelectionName", "tagged-backup-true"},
                               {"IamRoleArn", cfn::getAtt("BackupRole", "Arn")},
                               {"ListOfTags", json::array{json::object{{"ConditionType", "STRINGEQUALS"},
                                                                       {"ConditionKey", "backup"},
                                                                       {"ConditionValue", "true"}}}}}}});
}

}  // namespace

MonitoringStack buildMonitoringStack(const MonitoringStackProps& props) {
  MonitoringStack out{newStack(names::kMonitoringStack, props.region,
                               "OpenHands monitoring: logs, alerts, data bucket, dashboard and backups", {}),
                      {}};
  auto& spec = out.spec;
  auto& t = spec.template_;

  auto& logs = t.addResource("AppLogGroup", "AWS::Logs::LogGroup",
                             {{"LogGroupName", names::kLogGroup}, {"RetentionInDays", props.log_retention_days}});
  retain(logs);
  // Not KMS-encrypted: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key.
  t.addResource("AlertTopic", "AWS::SNS::Topic", {{"TopicName", "openhands-alerts"}, {"DisplayName", "OpenHands alerts"}});
  addTlsOnlyTopicPolicy(t, "AlertTopicPolicy", "AlertTopic");
  addDataBucket(t);
  addAlbLogBucket(t, props);
  t.addResource("Dashboard", "AWS::CloudWatch::Dashboard",
                {{"DashboardName", "OpenHands"}, {"DashboardBody", cfn::sub(dashboardBody())}});
  addBackup(t, props);

  out.refs.log_group_name = exportValue(spec, "AppLogGroupName", cfn::ref("AppLogGroup"), "Application log group");
  out.refs.log_group_arn = exportValue(spec, "AppLogGroupArn", cfn::getAtt("AppLogGroup", "Arn"), "Application log group ARN");
  out.refs.alert_topic_arn = exportValue(spec, "AlertTopicArn", cfn::ref("AlertTopic"), "Alert topic");
  out.refs.data_bucket_name = exportValue(spec, "DataBucketName", cfn::ref("DataBucket"), "Data bucket");
  out.refs.data_bucket_arn = exportValue(spec, "DataBucketArn", cfn::getAtt("DataBucket", "Arn"), "Data bucket ARN");
  out.refs.alb_log_bucket_name =
      exportValue(spec, "AlbLogBucketName", cfn::ref("AlbLogBucket"), "ALB access log bucket");
  return out;
}

}  // namespace oh::infra::stacks
