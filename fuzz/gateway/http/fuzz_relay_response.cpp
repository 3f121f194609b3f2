// An app's response (the app is untrusted: a user's code in a sandbox) through the relay's
// response path: Beast's parser as the relay sets it up, the client response policy, the runtime
// response policy and the head writer. Checks what the client's own parser must see: the written
// head parses back with the same status and the same fields, in order, and a body re-framed in
// chunks of any size parses back byte for byte.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/header_policy.h"
#include "http/message_writer.h"
#include "runtime/runtime_response_fields.h"

namespace {

namespace http = boost::beast::http;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

oh::gateway::RuntimeResponsePolicy policy() {
  oh::gateway::RuntimeResponsePolicy p;
  p.frame_ancestor_hosts = {"openhands.example.com", "other.example.com"};
  p.upstream_origin = "https://openhands.example.com";
  p.client_origin = "https://other.example.com";
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const oh::gateway::RuntimeResponsePolicy kPolicy = policy();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte picks the size of the pieces the body is relayed in.
  if (input.empty()) {
    return 0;
  }
  const std::size_t piece = 1 + static_cast<unsigned char>(input.front()) % 64;
  input.remove_prefix(1);

  http::response_parser<http::buffer_body, oh::gateway::FieldAllocator> parser;
  parser.body_limit(boost::none);
  parser.header_limit(8 * 1024);
  boost::beast::error_code ec;
  std::vector<std::string> pieces;
  char buffer[64];
  while (!input.empty() && !parser.is_done()) {
    // Body bytes go to `buffer`, `piece` at a time, as the relay's go to its relay buffer.
    const bool offered = parser.is_header_done();
    if (offered) {
      parser.get().body().data = buffer;
      parser.get().body().size = piece;
    }
    const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    input.remove_prefix(used);
    if (offered) {
      const std::size_t filled = piece - parser.get().body().size;
      if (filled > 0) {
        pieces.emplace_back(buffer, filled);
      }
    }
    if (ec == http::error::need_buffer) {
      ec = {};
      continue;
    }
    if (ec || used == 0) {
      break;
    }
  }
  if (!ec && parser.is_header_done() && !parser.is_done() && input.empty()) {
    parser.put_eof(ec);  // the upstream closed: the end of a body delimited by the close
  }
  if (ec || !parser.is_done()) {
    return 0;  // the relay answers 502 before a head, or closes mid-body
  }
  auto& response = parser.get();
  const unsigned status = response.result_int();
  if (status < 200) {
    return 0;  // interim answers are dropped (101 only ever starts a WebSocket tunnel)
  }
  // The relay's framing rules (client_relay.cpp, sendClientResponseHead).
  const bool sized = parser.content_length().has_value();
  const bool chunked = status != 204 && status != 304 && !sized;
  oh::gateway::prepareClientResponse(response.base(), false);
  oh::gateway::applyRuntimeResponsePolicy(response.base(), kPolicy);
  if (chunked) {
    response.chunked(true);
  }
  std::string written;
  oh::gateway::appendResponseHead(written, response.base());
  oh::gateway::BodyFraming framing(chunked);
  std::string body;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto frame = framing.frame(pieces[i].size(), i + 1 == pieces.size());
    written.append(frame.prefix).append(pieces[i]).append(frame.suffix);
    body += pieces[i];
  }
  if (pieces.empty()) {
    written.append(framing.frame(0, true).suffix);
  }

  http::response_parser<http::string_body> reread;
  reread.eager(true);
  reread.header_limit(64 * 1024);
  reread.body_limit(boost::none);
  std::string_view rest(written);
  while (!rest.empty() && !reread.is_done()) {
    const std::size_t used = reread.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    require(!ec && used > 0);
    rest.remove_prefix(used);
  }
  require(rest.empty());
  require(reread.is_done());
  const auto& back = reread.get();
  require(back.result_int() == status);
  require(back.body() == body);
  auto original = response.base().begin();
  for (const auto& field : back.base()) {
    require(original != response.base().end());
    require(field.name_string() == original->name_string());
    require(field.value() == original->value());
    ++original;
  }
  require(original == response.base().end());
  require(back.count(http::field::server) == 0);
  return 0;
}
