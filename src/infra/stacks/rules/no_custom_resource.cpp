#include "stacks/rules/rule.h"

namespace oh::infra::rules {

// Values cross regions through Secrets Manager replicas and Route 53 names, never through a
// custom resource (which would need a Lambda function behind it).
Compliance noCustomResource(const cfn::Resource& resource) {
  const bool custom = resource.type.rfind("Custom::", 0) == 0 || resource.type == "AWS::CloudFormation::CustomResource";
  return custom ? Compliance::NonCompliant : Compliance::NotApplicable;
}

}  // namespace oh::infra::rules
