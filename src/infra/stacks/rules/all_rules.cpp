#include "stacks/rules/rule.h"

namespace oh::infra::rules {

const std::vector<Rule>& allRules() {
  static const std::vector<Rule> rules = {
      {"S3BucketEncrypted", "Buckets encrypt data at rest (SSE-S3 or KMS) explicitly", s3BucketEncrypted},
      {"S3BucketPublicAccessBlocked", "Buckets block every kind of public access", s3BucketPublicAccessBlocked},
      {"EbsEncrypted", "EBS volumes of instances and launch templates are encrypted", ebsEncrypted},
      {"EfsEncrypted", "EFS file systems are encrypted at rest", efsEncrypted},
      {"RdsStorageEncrypted", "RDS clusters and standalone instances encrypt storage", rdsStorageEncrypted},
      {"NoOpenIngress", "No security group admits 0.0.0.0/0 or ::/0", noOpenIngress},
      {"IamNoWildcardAdmin", "No policy allows Action * on Resource *", iamNoWildcardAdmin},
      {"NoPlaintextSecrets", "Passwords, client secrets and origin secrets are never literals", noPlaintextSecrets},
      {"ImdsV2Required", "Instances require IMDSv2 session tokens", imdsV2Required},
      {"NoLambda", "The design has no Lambda functions", noLambda},
      {"NoCustomResource", "The design has no custom resources", noCustomResource},
  };
  return rules;
}

}  // namespace oh::infra::rules
