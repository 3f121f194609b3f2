#include "cfn/template.h"

#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

namespace oh::infra::cfn {
namespace json = boost::json;

namespace {

// CloudFormation logical IDs: ASCII letters and digits only, at most 255 characters.
void checkLogicalId(const std::string& id, std::string_view what) {
  bool valid = !id.empty() && id.size() <= 255;
  for (const char c : id) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    valid = valid && alnum;
  }
  if (!valid) {
    throw std::logic_error(std::string(what) + " logical ID '" + id + "' must be 1-255 letters or digits");
  }
}

template <typename Entries>
void checkUnique(const Entries& entries, const std::string& id, std::string_view what) {
  for (const auto& entry : entries) {
    if (entry.first == id) {
      throw std::logic_error(std::string(what) + " '" + id + "' is defined twice");
    }
  }
}

const char* policyName(DeletionPolicy policy) {
  switch (policy) {
    case DeletionPolicy::Delete: return "Delete";
    case DeletionPolicy::Retain: return "Retain";
    case DeletionPolicy::Snapshot: return "Snapshot";
    case DeletionPolicy::RetainExceptOnCreate: return "RetainExceptOnCreate";
  }
  return "Delete";
}

json::object resourceJson(const Resource& resource) {
  json::object out;
  out["Type"] = resource.type;
  if (!resource.properties.empty()) {
    out["Properties"] = resource.properties;
  }
  if (!resource.depends_on.empty()) {
    json::array depends;
    for (const auto& id : resource.depends_on) {
      depends.emplace_back(json::string(id));
    }
    out["DependsOn"] = std::move(depends);
  }
  if (resource.condition) {
    out["Condition"] = *resource.condition;
  }
  if (!resource.creation_policy.empty()) {
    out["CreationPolicy"] = resource.creation_policy;
  }
  if (!resource.update_policy.empty()) {
    out["UpdatePolicy"] = resource.update_policy;
  }
  if (resource.update_replace_policy) {
    out["UpdateReplacePolicy"] = policyName(*resource.update_replace_policy);
  }
  if (resource.deletion_policy) {
    out["DeletionPolicy"] = policyName(*resource.deletion_policy);
  }
  if (!resource.metadata.empty()) {
    out["Metadata"] = resource.metadata;
  }
  return out;
}

json::object parameterJson(const Parameter& parameter) {
  json::object out;
  out["Type"] = parameter.type;
  if (parameter.default_value) {
    out["Default"] = *parameter.default_value;
  }
  if (!parameter.description.empty()) {
    out["Description"] = parameter.description;
  }
  if (!parameter.allowed_values.empty()) {
    json::array allowed;
    for (const auto& value : parameter.allowed_values) {
      allowed.emplace_back(json::string(value));
    }
    out["AllowedValues"] = std::move(allowed);
  }
  if (parameter.no_echo) {
    out["NoEcho"] = true;
  }
  return out;
}

json::object outputJson(const Output& output) {
  json::object out;
  if (!output.description.empty()) {
    out["Description"] = output.description;
  }
  out["Value"] = output.value;
  if (output.export_name) {
    out["Export"] = json::object{{"Name", *output.export_name}};
  }
  if (output.condition) {
    out["Condition"] = *output.condition;
  }
  return out;
}

template <typename Entries, typename ToJson>
json::object section(const Entries& entries, ToJson to_json) {
  json::object out;
  for (const auto& [id, entry] : entries) {
    out[id] = to_json(entry);
  }
  return out;
}

}  // namespace

void Template::setDescription(std::string description) { description_ = std::move(description); }

Resource& Template::addResource(const std::string& logical_id, std::string type, json::object properties) {
  checkLogicalId(logical_id, "resource");
  if (resources_.count(logical_id) != 0) {
    throw std::logic_error("resource '" + logical_id + "' is defined twice");
  }
  if (type.empty()) {
    throw std::logic_error("resource '" + logical_id + "' has no type");
  }
  resource_order_.push_back(logical_id);
  Resource& resource = resources_[logical_id];
  resource.type = std::move(type);
  resource.properties = std::move(properties);
  return resource;
}

void Template::addOutput(const std::string& logical_id, Output output) {
  checkLogicalId(logical_id, "output");
  checkUnique(outputs_, logical_id, "output");
  outputs_.emplace_back(logical_id, std::move(output));
}

void Template::addParameter(const std::string& logical_id, Parameter parameter) {
  checkLogicalId(logical_id, "parameter");
  checkUnique(parameters_, logical_id, "parameter");
  parameters_.emplace_back(logical_id, std::move(parameter));
}

void Template::addCondition(const std::string& logical_id, json::value expression) {
  checkLogicalId(logical_id, "condition");
  checkUnique(conditions_, logical_id, "condition");
  conditions_.emplace_back(logical_id, std::move(expression));
}

void Template::addMapping(const std::string& logical_id, json::object mapping) {
  checkLogicalId(logical_id, "mapping");
  checkUnique(mappings_, logical_id, "mapping");
  mappings_.emplace_back(logical_id, std::move(mapping));
}

void Template::addRule(const std::string& logical_id, json::object rule) {
  checkLogicalId(logical_id, "rule");
  checkUnique(rules_, logical_id, "rule");
  rules_.emplace_back(logical_id, std::move(rule));
}

bool Template::hasResource(const std::string& logical_id) const {
  return resources_.count(logical_id) != 0;
}

const Resource& Template::resource(const std::string& logical_id) const {
  return resources_.at(logical_id);
}

json::object Template::toJson() const {
  json::object out;
  out["AWSTemplateFormatVersion"] = "2010-09-09";
  if (!description_.empty()) {
    out["Description"] = description_;
  }
  if (!parameters_.empty()) {
    out["Parameters"] = section(parameters_, parameterJson);
  }
  if (!mappings_.empty()) {
    out["Mappings"] = section(mappings_, [](const json::object& m) { return m; });
  }
  if (!conditions_.empty()) {
    out["Conditions"] = section(conditions_, [](const json::value& c) { return c; });
  }
  if (!rules_.empty()) {
    out["Rules"] = section(rules_, [](const json::object& r) { return r; });
  }
  json::object resources;
  for (const auto& id : resource_order_) {
    resources[id] = resourceJson(resources_.at(id));
  }
  out["Resources"] = std::move(resources);
  if (!outputs_.empty()) {
    out["Outputs"] = section(outputs_, outputJson);
  }
  return out;
}

}  // namespace oh::infra::cfn
