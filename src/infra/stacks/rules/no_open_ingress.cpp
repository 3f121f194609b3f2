#include "stacks/rules/rule.h"

namespace oh::infra::rules {

namespace {

bool openToTheWorld(const boost::json::value& rule) {
  const auto* v4 = detail::at(rule, {"CidrIp"});
  const auto* v6 = detail::at(rule, {"CidrIpv6"});
  return (v4 != nullptr && v4->is_string() && v4->as_string() == "0.0.0.0/0") ||
         (v6 != nullptr && v6->is_string() && v6->as_string() == "::/0");
}

}  // namespace

Compliance noOpenIngress(const cfn::Resource& resource) {
  const boost::json::value props = resource.properties;
  if (resource.type == "AWS::EC2::SecurityGroup") {
    for (const auto* rule : detail::asList(detail::at(props, {"SecurityGroupIngress"}))) {
      if (openToTheWorld(*rule)) {
        return Compliance::NonCompliant;
      }
    }
    return Compliance::Compliant;
  }
  if (resource.type == "AWS::EC2::SecurityGroupIngress") {
    return openToTheWorld(props) ? Compliance::NonCompliant : Compliance::Compliant;
  }
  return Compliance::NotApplicable;
}

}  // namespace oh::infra::rules
