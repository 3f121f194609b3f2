#include "stacks/compute_stack.h"

#include <cstdint>
#include <cstdio>
#include <tuple>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "assembly/docker_asset.h"
#include "cfn/intrinsics.h"
#include "instance/user_data.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

void addSecrets(cfn::Template& t, const ComputeStackProps& props) {
  // Random, made by Secrets Manager (never a template constant), and replicated to us-east-1
  // where the Edge stack reads it by name for CloudFront's origin header.
  json::object origin{{"Name", names::kOriginVerifySecret},
                      {"Description", "X-Origin-Verify value CloudFront sends and the ALB and gateway require"},
                      {"GenerateSecretString", json::object{{"PasswordLength", 48}, {"ExcludePunctuation", true}}}};
  if (props.region != names::kEdgeRegion) {
    origin["ReplicaRegions"] = json::array{json::object{{"Region", names::kEdgeRegion}}};
  }
  // None of the three holds data worth keeping: a new stack generates new values (a new session
  // key signs everybody out once), so they go with the stack, explicitly.
  keepOnDelete(t.addResource("OriginVerifySecret", "AWS::SecretsManager::Secret", std::move(origin)),
               cfn::DeletionPolicy::Delete);
  // Not secret, but it must reach us-east-1 without a lookup: a replicated secret is the
  // design's one way across regions. GenerateSecretString keeps the value out of SecretString.
  json::object origin_host{
      {"Name", names::kOriginHostSecret},
      {"Description", "The origin name every Edge stack sends CloudFront to (origin.{sub}.{primary domain})"},
      {"GenerateSecretString",
       json::object{{"SecretStringTemplate", json::serialize(json::object{{"originHost", props.origin_host}})},
                    {"GenerateStringKey", "unused"},
                    {"PasswordLength", 8},
                    {"ExcludePunctuation", true}}}};
  if (props.region != names::kEdgeRegion) {
    origin_host["ReplicaRegions"] = json::array{json::object{{"Region", names::kEdgeRegion}}};
  }
  keepOnDelete(t.addResource("OriginHostSecret", "AWS::SecretsManager::Secret", std::move(origin_host)),
               cfn::DeletionPolicy::Delete);
  keepOnDelete(t.addResource("SessionKeySecret", "AWS::SecretsManager::Secret",
                             {{"Name", names::kSessionKeySecret},
                              {"Description", "Source of oh-gateway's cookie and hand-off ticket keys (derived on the "
                                              "instance, one per purpose)"},
                              {"GenerateSecretString", json::object{{"PasswordLength", 64}, {"ExcludePunctuation", true}}}}),
               cfn::DeletionPolicy::Delete);
}

void addFileSystem(cfn::Template& t, const ComputeStackProps& props) {
  auto& efs = t.addResource(
      "FileSystem", "AWS::EFS::FileSystem",
      {{"Encrypted", true},
       {"PerformanceMode", "generalPurpose"},
       {"ThroughputMode", "elastic"},
       {"LifecyclePolicies", json::array{json::object{{"TransitionToIA", "AFTER_14_DAYS"}}}},
       {"FileSystemTags", tagList({{"Name", "openhands-workspaces"}, {"backup", "true"}})},
       // Only the instance role may mount, only through a mount target, only over TLS.
       {"FileSystemPolicy",
        policyDocument(json::array{
            json::object{{"Sid", "InstanceRoleMountsThroughMountTargets"},
                         {"Effect", "Allow"},
                         {"Principal", json::object{{"AWS", props.security.instance_role_arn}}},
                         {"Action", json::array{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
                                                "elasticfilesystem:ClientRootAccess"}},
                         {"Condition",
                          json::object{{"Bool", json::object{{"elasticfilesystem:AccessedViaMountTarget", "true"}}}}}},
            denyInsecureTransport("*")})}});
  // Workspaces outlive the stack.
  keepOnDelete(efs, cfn::DeletionPolicy::Retain);

  for (std::size_t i = 0; i < props.network.private_subnet_count; ++i) {
    t.addResource("MountTarget" + std::to_string(i + 1), "AWS::EFS::MountTarget",
                  {{"FileSystemId", cfn::ref("FileSystem")},
                   {"SubnetId", cfn::select(static_cast<unsigned>(i), props.network.private_subnet_ids)},
                   {"SecurityGroups", json::array{props.security.efs_security_group_id}}});
  }
  t.addResource("AccessPoint", "AWS::EFS::AccessPoint",
                {{"FileSystemId", cfn::ref("FileSystem")},
                 {"RootDirectory", json::object{{"Path", "/openhands"},
                                                {"CreationInfo", json::object{{"OwnerUid", "0"},
                                                                              {"OwnerGid", "0"},
                                                                              {"Permissions", "0755"}}}}},
                 {"AccessPointTags", tagList({{"Name", "openhands-data"}})}});
}

// "OriginCertificateOpenhandsExampleOrg1a2b3c4d": a logical id per host, stable when the list is
// reordered; the FNV-1a hash of the host keeps "a-b.org" and "a.b.org" apart.
std::string originCertificateId(const std::string& host) {
  std::string id = "OriginCertificate";
  bool upper = true;
  std::uint32_t hash = 2166136261U;
  for (const char c : host) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619U;
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      id.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    upper = !alnum;
  }
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", hash);
  return id + suffix;
}

json::object certificateFor(std::vector<std::string> names, const std::string& hosted_zone_id) {
  json::array validations;
  json::array alternatives;
  for (const auto& name : names) {
    validations.emplace_back(json::object{{"DomainName", name}, {"HostedZoneId", hosted_zone_id}});
    if (&name != &names.front()) alternatives.emplace_back(name);
  }
  return json::object{{"DomainName", names.front()},
                      {"SubjectAlternativeNames", std::move(alternatives)},
                      {"ValidationMethod", "DNS"},
                      {"DomainValidationOptions", std::move(validations)}};
}

void addLoadBalancer(cfn::Template& t, const ComputeStackProps& props) {
  // CloudFront forwards the viewer's Host (so the gateway can route runtime hosts), and then
  // checks the origin's certificate against that Host rather than the origin name. So the
  // listener serves, by SNI, a certificate naming each served domain's main host and runtime
  // wildcard: the primary's (with the origin name, the default) and one per further domain
  // with a hosted zone (authCallbackHostedZones), each validated in its own zone.
  t.addResource("OriginCertificate", "AWS::CertificateManager::Certificate",
                certificateFor({props.origin_host, props.main_host, "*.runtime." + props.main_host}, props.hosted_zone_id));
  for (const auto& [host, zone] : props.extra_hosted_zones) {
    const std::string id = originCertificateId(host);
    t.addResource(id, "AWS::CertificateManager::Certificate", certificateFor({host, "*.runtime." + host}, zone));
    t.addResource("Listener" + id, "AWS::ElasticLoadBalancingV2::ListenerCertificate",
                  {{"ListenerArn", cfn::ref("HttpsListener")},
                   {"Certificates", json::array{json::object{{"CertificateArn", cfn::ref(id)}}}}});
  }
  t.addResource("LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer",
                {{"Type", "application"},
                 {"Scheme", "internet-facing"},
                 {"IpAddressType", "ipv4"},
                 {"Subnets", props.network.public_subnet_ids},
                 {"SecurityGroups", json::array{props.security.alb_security_group_id}},
                 {"LoadBalancerAttributes",
                  json::array{json::object{{"Key", "routing.http.drop_invalid_header_fields.enabled"}, {"Value", "true"}},
                              // Long enough for idle WebSocket connections between pings.
                              json::object{{"Key", "idle_timeout.timeout_seconds"}, {"Value", "300"}},
                              // Every request CloudFront forwards (nothing is cached), into the
                              // Monitoring stack's bucket (SSE-S3, expiring).
                              json::object{{"Key", "access_logs.s3.enabled"}, {"Value", "true"}},
                              json::object{{"Key", "access_logs.s3.bucket"}, {"Value", props.monitoring.alb_log_bucket_name}},
                              json::object{{"Key", "access_logs.s3.prefix"}, {"Value", "alb"}}}}});
  t.addResource("GatewayTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup",
                {{"TargetType", "instance"},
                 {"Protocol", "HTTP"},
                 {"Port", props.gateway_port},
                 {"VpcId", props.network.vpc_id},
                 {"HealthCheckProtocol", "HTTP"},
                 {"HealthCheckPath", names::kGatewayReadinessPath},
                 {"HealthCheckIntervalSeconds", 15},
                 {"HealthCheckTimeoutSeconds", 5},
                 {"HealthyThresholdCount", 2},
                 {"UnhealthyThresholdCount", 3},
                 {"Matcher", json::object{{"HttpCode", "200"}}},
                 {"TargetGroupAttributes",
                  json::array{json::object{{"Key", "deregistration_delay.timeout_seconds"}, {"Value", "30"}}}}});
  // Anything without the origin secret gets a fixed 403: the ALB is public only so CloudFront
  // can reach it with WebSockets.
  t.addResource("HttpsListener", "AWS::ElasticLoadBalancingV2::Listener",
                {{"LoadBalancerArn", cfn::ref("LoadBalancer")},
                 {"Port", 443},
                 {"Protocol", "HTTPS"},
                 {"SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06"},
                 {"Certificates", json::array{json::object{{"CertificateArn", cfn::ref("OriginCertificate")}}}},
                 {"DefaultActions",
                  json::array{json::object{{"Type", "fixed-response"},
                                           {"FixedResponseConfig", json::object{{"StatusCode", "403"},
                                                                                {"ContentType", "text/plain"},
                                                                                {"MessageBody", "Access Denied - Invalid Origin"}}}}}}});
  t.addResource(
      "ForwardVerifiedOrigin", "AWS::ElasticLoadBalancingV2::ListenerRule",
      {{"ListenerArn", cfn::ref("HttpsListener")},
       {"Priority", 1},
       {"Conditions",
        json::array{json::object{
            {"Field", "http-header"},
            {"HttpHeaderConfig",
             json::object{{"HttpHeaderName", names::kOriginHeader},
                          {"Values", json::array{cfn::sub("{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}")}}}}}}},
       {"Actions", json::array{json::object{{"Type", "forward"}, {"TargetGroupArn", cfn::ref("GatewayTargetGroup")}}}}});
  t.addResource("OriginRecord", "AWS::Route53::RecordSet",
                {{"HostedZoneId", props.hosted_zone_id},
                 {"Name", props.origin_host + "."},
                 {"Type", "A"},
                 {"AliasTarget", json::object{{"DNSName", cfn::getAtt("LoadBalancer", "DNSName")},
                                              {"HostedZoneId", cfn::getAtt("LoadBalancer", "CanonicalHostedZoneID")},
                                              {"EvaluateTargetHealth", false}}}});
}

json::value userData(const ComputeStackProps& props) {
  instance::UserDataInputs inputs;
  inputs.region = cfn::region();
  inputs.log_group_name = props.monitoring.log_group_name;
  inputs.alert_topic_arn = props.monitoring.alert_topic_arn;
  inputs.data_bucket_name = props.monitoring.data_bucket_name;
  inputs.efs_file_system_id = cfn::ref("FileSystem");
  inputs.efs_access_point_id = cfn::ref("AccessPoint");
  inputs.db_proxy_endpoint = props.database.proxy_endpoint;
  inputs.db_admin_secret_arn = props.database.admin_secret_arn;
  // The application role's secret, which the proxy's Auth lists: OpenHands signs in with it.
  inputs.app_db_secret_arn = props.database.app_secret_arn;
  // The replica of Auth's secret in this region, read by name.
  inputs.auth_settings_secret_arn = names::kAuthSettingsSecret;
  inputs.origin_secret_arn = cfn::ref("OriginVerifySecret");
  inputs.session_key_secret_arn = cfn::ref("SessionKeySecret");
  inputs.openhands_version_parameter = names::kOpenHandsVersionParameter;
  inputs.runtime_image_parameter = names::kRuntimeImageParameter;
  inputs.gateway_image_uri = dockerImageUri(props.gateway_image);
  inputs.bedrock_model = props.bedrock_model;
  inputs.bedrock_role_arn = props.security.bedrock_role_arn;
  inputs.main_host = props.main_host;
  inputs.gateway_port = static_cast<std::uint16_t>(props.gateway_port);
  inputs.main_hosts_parameter = cfn::ref("MainHostsParameter");
  inputs.vpc_cidr = props.vpc_cidr;
  inputs.sandbox_url_pattern = props.sandbox_url_pattern;
  return instance::renderUserData(inputs);
}

void addInstances(cfn::Template& t, const ComputeStackProps& props) {
  t.addResource(
      "LaunchTemplate", "AWS::EC2::LaunchTemplate",
      {{"LaunchTemplateData",
        json::object{
            {"ImageId", cfn::ssmReference(names::kAl2023Arm64AmiParameter)},
            {"InstanceType", props.instance_type},
            {"IamInstanceProfile", json::object{{"Arn", props.security.instance_profile_arn}}},
            {"SecurityGroupIds", json::array{props.security.instance_security_group_id}},
            // IMDSv2 only, one hop: the instance role is for the host and the host-network
            // containers (oh-gateway), never for containers behind a bridge. Sandboxes run agent
            // code, so their credentials come from the gateway's container-credentials endpoint
            // (the Bedrock-only role, assumed per user), and a token PUT from a bridge (one more
            // hop) gets no answer; the host firewall drops their metadata traffic as well.
            {"MetadataOptions", json::object{{"HttpTokens", "required"},
                                             {"HttpEndpoint", "enabled"},
                                             {"HttpPutResponseHopLimit", 1}}},
            {"BlockDeviceMappings",
             json::array{json::object{{"DeviceName", "/dev/xvda"},
                                      {"Ebs", json::object{{"VolumeSize", props.volume_size_gb},
                                                           {"VolumeType", "gp3"},
                                                           {"Encrypted", true},
                                                           {"DeleteOnTermination", true}}}}}},
            {"Monitoring", json::object{{"Enabled", true}}},
            {"UserData", userData(props)},
            {"TagSpecifications",
             json::array{json::object{{"ResourceType", "instance"}, {"Tags", tagList({{"Name", "openhands"}})}},
                         json::object{{"ResourceType", "volume"}, {"Tags", tagList({{"Name", "openhands"}})}}}}}}});

  std::vector<std::string> mount_targets;
  for (std::size_t i = 0; i < props.network.private_subnet_count; ++i) {
    mount_targets.push_back("MountTarget" + std::to_string(i + 1));
  }
  auto& group = t.addResource(
      "AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup",
      {{"MinSize", "1"},
       {"MaxSize", "1"},
       {"DesiredCapacity", "1"},
       {"LaunchTemplate", json::object{{"LaunchTemplateId", cfn::ref("LaunchTemplate")},
                                       {"Version", cfn::getAtt("LaunchTemplate", "LatestVersionNumber")}}},
       {"VPCZoneIdentifier", props.network.private_subnet_ids},
       {"TargetGroupARNs", json::array{cfn::ref("GatewayTargetGroup")}},
       // A failed readiness check replaces the instance; the grace period covers the first boot.
       {"HealthCheckType", "ELB"},
       {"HealthCheckGracePeriod", 600},
       {"Tags", json::array{json::object{{"Key", "Name"}, {"Value", "openhands"}, {"PropagateAtLaunch", true}}}}});
  // The instance mounts EFS at boot, so the mount targets come first.
  group.depends_on = std::move(mount_targets);
  // One instance: replace it in place (the data lives in EFS, S3 and Aurora).
  group.update_policy = json::object{
      {"AutoScalingRollingUpdate",
       json::object{{"MinInstancesInService", 0}, {"MaxBatchSize", 1}, {"PauseTime", "PT5M"}}},
      {"AutoScalingScheduledAction", json::object{{"IgnoreUnmodifiedGroupSizeProperties", true}}}};
}

void addParameters(cfn::Template& t, const ComputeStackProps& props) {
  t.addResource("OpenHandsVersionParameter", "AWS::SSM::Parameter",
                {{"Name", names::kOpenHandsVersionParameter},
                 {"Type", "String"},
                 {"Value", props.openhands_version},
                 {"Description", "OpenHands app image version the instance runs"}});
  std::string main_hosts = props.main_host;
  for (const auto& host : props.callback_hosts) {
    if (host != props.main_host && (","  + main_hosts + ",").find("," + host + ",") == std::string::npos) {
      main_hosts += "," + host;
    }
  }
  t.addResource("MainHostsParameter", "AWS::SSM::Parameter",
                {{"Name", names::kMainHostsParameter},
                 {"Type", "String"},
                 {"Value", main_hosts},
                 {"Description", "Every main host the gateway serves (sign-in callbacks, runtime.{host} apps)"}});
  t.addResource("RuntimeImageParameter", "AWS::SSM::Parameter",
                {{"Name", names::kRuntimeImageParameter},
                 {"Type", "String"},
                 {"Value", props.runtime_image},
                 {"Description", "Sandbox runtime image OpenHands starts for conversations"}});
}

void addAlarm(cfn::Template& t, const ComputeStackProps& props, const std::string& id, const char* description,
              const char* name_space, const char* metric, json::array extra_dimensions, double threshold) {
  json::array dimensions{json::object{{"Name", "AutoScalingGroupName"}, {"Value", cfn::ref("AutoScalingGroup")}}};
  for (auto& dimension : extra_dimensions) {
    dimensions.push_back(std::move(dimension));
  }
  t.addResource(id, "AWS::CloudWatch::Alarm",
                {{"AlarmDescription", description},
                 {"Namespace", name_space},
                 {"MetricName", metric},
                 {"Dimensions", std::move(dimensions)},
                 {"Statistic", "Average"},
                 {"Period", 300},
                 {"EvaluationPeriods", 2},
                 {"Threshold", threshold},
                 {"ComparisonOperator", "GreaterThanThreshold"},
                 {"TreatMissingData", "missing"},
                 {"AlarmActions", json::array{props.monitoring.alert_topic_arn}},
                 {"OKActions", json::array{props.monitoring.alert_topic_arn}}});
}

}  // namespace

StackSpec buildComputeStack(const ComputeStackProps& props) {
  StackSpec stack = newStack(names::kComputeStack, props.region,
                             "OpenHands compute: EFS, the instance, the origin ALB and alarms",
                             {names::kNetworkStack, names::kSecurityStack, names::kMonitoringStack, names::kDatabaseStack});
  stack.docker_images.push_back(props.gateway_image);
  auto& t = stack.template_;

  addSecrets(t, props);
  addFileSystem(t, props);
  addLoadBalancer(t, props);
  addInstances(t, props);
  addParameters(t, props);
  addAlarm(t, props, "CpuAlarm", "OpenHands instance CPU above 80%", "AWS/EC2", "CPUUtilization", {}, 80);
  // Memory and disk come from the CloudWatch agent, which the user data configures to roll its
  // metrics up by AutoScalingGroupName (and by path for disks). The data disk is the encrypted
  // root volume: it holds /data, Docker's images and the sandboxes; /data/openhands is EFS,
  // which never fills.
  addAlarm(t, props, "MemoryAlarm", "OpenHands instance memory above 85%", "CWAgent", "mem_used_percent", {}, 85);
  addAlarm(t, props, "DataDiskAlarm", "OpenHands data disk (root volume with /data and Docker) above 85%", "CWAgent",
           "disk_used_percent", json::array{json::object{{"Name", "path"}, {"Value", "/"}}}, 85);

  // 5xx at the ALB: its own (no healthy target, timeouts) and the gateway's.
  for (const auto& [id, metric, what] : {std::tuple{"AlbErrorsAlarm", "HTTPCode_ELB_5XX_Count", "the ALB itself"},
                                         std::tuple{"GatewayErrorsAlarm", "HTTPCode_Target_5XX_Count", "the gateway"}}) {
    t.addResource(id, "AWS::CloudWatch::Alarm",
                  {{"AlarmDescription", std::string("More than 10 5xx responses from ") + what + " in 5 minutes"},
                   {"Namespace", "AWS/ApplicationELB"},
                   {"MetricName", metric},
                   {"Dimensions", json::array{json::object{{"Name", "LoadBalancer"},
                                                           {"Value", cfn::getAtt("LoadBalancer", "LoadBalancerFullName")}}}},
                   {"Statistic", "Sum"},
                   {"Period", 300},
                   {"EvaluationPeriods", 1},
                   {"Threshold", 10},
                   {"ComparisonOperator", "GreaterThanThreshold"},
                   // No requests, no errors.
                   {"TreatMissingData", "notBreaching"},
                   {"AlarmActions", json::array{props.monitoring.alert_topic_arn}},
                   {"OKActions", json::array{props.monitoring.alert_topic_arn}}});
  }

  t.addOutput("LoadBalancerDnsName",
              cfn::Output{cfn::getAtt("LoadBalancer", "DNSName"), "ALB (answers 403 without the origin header)",
                          std::nullopt, std::nullopt});
  t.addOutput("OriginHost", cfn::Output{json::value(props.origin_host), "CloudFront's origin", std::nullopt, std::nullopt});
  t.addOutput("OriginVerifySecretArn",
              cfn::Output{cfn::ref("OriginVerifySecret"), "Origin secret (replicated to us-east-1)", std::nullopt, std::nullopt});
  t.addOutput("FileSystemId", cfn::Output{cfn::ref("FileSystem"), "Workspaces file system", std::nullopt, std::nullopt});
  return stack;
}

}  // namespace oh::infra::stacks
