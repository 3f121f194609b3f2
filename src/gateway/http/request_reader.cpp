#include "http/request_reader.h"

#include <limits>

#include <boost/asio/buffer.hpp>

#include "http/request_head.h"
#include "http/request_policy.h"

namespace oh::gateway {

HeadOutcome readRequestHead(std::string_view buffered, const LimitSettings& limits, RequestParser& parser) {
  HeadOutcome outcome;
  const HeadScan scan = scanRequestHead(buffered, limits.max_header_bytes, limits.max_header_count);
  switch (scan.state) {
  case HeadState::incomplete:
    outcome.kind = HeadOutcome::Kind::need_more;
    return outcome;
  case HeadState::too_large:
  case HeadState::too_many:
    outcome.kind = HeadOutcome::Kind::reject;
    outcome.error = GatewayError::header_too_large;
    outcome.reason = scan.reason;
    return outcome;
  case HeadState::malformed:
    outcome.kind = HeadOutcome::Kind::reject;
    outcome.error = GatewayError::bad_request;
    outcome.reason = scan.reason;
    return outcome;
  case HeadState::complete:
    break;
  }

  // The scan already bounded the head; Beast's own default (8 KiB) must not undercut it.
  constexpr std::size_t kMaxParserLimit = std::numeric_limits<std::uint32_t>::max();
  parser.header_limit(static_cast<std::uint32_t>(std::min(scan.head_bytes, kMaxParserLimit)));
  // The per-route limit is installed once the target is known; Content-Length is checked below.
  parser.body_limit(boost::none);
  parser.eager(false);

  const std::string_view head = buffered.substr(scan.leading_blank_bytes, scan.head_bytes);
  boost::beast::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec || !parser.is_header_done() || used != head.size()) {
    outcome.kind = HeadOutcome::Kind::reject;
    outcome.error = GatewayError::bad_request;
    outcome.reason = "request head rejected by the HTTP parser";
    return outcome;
  }
  if (const auto rejection = checkRequestHead(parser.get().base())) {
    outcome.kind = HeadOutcome::Kind::reject;
    outcome.error = GatewayError::bad_request;
    outcome.reason = rejection->reason;
    return outcome;
  }
  const std::uint64_t limit = bodyLimitFor(targetPath(parser.get().target()), limits);
  if (const auto length = parser.content_length(); length && *length > limit) {
    outcome.kind = HeadOutcome::Kind::reject;
    outcome.error = GatewayError::payload_too_large;
    outcome.reason = "Content-Length over the route's body limit";
    return outcome;
  }
  parser.body_limit(limit);
  outcome.kind = HeadOutcome::Kind::ready;
  outcome.consumed = scan.leading_blank_bytes + scan.head_bytes;
  outcome.body_limit = limit;
  return outcome;
}

}  // namespace oh::gateway
