#include "http/header_policy.h"

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

namespace http = boost::beast::http;

ForwardContext context() {
  ForwardContext c;
  c.client_ip = "203.0.113.9";
  c.peer_ip = "10.0.0.2";
  c.proto = "http";
  c.strip_header = "X-Origin-Verify";
  return c;
}

// This test verifies every RFC 9110 7.6.1 hop-by-hop field and those Connection names go.
TEST(HeaderPolicyTest, HopByHopRemoved) {
  Fields f;
  f.set(http::field::connection, "keep-alive, X-Secret-Hop");
  f.set("X-Secret-Hop", "1");
  f.set(http::field::keep_alive, "timeout=5");
  f.set(http::field::proxy_connection, "keep-alive");
  f.set(http::field::te, "trailers");
  f.set(http::field::trailer, "X-T");
  f.set(http::field::transfer_encoding, "chunked");
  f.set(http::field::upgrade, "h2c");
  f.set(http::field::content_type, "text/plain");
  removeHopByHop(f, false);
  for (auto name : {"Connection", "X-Secret-Hop", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                    "Transfer-Encoding", "Upgrade"}) {
    EXPECT_EQ(f.count(name), 0u) << name;
  }
  EXPECT_EQ(f[http::field::content_type], "text/plain");
}

// This test verifies Connection cannot be used to strip Host or Content-Length.
TEST(HeaderPolicyTest, ConnectionCannotRemoveFraming) {
  Fields f;
  f.set(http::field::connection, "Host, Content-Length");
  f.set(http::field::host, "a.test");
  f.set(http::field::content_length, "3");
  removeHopByHop(f, false);
  EXPECT_EQ(f[http::field::host], "a.test");
  EXPECT_EQ(f[http::field::content_length], "3");
}

// This test verifies a WebSocket handshake keeps Upgrade and gets Connection: Upgrade back.
TEST(HeaderPolicyTest, WebSocketKeepsUpgrade) {
  Fields f;
  f.set(http::field::connection, "keep-alive, Upgrade");
  f.set(http::field::upgrade, "websocket");
  f.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  removeHopByHop(f, true);
  EXPECT_EQ(f[http::field::upgrade], "websocket");
  EXPECT_EQ(f[http::field::connection], "Upgrade");
  EXPECT_EQ(f[http::field::sec_websocket_key], "dGhlIHNhbXBsZSBub25jZQ==");
}

// This test verifies the X-Forwarded-* family and X-Real-IP, with Host preserved.
TEST(HeaderPolicyTest, ForwardedHeaders) {
  Fields f;
  f.set(http::field::host, "openhands.example.com");
  f.insert("X-Forwarded-For", "198.51.100.1");
  f.insert("X-Forwarded-For", "203.0.113.9");
  f.set("X-Forwarded-Proto", "https");
  prepareUpstreamRequest(f, context(), false);
  EXPECT_EQ(f["X-Forwarded-For"], "198.51.100.1, 203.0.113.9, 10.0.0.2");
  EXPECT_EQ(f.count("X-Forwarded-For"), 1u);
  EXPECT_EQ(f["X-Forwarded-Proto"], "http");  // an untrusted peer's claim is overwritten
  EXPECT_EQ(f["X-Forwarded-Host"], "openhands.example.com");
  EXPECT_EQ(f["X-Real-IP"], "203.0.113.9");
  EXPECT_EQ(f[http::field::host], "openhands.example.com");
}

// This test verifies a trusted peer's X-Forwarded-Proto (the ALB's "https") is kept.
TEST(HeaderPolicyTest, TrustedForwardedProtoKept) {
  Fields f;
  f.set(http::field::host, "h");
  f.set("X-Forwarded-Proto", "https");
  prepareUpstreamRequest(f, context(), true);
  EXPECT_EQ(f["X-Forwarded-Proto"], "https");
  Fields g;
  g.set(http::field::host, "h");
  prepareUpstreamRequest(g, context(), true);
  EXPECT_EQ(g["X-Forwarded-Proto"], "http");
}

// This test verifies the first X-Forwarded-For is the peer alone, and spoofed X-Real-IP is replaced.
TEST(HeaderPolicyTest, NoIncomingChain) {
  Fields f;
  f.set(http::field::host, "h");
  f.set("X-Real-IP", "1.1.1.1");
  prepareUpstreamRequest(f, context(), false);
  EXPECT_EQ(f["X-Forwarded-For"], "10.0.0.2");
  EXPECT_EQ(f["X-Real-IP"], "203.0.113.9");
}

// This test verifies the origin secret never reaches the app.
TEST(HeaderPolicyTest, OriginSecretStripped) {
  Fields f;
  f.set(http::field::host, "h");
  f.set("x-origin-verify", "s3cret-s3cret-s3cret");
  prepareUpstreamRequest(f, context(), false);
  EXPECT_EQ(f.count("X-Origin-Verify"), 0u);
}

// This test verifies HTML responses become uncacheable and lose Server.
TEST(HeaderPolicyTest, HtmlNoCache) {
  Fields f;
  f.set(http::field::content_type, "Text/HTML; charset=utf-8");
  f.set(http::field::cache_control, "max-age=3600");
  f.set(http::field::server, "uvicorn");
  prepareClientResponse(f, false);
  EXPECT_EQ(f[http::field::cache_control], "no-cache, no-store, must-revalidate");
  EXPECT_EQ(f[http::field::pragma], "no-cache");
  EXPECT_EQ(f[http::field::expires], "0");
  EXPECT_EQ(f.count(http::field::server), 0u);
}

// This test verifies non-HTML responses keep their caching headers.
TEST(HeaderPolicyTest, NonHtmlCachingUntouched) {
  Fields f;
  f.set(http::field::content_type, "application/javascript");
  f.set(http::field::cache_control, "max-age=3600");
  prepareClientResponse(f, false);
  EXPECT_EQ(f[http::field::cache_control], "max-age=3600");
  EXPECT_EQ(f.count(http::field::pragma), 0u);
  EXPECT_FALSE(isHtml("text/htmlx"));
  EXPECT_TRUE(isHtml(" text/html "));
}

// This test verifies a gate's edits: every identity header goes whatever its case or count
// (and only those are counted, not the origin secret nor the forwarding fields also removed),
// the Cookie header is replaced, then the gate's own headers are set (replacing spoofed ones).
TEST(HeaderPolicyTest, GateRequestEdits) {
  Fields f;
  f.insert("X-Cognito-User-Id", "spoofed");
  f.insert("x-cognito-user-id", "spoofed-again");
  f.insert("X-COGNITO-EMAIL", "evil@example.com");
  f.insert("X-Cognitive", "kept: prefix is x-cognito-");
  f.insert("X-Origin-Verify", "the CloudFront secret");
  f.insert("X-Real-IP", "198.51.100.1");
  f.insert("X-Forwarded-User", "spoofed");
  f.insert(http::field::cookie, "oh_session=abc; app=1");
  f.insert(http::field::cookie, "second=2");
  f.set(http::field::accept, "text/html");
  ForwardPlan plan;
  plan.remove_header_prefixes = {"x-cognito-", "x-origin-verify", "x-forwarded-user"};
  plan.cookie = "app=1";
  plan.set_headers = {{"X-Cognito-User-Id", "sub-1"}, {"X-Cognito-Email", "a@example.com"}};
  ForwardContext edits = context();
  edits.remove_header_prefixes = plan.remove_header_prefixes;
  EXPECT_EQ(prepareUpstreamRequest(f, edits, false), 4u) << "three spoofed identity headers and X-Forwarded-User";
  applyRequestEdits(f, plan);
  EXPECT_EQ(f.count("X-Cognito-User-Id"), 1u);
  EXPECT_EQ(f["X-Cognito-User-Id"], "sub-1");
  EXPECT_EQ(f["X-Cognito-Email"], "a@example.com");
  EXPECT_EQ(f.count("X-Cognito-Email"), 1u);
  EXPECT_EQ(f["X-Cognitive"], "kept: prefix is x-cognito-");
  EXPECT_EQ(f.count("X-Origin-Verify"), 0u);
  EXPECT_EQ(f.count("X-Forwarded-User"), 0u);
  EXPECT_EQ(f["X-Real-IP"], "203.0.113.9");
  EXPECT_EQ(f.count(http::field::cookie), 1u);
  EXPECT_EQ(f[http::field::cookie], "app=1");
  EXPECT_EQ(f[http::field::accept], "text/html");

  Fields plain;
  plain.insert("X-Cognito-User-Id", "kept without prefixes");
  EXPECT_EQ(prepareUpstreamRequest(plain, context(), false), 0u);
  EXPECT_EQ(plain["X-Cognito-User-Id"], "kept without prefixes");
}

// Issue 16: servers behind the gateway (CGI, WSGI, PHP and others) fold '-' and '_' in header
// names, so X_Cognito_User_Id reached such an app as the identity. Every spelling, any case,
// any mix of '_' and '-', is removed; names that merely resemble the prefix stay.
TEST(HeaderPolicyTest, IdentityHeaderSpellingsWithUnderscoresAreRemoved) {
  Fields f;
  for (const char* spoofed : {"X_Cognito_User_Id", "x_cognito-email", "X-COGNITO_EMAIL-VERIFIED", "x_COGNITO_x",
                              "X-Cognito_User_Id"}) {
    f.insert(spoofed, "spoofed");
  }
  f.insert("X_Cognitive", "kept");
  f.insert("XCognito_User", "kept");
  ForwardPlan plan;
  plan.remove_header_prefixes = {"x-cognito-"};
  ForwardContext edits = context();
  edits.remove_header_prefixes = plan.remove_header_prefixes;
  EXPECT_EQ(prepareUpstreamRequest(f, edits, false), 5u);
  for (const auto& field : f) {
    EXPECT_EQ(std::string(field.value()).find("spoofed"), std::string::npos) << field.name_string();
  }
  EXPECT_EQ(f["X_Cognitive"], "kept");
  EXPECT_EQ(f["XCognito_User"], "kept");
}

// This test verifies an empty replacement removes every Cookie header and nullopt keeps them.
TEST(HeaderPolicyTest, GateCookieRemovedOrKept) {
  Fields removed;
  removed.insert(http::field::cookie, "a=1");
  removed.insert(http::field::cookie, "b=2");
  ForwardPlan strip;
  strip.cookie = "";
  applyRequestEdits(removed, strip);
  EXPECT_EQ(removed.count(http::field::cookie), 0u);

  Fields kept;
  kept.insert(http::field::cookie, "a=1");
  applyRequestEdits(kept, ForwardPlan{});
  EXPECT_EQ(kept[http::field::cookie], "a=1");
}

// This test verifies renewed cookies are added next to the upstream's own Set-Cookie fields.
TEST(HeaderPolicyTest, GateResponseCookiesAdded) {
  Fields f;
  f.insert(http::field::set_cookie, "app=1");
  ForwardPlan plan;
  plan.add_response_cookies = {"oh_session=new; Path=/; HttpOnly", "oh_other=x"};
  addResponseCookies(f, plan);
  EXPECT_EQ(f.count(http::field::set_cookie), 3u);
}

}  // namespace
}  // namespace oh::gateway
