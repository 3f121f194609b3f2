#include "stacks/rules/rule.h"

#include <boost/json/object.hpp>

namespace oh::infra::rules::detail {

const boost::json::value* at(const boost::json::value& root, std::initializer_list<const char*> path) {
  const boost::json::value* current = &root;
  for (const char* key : path) {
    if (!current->is_object()) {
      return nullptr;
    }
    current = current->as_object().if_contains(key);
    if (current == nullptr) {
      return nullptr;
    }
  }
  return current;
}

bool isTrue(const boost::json::value* value) {
  return value != nullptr && ((value->is_bool() && value->as_bool()) || (value->is_string() && value->as_string() == "true"));
}

std::vector<const boost::json::value*> asList(const boost::json::value* value) {
  std::vector<const boost::json::value*> out;
  if (value == nullptr) {
    return out;
  }
  if (value->is_array()) {
    for (const auto& element : value->as_array()) {
      out.push_back(&element);
    }
  } else {
    out.push_back(value);
  }
  return out;
}

}  // namespace oh::infra::rules::detail
