#include "stacks/rules/rule.h"

namespace oh::infra::rules {

// Sign-in and runtime routing live in oh-gateway; nothing in the design runs as a function.
Compliance noLambda(const cfn::Resource& resource) {
  const bool lambda = resource.type.rfind("AWS::Lambda::", 0) == 0 || resource.type.rfind("AWS::Serverless::", 0) == 0;
  return lambda ? Compliance::NonCompliant : Compliance::NotApplicable;
}

}  // namespace oh::infra::rules
