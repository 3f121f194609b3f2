#include "stacks/rules/rule.h"

namespace oh::infra::rules {

namespace {

// Every EBS mapping is encrypted, and there is at least one (else the AMI's default applies).
Compliance mappingsEncrypted(const boost::json::value* mappings) {
  bool any = false;
  for (const auto* mapping : detail::asList(mappings)) {
    const auto* ebs = detail::at(*mapping, {"Ebs"});
    if (ebs == nullptr) {
      continue;
    }
    any = true;
    if (!detail::isTrue(detail::at(*ebs, {"Encrypted"}))) {
      return Compliance::NonCompliant;
    }
  }
  return any ? Compliance::Compliant : Compliance::NonCompliant;
}

}  // namespace

Compliance ebsEncrypted(const cfn::Resource& resource) {
  const boost::json::value props = resource.properties;
  if (resource.type == "AWS::EC2::Volume") {
    return detail::isTrue(detail::at(props, {"Encrypted"})) ? Compliance::Compliant : Compliance::NonCompliant;
  }
  if (resource.type == "AWS::EC2::LaunchTemplate") {
    return mappingsEncrypted(detail::at(props, {"LaunchTemplateData", "BlockDeviceMappings"}));
  }
  if (resource.type == "AWS::EC2::Instance") {
    if (detail::at(props, {"LaunchTemplate"}) != nullptr && detail::at(props, {"BlockDeviceMappings"}) == nullptr) {
      return Compliance::NotApplicable;  // the launch template is checked on its own
    }
    return mappingsEncrypted(detail::at(props, {"BlockDeviceMappings"}));
  }
  return Compliance::NotApplicable;
}

}  // namespace oh::infra::rules
