#include "stacks/security_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "assembly/bootstrap.h"
#include "cfn/intrinsics.h"
#include "stacks/bedrock_access.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

json::object tcpRule(int port, const char* description) {
  return json::object{{"IpProtocol", "tcp"}, {"FromPort", port}, {"ToPort", port}, {"Description", description}};
}

json::object withKey(json::object rule, const char* key, json::value value) {
  rule[key] = std::move(value);
  return rule;
}

void addSecurityGroups(cfn::Template& t, const SecurityStackProps& props) {
  json::object prefix_lists;
  for (const auto& [region, id] : cloudFrontOriginFacingPrefixLists()) {
    prefix_lists[region] = json::object{{"PrefixListId", id}};
  }
  t.addMapping("CloudFrontOriginFacingPrefixList", std::move(prefix_lists));

  // The group rules that point at another group are separate resources, so the three groups
  // can reference each other without a cycle.
  t.addResource("AlbSecurityGroup", "AWS::EC2::SecurityGroup",
                {{"GroupDescription", "OpenHands ALB: HTTPS from CloudFront origin-facing addresses only"},
                 {"VpcId", props.network.vpc_id},
                 {"SecurityGroupIngress",
                  json::array{withKey(tcpRule(443, "HTTPS from CloudFront origin-facing servers"), "SourcePrefixListId",
                                      json::object{{"Fn::FindInMap", json::array{"CloudFrontOriginFacingPrefixList",
                                                                                 cfn::region(), "PrefixListId"}}})}},
                 {"SecurityGroupEgress",
                  json::array{withKey(tcpRule(props.gateway_port, "To oh-gateway on the instances"), "DestinationSecurityGroupId",
                                      cfn::getAtt("InstanceSecurityGroup", "GroupId"))}},
                 {"Tags", tagList({{"Name", "openhands-alb"}})}});

  t.addResource(
      "InstanceSecurityGroup", "AWS::EC2::SecurityGroup",
      {{"GroupDescription", "OpenHands instances: the gateway port from the ALB only"},
       {"VpcId", props.network.vpc_id},
       // Outbound: HTTPS (AWS endpoints, image registries, LLM and package hosts the agent uses
       // through the NAT gateway), plain HTTP for the agents' package managers only, and NFS to
       // EFS. The boot needs no HTTP (Amazon Linux's dnf repositories are on S3 over HTTPS), but
       // sandboxes do: OpenHands' agent-server image is Debian bookworm (SDK v1.20.1
       // docker/Dockerfile:6,78), whose apt sources are http://deb.debian.org (apt checks its
       // signatures), and agents run `sudo apt-get install` there. The database rule is added
       // by the Database stack, which owns its group.
       {"SecurityGroupEgress",
        json::array{withKey(tcpRule(443, "HTTPS to AWS endpoints and the internet"), "CidrIp", "0.0.0.0/0"),
                    withKey(tcpRule(80, "HTTP for package managers in sandboxes (Debian's apt)"), "CidrIp",
                            "0.0.0.0/0")}},
       {"Tags", tagList({{"Name", "openhands-instances"}})}});
  t.addResource("InstanceIngressFromAlb", "AWS::EC2::SecurityGroupIngress",
                withKey(withKey(tcpRule(props.gateway_port, "oh-gateway from the ALB"), "GroupId",
                                cfn::getAtt("InstanceSecurityGroup", "GroupId")),
                        "SourceSecurityGroupId", cfn::getAtt("AlbSecurityGroup", "GroupId")));
  t.addResource("InstanceEgressToEfs", "AWS::EC2::SecurityGroupEgress",
                withKey(withKey(tcpRule(2049, "NFS to EFS"), "GroupId", cfn::getAtt("InstanceSecurityGroup", "GroupId")),
                        "DestinationSecurityGroupId", cfn::getAtt("EfsSecurityGroup", "GroupId")));

  t.addResource("EfsSecurityGroup", "AWS::EC2::SecurityGroup",
                {{"GroupDescription", "OpenHands EFS: NFS from the instances only"},
                 {"VpcId", props.network.vpc_id},
                 {"SecurityGroupEgress",
                  json::array{json::object{{"IpProtocol", "icmp"},
                                           {"FromPort", 252},
                                           {"ToPort", 86},
                                           {"CidrIp", "255.255.255.255/32"},
                                           {"Description", "Disallow all traffic"}}}},
                 {"Tags", tagList({{"Name", "openhands-efs"}})}});
  t.addResource("EfsIngressFromInstances", "AWS::EC2::SecurityGroupIngress",
                withKey(withKey(tcpRule(2049, "NFS from the instances"), "GroupId", cfn::getAtt("EfsSecurityGroup", "GroupId")),
                        "SourceSecurityGroupId", cfn::getAtt("InstanceSecurityGroup", "GroupId")));
}

json::object allow(json::array actions, json::value resources, const char* sid) {
  return json::object{{"Sid", sid}, {"Effect", "Allow"}, {"Action", std::move(actions)}, {"Resource", std::move(resources)}};
}

json::array instanceSecretArns() {
  json::array arns;
  for (const char* name : {names::kDbAdminSecret, names::kAppDbSecret, names::kAuthSettingsSecret,
                           names::kOriginVerifySecret, names::kSessionKeySecret}) {
    arns.push_back(cfn::sub(std::string("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:") +
                            name + "-??????"));
  }
  return arns;
}

// The configured model's family, where a request from this region can land. Converse and
// ConverseStream are authorized by these two actions too.
json::object bedrockInvokeStatement(const SecurityStackProps& props) {
  json::array arns;
  for (const auto& arn : bedrockAccess(props.bedrock_model).resourceArns()) {
    arns.push_back(cfn::sub(arn));
  }
  return allow(json::array{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}, std::move(arns),
               "BedrockInvokeConfiguredModel");
}

void addInstanceRole(cfn::Template& t, const SecurityStackProps& props) {
  // No Bedrock here: sandboxes get it through the Bedrock role below, which the gateway assumes
  // per user (addBedrockRole); the instance role may only assume that role.
  json::array statements{
      // The secrets the boot services read, by name: Secrets Manager appends "-" and six
      // random characters to a secret's ARN, hence "-??????" (and nothing wider).
      allow(json::array{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, instanceSecretArns(),
            "ReadInstanceSecrets"),
      allow(json::array{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
            json::array{props.monitoring.log_group_arn}, "WriteAppLogs"),
      allow(json::array{"s3:ListBucket", "s3:GetBucketLocation"}, json::array{props.monitoring.data_bucket_arn},
            "ListDataBucket"),
      allow(json::array{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
            json::array{cfn::join("", json::array{props.monitoring.data_bucket_arn, "/*"})}, "ReadWriteDataObjects"),
      // GetAuthorizationToken has no resource-level permissions; pulls are limited to the
      // CDK bootstrap repository the gateway image asset is published to (its URI names the
      // same repository: assembly/docker_asset.h).
      allow(json::array{"ecr:GetAuthorizationToken"}, json::value("*"), "EcrLogin"),
      allow(json::array{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
            json::array{cfn::sub(std::string("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/") +
                                 bootstrap::kImageAssetsRepository)},
            "EcrPullGatewayImage"),
      allow(json::array{"ssm:GetParameter", "ssm:GetParameters"},
            json::array{cfn::sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/openhands/*")},
            "ReadVersionParameters"),
      allow(json::array{"sns:Publish"}, json::array{props.monitoring.alert_topic_arn}, "PublishAlerts")};

  t.addResource(
      "InstanceRole", "AWS::IAM::Role",
      {{"Description", "OpenHands EC2 instances"},
       {"AssumeRolePolicyDocument",
        policyDocument(json::array{json::object{{"Effect", "Allow"},
                                                {"Principal", json::object{{"Service", "ec2.amazonaws.com"}}},
                                                {"Action", "sts:AssumeRole"}}})},
       {"ManagedPolicyArns",
        json::array{cfn::sub("arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"),
                    cfn::sub("arn:${AWS::Partition}:iam::aws:policy/CloudWatchAgentServerPolicy")}},
       {"Policies", json::array{json::object{{"PolicyName", "openhands-instance"},
                                             {"PolicyDocument", policyDocument(std::move(statements))}}}}});
  t.addResource("InstanceProfile", "AWS::IAM::InstanceProfile", {{"Roles", json::array{cfn::ref("InstanceRole")}}});
}

// The role sandboxes' Bedrock calls run under. oh-gateway (on the instance, with the instance
// role) assumes it once per user, with the user in the role session name, and serves the
// temporary credentials to that user's sandboxes on its container-credentials endpoint: agent
// code gets Bedrock and nothing else, and CloudTrail names the user of each call.
void addBedrockRole(cfn::Template& t, const SecurityStackProps& props) {
  t.addResource(
      "BedrockRole", "AWS::IAM::Role",
      {{"Description", "OpenHands sandboxes: the configured Bedrock model only, assumed by oh-gateway per user"},
       {"AssumeRolePolicyDocument",
        policyDocument(json::array{json::object{{"Sid", "InstanceRoleOnly"},
                                                {"Effect", "Allow"},
                                                {"Principal", json::object{{"AWS", cfn::getAtt("InstanceRole", "Arn")}}},
                                                {"Action", "sts:AssumeRole"}}})},
       // An hour bounds what a leaked set is worth; it is also STS's cap for a role assumed with
       // role credentials (the gateway's are the instance role's), and the gateway renews before.
       {"MaxSessionDuration", 3600},
       {"Policies", json::array{json::object{{"PolicyName", "openhands-bedrock"},
                                             {"PolicyDocument", policyDocument(json::array{bedrockInvokeStatement(props)})}}}}});
  // A policy of its own: in the instance role's inline policy this ARN would make the two roles
  // depend on each other (the trust policy above names the instance role).
  t.addResource("InstanceAssumesBedrockRole", "AWS::IAM::Policy",
                {{"PolicyName", "openhands-assume-bedrock-role"},
                 {"Roles", json::array{cfn::ref("InstanceRole")}},
                 {"PolicyDocument", policyDocument(json::array{allow(json::array{"sts:AssumeRole"},
                                                                     json::array{cfn::getAtt("BedrockRole", "Arn")},
                                                                     "AssumeBedrockRole")})}});
}

}  // namespace

const std::vector<std::pair<const char*, const char*>>& cloudFrontOriginFacingPrefixLists() {
  static const std::vector<std::pair<const char*, const char*>> table = {
      {"ap-northeast-1", "pl-58a04531"}, {"ap-northeast-2", "pl-22a6434b"}, {"ap-northeast-3", "pl-31a14458"},
      {"ap-south-1", "pl-9aa247f3"},     {"ap-southeast-1", "pl-31a34658"}, {"ap-southeast-2", "pl-b8a742d1"},
      {"ca-central-1", "pl-38a64351"},   {"eu-central-1", "pl-a3a144ca"},   {"eu-north-1", "pl-fab65393"},
      {"eu-west-1", "pl-4fa04526"},      {"eu-west-2", "pl-93a247fa"},      {"eu-west-3", "pl-75b1541c"},
      {"sa-east-1", "pl-5da64334"},      {"us-east-1", "pl-3b927c52"},      {"us-east-2", "pl-b6a144df"},
      {"us-west-1", "pl-4ea04527"},      {"us-west-2", "pl-82a045eb"}};
  return table;
}

SecurityStack buildSecurityStack(const SecurityStackProps& props) {
  SecurityStack out{newStack(names::kSecurityStack, props.region,
                             "OpenHands security: security groups, instance role and profile, the sandboxes' Bedrock role",
                             {names::kNetworkStack, names::kMonitoringStack}),
                    {}};
  auto& spec = out.spec;
  addSecurityGroups(spec.template_, props);
  addInstanceRole(spec.template_, props);
  addBedrockRole(spec.template_, props);

  out.refs.alb_security_group_id =
      exportValue(spec, "AlbSecurityGroupId", cfn::getAtt("AlbSecurityGroup", "GroupId"), "ALB security group");
  out.refs.instance_security_group_id = exportValue(
      spec, "InstanceSecurityGroupId", cfn::getAtt("InstanceSecurityGroup", "GroupId"), "Instance security group");
  out.refs.efs_security_group_id =
      exportValue(spec, "EfsSecurityGroupId", cfn::getAtt("EfsSecurityGroup", "GroupId"), "EFS security group");
  out.refs.instance_role_arn = exportValue(spec, "InstanceRoleArn", cfn::getAtt("InstanceRole", "Arn"), "Instance role");
  out.refs.bedrock_role_arn =
      exportValue(spec, "BedrockRoleArn", cfn::getAtt("BedrockRole", "Arn"), "Bedrock role sandboxes' credentials come from");
  out.refs.instance_profile_arn =
      exportValue(spec, "InstanceProfileArn", cfn::getAtt("InstanceProfile", "Arn"), "Instance profile");
  return out;
}

}  // namespace oh::infra::stacks
