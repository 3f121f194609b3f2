#pragma once
// The deployment's settings, read from the CDK context (CDK_CONTEXT_JSON, or the file named by
// CONTEXT_OVERFLOW_LOCATION_ENV, plus `--context k=v` for `oh-infra synth`). Keys and defaults
// follow the reference README; every key is validated with a message naming it and an example.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/openhands_release.h"

namespace oh::infra {

struct AppContext {
  // Required.
  std::string vpc_id;          // vpcId, e.g. vpc-0123456789abcdef0
  std::string hosted_zone_id;  // hostedZoneId, e.g. Z0123456789ABCDEFGHIJ
  std::string domain_name;     // domainName, e.g. example.com

  // Optional, with the reference README's defaults.
  std::string sub_domain = "openhands";              // subDomain
  std::string region = "us-east-1";                  // region (else CDK_DEFAULT_REGION, else us-east-1)
  std::string site_name = "Openhands on AWS";        // siteName
  std::vector<std::string> auth_callback_domains;    // authCallbackDomains; default {subDomain.domainName}
  // authCallbackHostedZones: the hosted zone of each further domain the origin serves, by its
  // main host (an authCallbackDomains entry), e.g. {"openhands.example.org": "Z0123..."}. The
  // Compute stack requests an origin certificate for each (CloudFront checks the origin's
  // certificate against the viewer's Host it forwards); a callback domain without a zone gets
  // sign-in callbacks and gateway hosts but no Edge stack can serve it.
  std::map<std::string, std::string> auth_callback_hosted_zones;
  std::string auth_domain_prefix_suffix = "shared";  // authDomainPrefixSuffix
  std::string edge_stack_suffix;                     // edgeStackSuffix; "" -> OpenHands-Edge
  bool skip_s3_endpoint = false;                     // skipS3Endpoint

  // The VPC's shape, which the TypeScript app would look up: given as context so synthesis
  // never calls AWS (also read from the CDK's vpc-provider lookup key in cdk.context.json).
  std::string vpc_cidr = "10.0.0.0/16";              // vpcCidr
  std::vector<std::string> availability_zones;       // availabilityZones, e.g. ["us-west-2a","us-west-2b"]
  std::vector<std::string> private_subnet_ids;       // privateSubnetIds (>= 2, distinct AZs)
  std::vector<std::string> public_subnet_ids;        // publicSubnetIds (>= 2, for the ALB)
  std::vector<std::string> private_route_table_ids;  // privateRouteTableIds (S3 gateway endpoint)

  // Compute and application.
  std::string instance_type = "m7g.xlarge";          // instanceType
  std::string bedrock_model = "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0";  // bedrockModel
  // openhandsVersion: only the pinned release is accepted (deploy/openhands-release.env).
  std::string openhands_version{openhands_release::kVersion};
  // sandboxUrlPattern: OpenHands' SANDBOX_CONTAINER_URL_PATTERN, where {port} is a sandbox's
  // published host port. The browser talks to the sandbox's agent server at this URL and the
  // app server health-checks it there (docs/instance.md). "" = sandboxUrlPattern()'s default.
  std::string sandbox_url_pattern;

  // Not a context key: the project's root folder (the gateway's Docker build context), set by
  // oh-infra from $OH_PROJECT_ROOT, else the working directory (the CDK CLI runs the app from
  // the folder of cdk.json). Pass it to gatewayImageAsset().
  std::string project_root = ".";

  // Derived names.
  std::string mainHost() const { return sub_domain + "." + domain_name; }             // openhands.example.com
  std::string runtimeWildcard() const { return "*.runtime." + mainHost(); }
  // The context's sandboxUrlPattern, else the agent-server form oh-gateway routes: the primary
  // domain's https://{port}-sandbox.runtime.{sub}.{domain}, under the wildcard certificate.
  std::string sandboxUrlPattern() const {
    return sandbox_url_pattern.empty() ? "https://{port}-sandbox.runtime." + mainHost() : sandbox_url_pattern;
  }
  std::string originHost() const { return "origin." + mainHost(); }
  std::string edgeStackName() const {
    return edge_stack_suffix.empty() ? "OpenHands-Edge" : "OpenHands-Edge-" + edge_stack_suffix;
  }
};

struct ContextProblem {
  std::string key;
  std::string message;  // includes an example of a valid value
};

using ContextResult = std::variant<AppContext, std::vector<ContextProblem>>;

// Builds the context from the merged key/value map (values are JSON as the CLI sends them, or
// plain strings from --context k=v). `environment_region` is CDK_DEFAULT_REGION when set.
ContextResult parseAppContext(const std::map<std::string, std::string>& raw,
                              const std::optional<std::string>& environment_region);

}  // namespace oh::infra
