#pragma once
// The one path every request head takes, in the server and in the fuzz target alike:
// raw byte checks (request_head.h) -> Beast's parser -> head checks (request_policy.h) ->
// the route's body limit. The parser is left positioned at the start of the body.

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "config/settings.h"
#include "http/fields.h"
#include "http/gateway_error.h"

namespace oh::gateway {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body, FieldAllocator>;

struct HeadOutcome {
  enum class Kind { need_more, ready, reject };
  Kind kind = Kind::need_more;
  std::size_t consumed = 0;            // ready: bytes of `buffered` that formed the head
  GatewayError error = GatewayError::bad_request;  // reject only
  std::string_view reason;             // reject: static text for the log
  std::uint64_t body_limit = 0;        // ready: the limit applied to this request's body
};

// `parser` must be freshly constructed. On `ready`, parser.get() holds the head and the body
// limit is installed (a chunked body over it fails with http::error::body_limit mid-stream).
HeadOutcome readRequestHead(std::string_view buffered, const LimitSettings& limits, RequestParser& parser);

}  // namespace oh::gateway
