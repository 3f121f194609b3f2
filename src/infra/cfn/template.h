#pragma once
// A small typed model of a CloudFormation template. Logical IDs are explicit and stable (never
// hashed from construct paths), and serialization is deterministic: every section keeps the
// order in which the stack added its entries, so the same input gives the same bytes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace oh::infra::cfn {

enum class DeletionPolicy { Delete, Retain, Snapshot, RetainExceptOnCreate };

struct Resource {
  std::string type;                       // e.g. "AWS::S3::Bucket"
  boost::json::object properties;
  std::vector<std::string> depends_on;    // logical IDs
  std::optional<DeletionPolicy> deletion_policy;
  std::optional<DeletionPolicy> update_replace_policy;
  std::optional<std::string> condition;
  boost::json::object metadata;
  boost::json::object update_policy;      // e.g. AutoScalingRollingUpdate
  boost::json::object creation_policy;
};

struct Output {
  boost::json::value value;
  std::string description;
  std::optional<boost::json::value> export_name;
  std::optional<std::string> condition;
};

struct Parameter {
  std::string type;                        // "String", "AWS::SSM::Parameter::Value<String>", ...
  std::optional<boost::json::value> default_value;
  std::string description;
  std::vector<std::string> allowed_values;
  bool no_echo = false;
};

class Template {
public:
  void setDescription(std::string description);

  // Adds a resource; throws std::logic_error if the logical ID exists or is not alphanumeric
  // (a programming error in a stack definition, caught by the tests, never user input).
  Resource& addResource(const std::string& logical_id, std::string type, boost::json::object properties = {});
  void addOutput(const std::string& logical_id, Output output);
  void addParameter(const std::string& logical_id, Parameter parameter);
  void addCondition(const std::string& logical_id, boost::json::value expression);
  void addMapping(const std::string& logical_id, boost::json::object mapping);
  void addRule(const std::string& logical_id, boost::json::object rule);

  bool hasResource(const std::string& logical_id) const;
  const Resource& resource(const std::string& logical_id) const;  // throws std::out_of_range
  const std::vector<std::string>& resourceOrder() const { return resource_order_; }

  // The template document: AWSTemplateFormatVersion, Description, Parameters, Mappings,
  // Conditions, Rules, Resources, Outputs (sections omitted when empty).
  boost::json::object toJson() const;

private:
  std::string description_;
  std::vector<std::string> resource_order_;
  std::map<std::string, Resource> resources_;
  std::vector<std::pair<std::string, Output>> outputs_;
  std::vector<std::pair<std::string, Parameter>> parameters_;
  std::vector<std::pair<std::string, boost::json::value>> conditions_;
  std::vector<std::pair<std::string, boost::json::object>> mappings_;
  std::vector<std::pair<std::string, boost::json::object>> rules_;
};

}  // namespace oh::infra::cfn
