#pragma once
// OpenHands-Compute (main region): EFS for workspaces, the instance (launch template and an
// Auto Scaling group of one), the internet-facing ALB that forwards only requests carrying the
// origin secret, the origin's Route 53 name and certificate, version parameters and alarms.

#include <map>
#include <string>
#include <vector>

#include "common/openhands_release.h"
#include "stacks/database_stack.h"
#include "stacks/monitoring_stack.h"
#include "stacks/network_stack.h"
#include "stacks/security_stack.h"
#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

struct ComputeStackProps {
  std::string region;
  std::string main_host;       // openhands.example.com
  std::string origin_host;     // origin.openhands.example.com (ALB alias, own certificate)
  std::string hosted_zone_id;  // Z0123456789ABCDEFGHIJ
  // Every main host the gateway serves (authCallbackDomains; main_host when empty): sign-in
  // callbacks, runtime.{host} app suffixes and OpenHands' CORS origins.
  std::vector<std::string> callback_hosts;
  // The further main hosts the origin serves, each with its hosted zone (context
  // authCallbackHostedZones): one more origin certificate each, on the HTTPS listener by SNI.
  std::map<std::string, std::string> extra_hosted_zones;
  // The VPC's CIDR: the ALB's addresses, whose X-Forwarded-For the gateway believes.
  std::string vpc_cidr;
  // @default "m7g.xlarge" (Graviton; the AMI is arm64)
  std::string instance_type = "m7g.xlarge";
  // Root volume, gp3, encrypted; the reference README's cost table prices 300 GB. @default 300
  int volume_size_gb = 300;
  std::string bedrock_model;
  std::string openhands_version{openhands_release::kVersion};
  // The sandbox (agent-server) image OpenHands starts for each conversation: the pinned
  // release's constant (deploy/openhands-release.env), the one image [sandbox] allows.
  std::string runtime_image{openhands_release::kAgentServerImage};
  // OpenHands' SANDBOX_CONTAINER_URL_PATTERN (context sandboxUrlPattern).
  std::string sandbox_url_pattern = "http://localhost:{port}";
  int gateway_port = 8080;
  NetworkRefs network;
  MonitoringRefs monitoring;
  SecurityRefs security;
  DatabaseRefs database;
  DockerImageAsset gateway_image;
};

StackSpec buildComputeStack(const ComputeStackProps& props);

}  // namespace oh::infra::stacks
