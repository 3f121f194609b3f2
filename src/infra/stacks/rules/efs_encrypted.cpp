#include "stacks/rules/rule.h"

namespace oh::infra::rules {

Compliance efsEncrypted(const cfn::Resource& resource) {
  if (resource.type != "AWS::EFS::FileSystem") {
    return Compliance::NotApplicable;
  }
  const boost::json::value props = resource.properties;
  return detail::isTrue(detail::at(props, {"Encrypted"})) ? Compliance::Compliant : Compliance::NonCompliant;
}

}  // namespace oh::infra::rules
