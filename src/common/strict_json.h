#pragma once
// JSON from an untrusted peer, parsed stricter than boost::json::parse where a boundary needs
// it: a key repeated within one object is refused (Boost keeps the last one silently, so two
// readers of the same text could act on different values), as are invalid UTF-8, comments,
// trailing commas, and nesting deeper than the caller's structure can have.
//
//   auto body = common::parseStrictJson(text, 4);
//   if (!body) { reply400(body.error().reason); }   // "duplicate key \"image\"", ...

#include <cstddef>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/result.h"

namespace oh::common {

Result<boost::json::value> parseStrictJson(std::string_view text, std::size_t max_depth);

}  // namespace oh::common
