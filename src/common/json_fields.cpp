#include "common/json_fields.h"

#include <boost/json/value.hpp>

namespace oh::common {

std::optional<std::string_view> stringAt(const boost::json::object& object, std::string_view key) {
  const boost::json::value* v = object.if_contains(key);
  const boost::json::string* s = v == nullptr ? nullptr : v->if_string();
  if (s == nullptr) {
    return std::nullopt;
  }
  return std::string_view(s->data(), s->size());
}

const boost::json::object* objectAt(const boost::json::object& object, std::string_view key) {
  const boost::json::value* v = object.if_contains(key);
  return v == nullptr ? nullptr : v->if_object();
}

const boost::json::array* arrayAt(const boost::json::object& object, std::string_view key) {
  const boost::json::value* v = object.if_contains(key);
  return v == nullptr ? nullptr : v->if_array();
}

}  // namespace oh::common
