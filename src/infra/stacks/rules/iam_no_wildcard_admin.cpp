#include "stacks/rules/rule.h"

#include <boost/json/object.hpp>

namespace oh::infra::rules {

namespace {

bool containsStar(const boost::json::value* value) {
  for (const auto* item : detail::asList(value)) {
    if (item->is_string() && item->as_string() == "*") {
      return true;
    }
  }
  return false;
}

// Visits every policy statement anywhere in the properties: identity policies, trust
// policies, bucket, topic and file system policies alike.
void visitStatements(const boost::json::value& node, bool& found, bool& admin) {
  if (node.is_array()) {
    for (const auto& element : node.as_array()) {
      visitStatements(element, found, admin);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  const auto& object = node.as_object();
  if (const auto* statements = object.if_contains("Statement")) {
    for (const auto* statement : detail::asList(statements)) {
      found = true;
      const auto* effect = detail::at(*statement, {"Effect"});
      const bool allow = effect != nullptr && effect->is_string() && effect->as_string() == "Allow";
      if (allow && containsStar(detail::at(*statement, {"Action"})) && containsStar(detail::at(*statement, {"Resource"}))) {
        admin = true;
      }
    }
  }
  for (const auto& [key, value] : object) {
    visitStatements(value, found, admin);
  }
}

}  // namespace

Compliance iamNoWildcardAdmin(const cfn::Resource& resource) {
  bool found = false;
  bool admin = false;
  visitStatements(boost::json::value(resource.properties), found, admin);
  if (!found) {
    return Compliance::NotApplicable;
  }
  return admin ? Compliance::NonCompliant : Compliance::Compliant;
}

}  // namespace oh::infra::rules
