#include "stacks/rules/rule.h"

namespace oh::infra::rules {

// Aurora encrypts at the cluster; an instance inside a cluster inherits it.
Compliance rdsStorageEncrypted(const cfn::Resource& resource) {
  const boost::json::value props = resource.properties;
  if (resource.type == "AWS::RDS::DBCluster") {
    return detail::isTrue(detail::at(props, {"StorageEncrypted"})) ? Compliance::Compliant : Compliance::NonCompliant;
  }
  if (resource.type == "AWS::RDS::DBInstance") {
    if (detail::at(props, {"DBClusterIdentifier"}) != nullptr) {
      return Compliance::NotApplicable;
    }
    return detail::isTrue(detail::at(props, {"StorageEncrypted"})) ? Compliance::Compliant : Compliance::NonCompliant;
  }
  return Compliance::NotApplicable;
}

}  // namespace oh::infra::rules
