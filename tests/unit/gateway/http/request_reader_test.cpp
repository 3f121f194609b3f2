// Feeds raw request bytes through readRequestHead(), the exact path the server uses, without sockets.
#include "http/request_reader.h"

#include <string>

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

using namespace std::string_literals;

LimitSettings limits() {
  LimitSettings l;
  l.max_header_bytes = 2048;
  l.max_header_count = 20;
  l.max_body_bytes = 1000;
  l.body_rules = {{"/small", 10}};
  return l;
}

HeadOutcome read(std::string_view bytes, RequestParser& parser) {
  return readRequestHead(bytes, limits(), parser);
}

HeadOutcome read(std::string_view bytes) {
  RequestParser parser;
  return read(bytes, parser);
}

// This test verifies a clean request is ready, with the head consumed and the body left.
TEST(RequestReaderTest, CleanRequest) {
  RequestParser parser;
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  const auto outcome = read(head + "hello", parser);
  ASSERT_EQ(outcome.kind, HeadOutcome::Kind::ready);
  EXPECT_EQ(outcome.consumed, head.size());
  EXPECT_EQ(outcome.body_limit, 1000u);
  EXPECT_EQ(parser.get().target(), "/x");
  EXPECT_FALSE(parser.is_done());
}

// This test verifies a head larger than Beast's 8 KiB default parses when the setting allows.
TEST(RequestReaderTest, HeaderLimitFromSettings) {
  LimitSettings l = limits();
  l.max_header_bytes = 32 * 1024;
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'v') + "\r\n\r\n";
  RequestParser parser;
  EXPECT_EQ(readRequestHead(head, l, parser).kind, HeadOutcome::Kind::ready);
}

struct HostileCase {
  const char* name;
  std::string bytes;
  GatewayError expected;
};

// This test verifies each hostile request of the issue is refused with 400 or 431 (or 413).
TEST(RequestReaderTest, HostileRequestsRefused) {
  std::string many_headers = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 50; ++i) {
    many_headers += "X-" + std::to_string(i) + ": v\r\n";
  }
  const HostileCase cases[] = {
      {"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
       GatewayError::bad_request},
      {"TE and CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
       GatewayError::bad_request},
      {"TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", GatewayError::bad_request},
      {"TE obfuscated", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", GatewayError::bad_request},
      {"TE with space name", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
       GatewayError::bad_request},
      {"two CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
       GatewayError::bad_request},
      {"bad CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4x\r\n\r\n", GatewayError::bad_request},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", GatewayError::bad_request},
      {"NUL", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s, GatewayError::bad_request},
      {"bare CR", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", GatewayError::bad_request},
      {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", GatewayError::bad_request},
      {"absolute-form", "GET http://evil.test/ HTTP/1.1\r\nHost: a\r\n\r\n", GatewayError::bad_request},
      {"authority-form", "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test\r\n\r\n", GatewayError::bad_request},
      {"no Host", "GET / HTTP/1.1\r\n\r\n", GatewayError::bad_request},
      {"bad method", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", GatewayError::bad_request},
      {"bad version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", GatewayError::bad_request},
      {"space in name", "GET / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", GatewayError::bad_request},
      {"huge header count", many_headers + "\r\n", GatewayError::header_too_large},
      {"huge header", "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(4096, 'v') + "\r\n\r\n",
       GatewayError::header_too_large},
      {"CL over limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n",
       GatewayError::payload_too_large},
      {"CL over route limit", "POST /small/x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n",
       GatewayError::payload_too_large},
  };
  for (const auto& c : cases) {
    const auto outcome = read(c.bytes);
    EXPECT_EQ(outcome.kind, HeadOutcome::Kind::reject) << c.name;
    EXPECT_EQ(outcome.error, c.expected) << c.name;
    EXPECT_FALSE(outcome.reason.empty()) << c.name;
  }
}

// This test verifies a chunked body over the route limit fails mid-stream with body_limit.
TEST(RequestReaderTest, ChunkedBodyLimitMidStream) {
  RequestParser parser;
  const std::string head = "POST /small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n";
  const auto outcome = read(head + body, parser);
  ASSERT_EQ(outcome.kind, HeadOutcome::Kind::ready);
  EXPECT_EQ(outcome.body_limit, 10u);
  char buffer[64];
  parser.get().body().data = buffer;
  parser.get().body().size = sizeof buffer;
  boost::beast::error_code ec;
  std::string_view rest = body;
  while (!ec && !rest.empty() && !parser.is_done()) {
    const auto used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
  }
  EXPECT_EQ(ec, boost::beast::http::error::body_limit);
}

// This test verifies bad chunk sizes are parse errors (the server answers 400 and closes).
TEST(RequestReaderTest, BadChunkSize) {
  RequestParser parser;
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(read(head, parser).kind, HeadOutcome::Kind::ready);
  char buffer[64];
  parser.get().body().data = buffer;
  parser.get().body().size = sizeof buffer;
  boost::beast::error_code ec;
  const std::string body = "zz\r\nhello\r\n0\r\n\r\n";
  parser.put(boost::asio::buffer(body), ec);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, boost::beast::http::error::need_more);
}

// This test verifies an incomplete head asks for more bytes.
TEST(RequestReaderTest, NeedMore) {
  EXPECT_EQ(read("GET / HTTP/1.1\r\nHost: a\r\n").kind, HeadOutcome::Kind::need_more);
}

}  // namespace
}  // namespace oh::gateway
