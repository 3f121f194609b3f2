#pragma once
// Which Bedrock ARNs the instance may invoke, from the configured model (context bedrockModel):
// its model family only (the id without its date and version, e.g. anthropic.claude-sonnet-4-5),
// and only where a request from the deployment's region can land:
//   - the inference profile (us./eu./apac./global. prefix) in the deployment's region, where it
//     is invoked;
//   - the family's foundation models in the regions that profile routes to: the deployment's
//     region for a plain model id, the profile's geography (us-*, eu-*, ap-*) for a
//     geographic profile, any region for a global one (that is what "global" means).

#include <string>
#include <vector>

namespace oh::infra::stacks {

struct BedrockAccess {
  std::string family;             // anthropic.claude-sonnet-4-5
  std::string profile_prefix;     // "us", "eu", "apac", "global" or "" (a plain model id)
  std::string foundation_region;  // "${AWS::Region}", "us-*", "eu-*", "ap-*" or "*"
  // Fn::Sub strings: the foundation-model ARNs, then the inference-profile ARN (if a profile).
  std::vector<std::string> resourceArns() const;
};

// `model` as OpenHands takes it: "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
// with or without the "bedrock/" prefix. An id that is not vendor.model falls back to Anthropic's
// models ("anthropic.*", the design's default vendor), never to every model.
BedrockAccess bedrockAccess(const std::string& model);

}  // namespace oh::infra::stacks
