// Drives readRequestHead() (the server's own head path) and then the body parser and the
// upstream header rewrite over arbitrary bytes, and checks the invariants that make smuggling
// impossible: whatever is accepted has an origin-form target, one Host, and one framing.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string_view>

#include "common/text.h"
#include "http/header_policy.h"
#include "http/request_policy.h"
#include "http/request_reader.h"

namespace {

namespace http = boost::beast::http;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

oh::gateway::LimitSettings limits() {
  oh::gateway::LimitSettings l;
  l.max_header_bytes = 4096;
  l.max_header_count = 32;
  l.max_body_bytes = 1 << 16;
  l.body_rules = {{"/api/", 256}};
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const oh::gateway::LimitSettings kLimits = limits();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Several pipelined requests may share one input, as on a keep-alive connection.
  for (int request = 0; request < 4 && !input.empty(); ++request) {
    oh::gateway::RequestParser parser;
    const auto outcome = oh::gateway::readRequestHead(input, kLimits, parser);
    if (outcome.kind != oh::gateway::HeadOutcome::Kind::ready) {
      return 0;
    }
    require(outcome.consumed <= input.size());
    auto& message = parser.get();
    require(!message.target().empty() && message.target().front() == '/');
    require(message.count(http::field::host) == 1);
    require(!(message.count(http::field::content_length) > 0 && message.count(http::field::transfer_encoding) > 0));
    input.remove_prefix(outcome.consumed);

    char buffer[512];
    boost::beast::error_code ec;
    std::uint64_t body_bytes = 0;
    while (!parser.is_done() && !input.empty()) {
      message.body().data = buffer;
      message.body().size = sizeof buffer;
      const auto used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      input.remove_prefix(used);
      body_bytes += sizeof buffer - message.body().size;
      if (ec == http::error::need_buffer) {
        ec = {};
        continue;
      }
      if (ec || used == 0) {
        break;
      }
    }
    require(body_bytes <= outcome.body_limit);
    if (ec || !parser.is_done()) {
      return 0;
    }
    oh::gateway::ForwardContext context;
    context.client_ip = "192.0.2.1";
    context.peer_ip = "192.0.2.1";
    context.proto = "https";
    context.websocket = oh::gateway::isWebSocketUpgrade(message.base());
    context.strip_header = "X-Origin-Verify";
    static constexpr std::array<std::string_view, 2> kPrefixes{"x-cognito-", "x-auth-request-"};
    context.remove_header_prefixes = kPrefixes;
    const std::size_t fields_before = static_cast<std::size_t>(std::distance(message.begin(), message.end()));
    const std::size_t removed = oh::gateway::prepareUpstreamRequest(message.base(), context, false);
    require(removed <= fields_before);
    require(message.count(http::field::transfer_encoding) == 0);
    require(message.count("X-Origin-Verify") == 0);
    for (const auto& field : message) {
      for (std::string_view prefix : kPrefixes) {
        require(!oh::common::startsWithIgnoreCase(field.name_string(), prefix));
      }
    }
  }
  return 0;
}
