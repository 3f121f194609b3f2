#pragma once
// Reading fields of untrusted JSON objects (Boost.JSON) without exceptions: a missing field and
// a field of the wrong type both read as absent.

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

namespace oh::common {

std::optional<std::string_view> stringAt(const boost::json::object& object, std::string_view key);
const boost::json::object* objectAt(const boost::json::object& object, std::string_view key);
const boost::json::array* arrayAt(const boost::json::object& object, std::string_view key);

}  // namespace oh::common
