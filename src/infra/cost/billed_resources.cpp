#include "cost/billed_resources.h"

#include <algorithm>
#include <map>

#include <boost/json/array.hpp>

namespace oh::infra {
namespace {

const std::map<std::string, Billing>& billingRules() {
  static const std::map<std::string, Billing> rules{
      // Counted per item (BilledResources).
      {"AWS::SecretsManager::Secret", Billing::counted},
      {"AWS::CloudWatch::Alarm", Billing::counted},
      {"AWS::CloudWatch::Dashboard", Billing::counted},
      {"AWS::EC2::VPCEndpoint", Billing::counted},
      {"AWS::WAFv2::WebACL", Billing::counted},
      {"AWS::ElasticLoadBalancingV2::LoadBalancer", Billing::counted},
      {"AWS::CloudFront::Distribution", Billing::counted},
      {"AWS::CertificateManager::Certificate", Billing::counted},
      // Priced by usage in a cost line.
      {"AWS::EC2::LaunchTemplate", Billing::usage},          // EC2 and EBS lines (the instance)
      {"AWS::AutoScaling::AutoScalingGroup", Billing::usage},
      {"AWS::RDS::DBCluster", Billing::usage},               // Aurora line (ACU-hours, storage)
      {"AWS::RDS::DBInstance", Billing::usage},
      {"AWS::RDS::DBProxy", Billing::usage},                 // RDS Proxy line
      {"AWS::S3::Bucket", Billing::usage},                   // S3 line (GB)
      {"AWS::EFS::FileSystem", Billing::usage},              // EFS + Backup line
      {"AWS::Backup::BackupPlan", Billing::usage},
      {"AWS::Logs::LogGroup", Billing::usage},               // CloudWatch line (GB ingested)
      {"AWS::WAFv2::LoggingConfiguration", Billing::usage},  // vended logs, in the CloudWatch line's GB
      {"AWS::SNS::Topic", Billing::usage},                   // notifications: within the free tier
      {"AWS::Route53::RecordSet", Billing::usage},           // alias queries to AWS resources are free
      // No charge of their own.
      {"AWS::Cognito::UserPool", Billing::free},  // 10,000 monthly active users free (Essentials)
      {"AWS::Cognito::UserPoolClient", Billing::free},
      {"AWS::Cognito::UserPoolDomain", Billing::free},
      {"AWS::Cognito::ManagedLoginBranding", Billing::free},  // styles are part of the Essentials tier
      {"AWS::SecretsManager::SecretTargetAttachment", Billing::free},
      {"AWS::EC2::SecurityGroup", Billing::free},
      {"AWS::EC2::SecurityGroupIngress", Billing::free},
      {"AWS::EC2::SecurityGroupEgress", Billing::free},
      {"AWS::IAM::Role", Billing::free},
      {"AWS::IAM::InstanceProfile", Billing::free},
      {"AWS::IAM::Policy", Billing::free},
      {"AWS::RDS::DBSubnetGroup", Billing::free},
      {"AWS::RDS::DBProxyTargetGroup", Billing::free},
      {"AWS::RDS::DBClusterParameterGroup", Billing::free},
      {"AWS::EFS::MountTarget", Billing::free},
      {"AWS::EFS::AccessPoint", Billing::free},
      {"AWS::ElasticLoadBalancingV2::TargetGroup", Billing::free},
      {"AWS::ElasticLoadBalancingV2::Listener", Billing::free},
      {"AWS::ElasticLoadBalancingV2::ListenerRule", Billing::free},
      {"AWS::ElasticLoadBalancingV2::ListenerCertificate", Billing::free},
      {"AWS::SSM::Parameter", Billing::free},  // standard tier
      {"AWS::S3::BucketPolicy", Billing::free},
      {"AWS::SNS::TopicPolicy", Billing::free},
      {"AWS::Backup::BackupVault", Billing::free},
      {"AWS::Backup::BackupSelection", Billing::free},
      {"AWS::CloudFront::ResponseHeadersPolicy", Billing::free},
      {"AWS::CloudFront::OriginRequestPolicy", Billing::free},
  };
  return rules;
}

int count(const boost::json::value* array) {
  return array != nullptr && array->is_array() ? static_cast<int>(array->as_array().size()) : 0;
}

}  // namespace

const Billing* billingOf(const std::string& type) {
  const auto& rules = billingRules();
  const auto it = rules.find(type);
  return it == rules.end() ? nullptr : &it->second;
}

BilledResources countBilledResources(const std::vector<boost::json::object>& templates) {
  BilledResources b;
  for (const auto& t : templates) {
    const auto* resources = t.if_contains("Resources");
    if (resources == nullptr || !resources->is_object()) continue;
    for (const auto& [id, resource] : resources->as_object()) {
      const auto* type_value = resource.as_object().if_contains("Type");
      const std::string type = type_value != nullptr && type_value->is_string() ? std::string(type_value->as_string()) : "";
      static const boost::json::object kNone;
      const auto* found = resource.as_object().if_contains("Properties");
      const auto& properties = found != nullptr && found->is_object() ? found->as_object() : kNone;
      if (billingOf(type) == nullptr) {
        if (std::find(b.unclassified.begin(), b.unclassified.end(), type) == b.unclassified.end()) {
          b.unclassified.push_back(type);
        }
      } else if (type == "AWS::SecretsManager::Secret") {
        b.secrets += 1 + count(properties.if_contains("ReplicaRegions"));
      } else if (type == "AWS::CloudWatch::Alarm") {
        ++b.alarms;
      } else if (type == "AWS::CloudWatch::Dashboard") {
        ++b.dashboards;
      } else if (type == "AWS::EC2::VPCEndpoint") {
        const auto* kind = properties.if_contains("VpcEndpointType");
        (kind != nullptr && *kind == "Interface" ? b.interface_endpoints : b.gateway_endpoints) += 1;
      } else if (type == "AWS::WAFv2::WebACL") {
        ++b.web_acls;
        b.waf_rules += count(properties.if_contains("Rules"));
      } else if (type == "AWS::ElasticLoadBalancingV2::LoadBalancer") {
        ++b.load_balancers;
      } else if (type == "AWS::CloudFront::Distribution") {
        ++b.distributions;
      } else if (type == "AWS::CertificateManager::Certificate") {
        ++b.origin_certificates;
      }
    }
  }
  return b;
}

}  // namespace oh::infra
