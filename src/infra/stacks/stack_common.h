#pragma once
// Small helpers every stack uses: a new StackSpec with the project's tags, exported outputs
// that return the matching Fn::ImportValue (the typed reference other stacks receive), and the
// [{Key, Value}] tag lists of CloudFormation.

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "cfn/template.h"
#include "stacks/stack_spec.h"

namespace oh::infra::stacks {

// A stack with the project's tags (CloudFormation propagates stack tags to every resource that
// supports tags), so cost reports and AWS Backup selections see the whole deployment.
StackSpec newStack(std::string name, std::string region, std::string description,
                   std::vector<std::string> dependencies);

// "OpenHands-Network-PrivateSubnetIds": stable, readable, unique per account and region.
std::string exportName(const std::string& stack_name, const std::string& key);

// Adds Outputs[key] = value, exported as exportName(stack, key), and returns the
// {"Fn::ImportValue": ...} that a consumer in the same region uses.
boost::json::value exportValue(StackSpec& stack, const std::string& key, boost::json::value value,
                               std::string description);

// [{"Key": k, "Value": v}, ...]
boost::json::array tagList(std::initializer_list<std::pair<const char*, std::string>> tags);

// Sets DeletionPolicy and UpdateReplacePolicy to `policy`: every stateful resource says what
// happens to its data (cfn-lint I3011), rather than inheriting CloudFormation's Delete.
cfn::Resource& keepOnDelete(cfn::Resource& resource, cfn::DeletionPolicy policy);

// A statement list policy document: {"Version": "2012-10-17", "Statement": [...]}.
boost::json::object policyDocument(boost::json::array statements);

// The statement "DenyInsecureTransport": anyone's `action` without TLS is denied, on `resource`
// or (without it) on whatever the policy is attached to.
boost::json::object denyInsecureTransport(std::string action,
                                          std::optional<boost::json::value> resource = std::nullopt);

// An SNS topic policy (logical id `policy_id`) on the topic `topic_id` that only allows
// publishing over TLS.
void addTlsOnlyTopicPolicy(cfn::Template& t, const std::string& policy_id, const std::string& topic_id);

}  // namespace oh::infra::stacks
