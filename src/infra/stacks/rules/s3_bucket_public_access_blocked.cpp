#include "stacks/rules/rule.h"

namespace oh::infra::rules {

// All four public-access switches on: ACLs and policies can never make the bucket public.
Compliance s3BucketPublicAccessBlocked(const cfn::Resource& resource) {
  if (resource.type != "AWS::S3::Bucket") {
    return Compliance::NotApplicable;
  }
  const boost::json::value props = resource.properties;
  for (const char* flag : {"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"}) {
    if (!detail::isTrue(detail::at(props, {"PublicAccessBlockConfiguration", flag}))) {
      return Compliance::NonCompliant;
    }
  }
  return Compliance::Compliant;
}

}  // namespace oh::infra::rules
