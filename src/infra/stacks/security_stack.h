#pragma once
// OpenHands-Security (main region): the security groups of the ALB, the instances and EFS,
// each admitting only its one upstream and sending only what it needs, and the instance role
// with least privilege plus the one instance profile the launch template uses, and the
// Bedrock-only role oh-gateway assumes per user for the sandboxes.

#include <string>

#include <boost/json/value.hpp>

#include "stacks/monitoring_stack.h"
#include "stacks/network_stack.h"
#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct SecurityStackProps {
  std::string region;
  std::string vpc_cidr;  // the instances reach the VPC endpoints (443) inside it
  NetworkRefs network;
  MonitoringRefs monitoring;
  // The port oh-gateway listens on, the only one the ALB may reach. @default 8080
  int gateway_port = 8080;
  // The configured model (context bedrockModel): the role may invoke its family only, where a
  // request from this region lands (stacks/bedrock_access.h).
  std::string bedrock_model;
};

struct SecurityRefs {
  boost::json::value alb_security_group_id;
  boost::json::value instance_security_group_id;
  boost::json::value efs_security_group_id;
  boost::json::value instance_role_arn;
  boost::json::value instance_profile_arn;
  // Bedrock only, assumable by the instance role only: what sandboxes' credentials are.
  boost::json::value bedrock_role_arn;
};

struct SecurityStack {
  StackSpec spec;
  SecurityRefs refs;
};

// CloudFormation cannot look a managed prefix list up by name without a custom resource, so
// the IDs of com.amazonaws.global.cloudfront.origin-facing are a Mappings table per region
// (region -> {"PrefixListId": "pl-..."}), from `aws ec2 describe-managed-prefix-lists`.
// A region missing here fails the deploy at Fn::FindInMap, naming the region.
const std::vector<std::pair<const char*, const char*>>& cloudFrontOriginFacingPrefixLists();

SecurityStack buildSecurityStack(const SecurityStackProps& props);

}  // namespace oh::infra::stacks
