#include "stacks/stack_common.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "cfn/intrinsics.h"
#include "stacks/names.h"

namespace oh::infra::stacks {
namespace json = boost::json;

StackSpec newStack(std::string name, std::string region, std::string description,
                   std::vector<std::string> dependencies) {
  StackSpec stack;
  stack.name = std::move(name);
  stack.region = std::move(region);
  stack.description = std::move(description);
  stack.template_.setDescription(stack.description);
  stack.dependencies = std::move(dependencies);
  stack.tags = {{"Project", names::kProject}, {"ManagedBy", "oh-infra"}, {"Stack", stack.name}};
  return stack;
}

std::string exportName(const std::string& stack_name, const std::string& key) {
  return stack_name + "-" + key;
}

json::value exportValue(StackSpec& stack, const std::string& key, json::value value, std::string description) {
  const std::string name = exportName(stack.name, key);
  stack.template_.addOutput(key, cfn::Output{std::move(value), std::move(description), json::value(name), std::nullopt});
  return cfn::importValue(json::string(name));
}

json::array tagList(std::initializer_list<std::pair<const char*, std::string>> tags) {
  json::array out;
  for (const auto& [key, value] : tags) {
    out.emplace_back(json::object{{"Key", key}, {"Value", value}});
  }
  return out;
}

json::object policyDocument(json::array statements) {
  return json::object{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

json::object denyInsecureTransport(std::string action, std::optional<json::value> resource) {
  json::object statement{{"Sid", "DenyInsecureTransport"},
                         {"Effect", "Deny"},
                         {"Principal", json::object{{"AWS", "*"}}},
                         {"Action", std::move(action)}};
  if (resource) {
    statement["Resource"] = std::move(*resource);
  }
  statement["Condition"] = json::object{{"Bool", json::object{{"aws:SecureTransport", "false"}}}};
  return statement;
}

void addTlsOnlyTopicPolicy(cfn::Template& t, const std::string& policy_id, const std::string& topic_id) {
  t.addResource(policy_id, "AWS::SNS::TopicPolicy",
                {{"Topics", json::array{cfn::ref(topic_id)}},
                 {"PolicyDocument",
                  policyDocument(json::array{denyInsecureTransport("sns:Publish", cfn::ref(topic_id))})}});
}

cfn::Resource& keepOnDelete(cfn::Resource& resource, cfn::DeletionPolicy policy) {
  resource.deletion_policy = policy;
  resource.update_replace_policy = policy;
  return resource;
}

}  // namespace oh::infra::stacks
