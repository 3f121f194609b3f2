#include "stacks/rules/rule.h"

namespace oh::infra::rules {

// Every server-side encryption rule names SSE-S3 or KMS.
Compliance s3BucketEncrypted(const cfn::Resource& resource) {
  if (resource.type != "AWS::S3::Bucket") {
    return Compliance::NotApplicable;
  }
  const boost::json::value props = resource.properties;
  const auto* rules = detail::at(props, {"BucketEncryption", "ServerSideEncryptionConfiguration"});
  if (rules == nullptr || !rules->is_array() || rules->as_array().empty()) {
    return Compliance::NonCompliant;
  }
  for (const auto& rule : rules->as_array()) {
    const auto* algorithm = detail::at(rule, {"ServerSideEncryptionByDefault", "SSEAlgorithm"});
    if (algorithm == nullptr || !algorithm->is_string() ||
        (algorithm->as_string() != "AES256" && algorithm->as_string() != "aws:kms" &&
         algorithm->as_string() != "aws:kms:dsse")) {
      return Compliance::NonCompliant;
    }
  }
  return Compliance::Compliant;
}

}  // namespace oh::infra::rules
