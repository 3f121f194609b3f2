#include "stacks/rules/rule.h"

namespace oh::infra::rules {

// IMDSv1 answers any request that reaches it (SSRF from a sandboxed app, say); v2 needs a
// session token from a PUT.
Compliance imdsV2Required(const cfn::Resource& resource) {
  const boost::json::value props = resource.properties;
  if (resource.type == "AWS::EC2::LaunchTemplate") {
    const auto* tokens = detail::at(props, {"LaunchTemplateData", "MetadataOptions", "HttpTokens"});
    return tokens != nullptr && tokens->is_string() && tokens->as_string() == "required" ? Compliance::Compliant
                                                                                         : Compliance::NonCompliant;
  }
  if (resource.type == "AWS::EC2::Instance") {
    // An instance can only require IMDSv2 through a launch template, checked on its own.
    return detail::at(props, {"LaunchTemplate"}) != nullptr ? Compliance::NotApplicable : Compliance::NonCompliant;
  }
  return Compliance::NotApplicable;
}

}  // namespace oh::infra::rules
