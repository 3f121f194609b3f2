#include "http/request_policy.h"

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

namespace http = boost::beast::http;

RequestHeader head(http::verb method, std::string_view target, unsigned version = 11) {
  RequestHeader h;
  h.method(method);
  h.target(target);
  h.version(version);
  h.set(http::field::host, "example.test");
  return h;
}

// This test verifies an ordinary request passes.
TEST(RequestPolicyTest, OrdinaryRequestPasses) {
  EXPECT_FALSE(checkRequestHead(head(http::verb::get, "/api/conversations?x=1")));
  auto post = head(http::verb::post, "/upload");
  post.set(http::field::content_length, "12");
  EXPECT_FALSE(checkRequestHead(post));
  auto chunked = head(http::verb::post, "/upload");
  chunked.set(http::field::transfer_encoding, "chunked");
  EXPECT_FALSE(checkRequestHead(chunked));
}

// This test verifies absolute-form, authority-form, asterisk-form and "//" targets are refused.
TEST(RequestPolicyTest, NonOriginFormTargetsRefused) {
  EXPECT_TRUE(checkRequestHead(head(http::verb::get, "http://evil.test/")));
  EXPECT_TRUE(checkRequestHead(head(http::verb::connect, "evil.test:443")));
  EXPECT_TRUE(checkRequestHead(head(http::verb::connect, "/")));
  EXPECT_TRUE(checkRequestHead(head(http::verb::options, "*")));
  EXPECT_TRUE(checkRequestHead(head(http::verb::get, "//evil.test/x")));
}

// This test verifies Host must be present exactly once and not empty.
TEST(RequestPolicyTest, HostRules) {
  auto none = head(http::verb::get, "/");
  none.erase(http::field::host);
  EXPECT_TRUE(checkRequestHead(none));
  auto two = head(http::verb::get, "/");
  two.insert(http::field::host, "other.test");
  EXPECT_TRUE(checkRequestHead(two));
  auto empty = head(http::verb::get, "/");
  empty.set(http::field::host, "  ");
  EXPECT_TRUE(checkRequestHead(empty));
}

// This test verifies every ambiguous framing is refused (request smuggling).
TEST(RequestPolicyTest, AmbiguousFramingRefused) {
  auto both = head(http::verb::post, "/");
  both.set(http::field::transfer_encoding, "chunked");
  both.set(http::field::content_length, "5");
  EXPECT_TRUE(checkRequestHead(both));

  auto gzip = head(http::verb::post, "/");
  gzip.set(http::field::transfer_encoding, "gzip, chunked");
  EXPECT_TRUE(checkRequestHead(gzip));

  auto twice = head(http::verb::post, "/");
  twice.insert(http::field::transfer_encoding, "chunked");
  twice.insert(http::field::transfer_encoding, "chunked");
  EXPECT_TRUE(checkRequestHead(twice));

  auto lengths = head(http::verb::post, "/");
  lengths.insert(http::field::content_length, "5");
  lengths.insert(http::field::content_length, "5");
  EXPECT_TRUE(checkRequestHead(lengths));

  auto signed_length = head(http::verb::post, "/");
  signed_length.set(http::field::content_length, "+5");
  EXPECT_TRUE(checkRequestHead(signed_length));

  auto http10 = head(http::verb::post, "/", 10);
  http10.set(http::field::transfer_encoding, "chunked");
  EXPECT_TRUE(checkRequestHead(http10));
}

// This test verifies only HTTP/1.0 and 1.1 are accepted.
TEST(RequestPolicyTest, Versions) {
  EXPECT_FALSE(checkRequestHead(head(http::verb::get, "/", 10)));
  EXPECT_TRUE(checkRequestHead(head(http::verb::get, "/", 9)));
  EXPECT_TRUE(checkRequestHead(head(http::verb::get, "/", 20)));
}

// This test verifies the longest matching body rule wins, else the global limit.
TEST(RequestPolicyTest, BodyLimitLongestPrefix) {
  LimitSettings limits;
  limits.max_body_bytes = 1000;
  limits.body_rules = {{"/api/", 100}, {"/api/upload", 5000}, {"/x", 0}};
  EXPECT_EQ(bodyLimitFor("/", limits), 1000u);
  EXPECT_EQ(bodyLimitFor("/api/conversations", limits), 100u);
  EXPECT_EQ(bodyLimitFor("/api/upload/files", limits), 5000u);
  EXPECT_EQ(bodyLimitFor("/x", limits), 0u);
  EXPECT_EQ(bodyLimitFor("/ap", limits), 1000u);
}

// This test verifies the path is cut at the query.
TEST(RequestPolicyTest, TargetPath) {
  EXPECT_EQ(targetPath("/a/b?c=d?e"), "/a/b");
  EXPECT_EQ(targetPath("/a"), "/a");
}

// This test verifies WebSocket upgrade detection (tokens, case, method).
TEST(RequestPolicyTest, WebSocketUpgrade) {
  auto ws = head(http::verb::get, "/socket.io/?EIO=4&transport=websocket");
  ws.set(http::field::connection, "keep-alive, Upgrade");
  ws.set(http::field::upgrade, "WebSocket");
  EXPECT_TRUE(isWebSocketUpgrade(ws));
  auto post = ws;
  post.method(http::verb::post);
  EXPECT_FALSE(isWebSocketUpgrade(post));
  auto h2c = ws;
  h2c.set(http::field::upgrade, "h2c");
  EXPECT_FALSE(isWebSocketUpgrade(h2c));
  auto no_connection = ws;
  no_connection.erase(http::field::connection);
  EXPECT_FALSE(isWebSocketUpgrade(no_connection));
}

// This test verifies the gateway's own path prefix is matched exactly.
TEST(RequestPolicyTest, GatewayPaths) {
  EXPECT_TRUE(isGatewayPath("/_gateway/health"));
  EXPECT_TRUE(isGatewayPath("/_gateway"));
  EXPECT_FALSE(isGatewayPath("/_gatewayx"));
  EXPECT_FALSE(isGatewayPath("/api/_gateway/health"));
}

// This test verifies token matching in comma lists.
TEST(RequestPolicyTest, HeaderTokens) {
  EXPECT_TRUE(headerHasToken("a, B ,c", "b"));
  EXPECT_FALSE(headerHasToken("ab, c", "b"));
  EXPECT_FALSE(headerHasToken("", "b"));
}

}  // namespace
}  // namespace oh::gateway
