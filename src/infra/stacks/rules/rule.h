#pragma once
// Security rules in the style of cdk-nag: each is a pure function of one resource that says
// compliant, non-compliant or not applicable. One rule per file; allRules() lists them for the
// test that runs every rule over every synthesized template.

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "cfn/template.h"
#include "stacks/stack_spec.h"

namespace oh::infra::rules {

enum class Compliance { Compliant, NonCompliant, NotApplicable };

using RuleFn = Compliance (*)(const cfn::Resource&);

struct Rule {
  const char* id;           // e.g. "S3BucketEncrypted"
  const char* explanation;  // why it matters
  RuleFn check;
};

// Storage.
Compliance s3BucketEncrypted(const cfn::Resource& resource);
Compliance s3BucketPublicAccessBlocked(const cfn::Resource& resource);
Compliance ebsEncrypted(const cfn::Resource& resource);
Compliance efsEncrypted(const cfn::Resource& resource);
Compliance rdsStorageEncrypted(const cfn::Resource& resource);
// Network.
Compliance noOpenIngress(const cfn::Resource& resource);
// Identity and secrets.
Compliance iamNoWildcardAdmin(const cfn::Resource& resource);
Compliance noPlaintextSecrets(const cfn::Resource& resource);
// Compute.
Compliance imdsV2Required(const cfn::Resource& resource);
Compliance noLambda(const cfn::Resource& resource);
Compliance noCustomResource(const cfn::Resource& resource);

const std::vector<Rule>& allRules();

// One non-compliant resource, named so a person can find it.
struct Finding {
  std::string stack;
  std::string logical_id;
  std::string type;
  std::string rule_id;
  std::string explanation;
};

// Every rule over every resource of every stack: empty when the app is compliant. oh-infra can
// run this before writing an assembly, as cdk-nag does at synth time.
std::vector<Finding> checkApp(const std::vector<StackSpec>& app);

// Shared helpers for the rules.
namespace detail {
// obj[k1][k2]... or nullptr.
const boost::json::value* at(const boost::json::value& root, std::initializer_list<const char*> path);
// true or "true" (CloudFormation accepts both).
bool isTrue(const boost::json::value* value);
// A value that is, or holds, a list: arrays as themselves, anything else as one element.
std::vector<const boost::json::value*> asList(const boost::json::value* value);
}  // namespace detail

}  // namespace oh::infra::rules
