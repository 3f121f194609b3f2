// The stand-in's parsers at its boundaries: request heads and queries from hostile clients,
// URLs and proxy rules for its outgoing calls, identifiers, and OpenHands' rate limit with the
// client address uvicorn would give it.

#include <gtest/gtest.h>

#include "http_client.h"
#include "http_message.h"
#include "identifiers.h"
#include "rate_limiter.h"

namespace oh::appserver_standin {
namespace {

TEST(StandinHttp, ParsesARequestHead) {
  const auto parsed = parseRequestHead(
      "GET /api/v1/app-conversations?ids=a%2Db&ids=c+d&flag HTTP/1.1\r\nHost: x\r\nX-Session-API-Key: k\r\n"
      "Accept: a\r\naccept: b");
  ASSERT_TRUE(parsed.request) << parsed.reason;
  const Request& request = *parsed.request;
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/api/v1/app-conversations");
  EXPECT_EQ(request.queryValues("ids"), (std::vector<std::string>{"a-b", "c d"}));
  EXPECT_EQ(request.queryValue("flag"), "");
  EXPECT_EQ(request.header("x-session-api-key"), "k");
  EXPECT_EQ(request.header("accept"), "a, b");
  EXPECT_TRUE(request.keep_alive);
  EXPECT_EQ(parsed.content_length, 0u);
}

TEST(StandinHttp, RefusesMalformedAndHostileHeads) {
  const std::pair<std::string, int> cases[] = {
      {"", 400},
      {"GET", 400},
      {"GET /", 400},
      {"GET / HTTP/1.1 extra", 400},
      {"GET / HTTP/2.0", 400},
      {"G(T / HTTP/1.1", 400},
      {"GET http://evil/ HTTP/1.1", 400},
      {"GET /a\x01 HTTP/1.1", 400},
      {"GET /%zz HTTP/1.1", 400},
      {"GET /?a=%4 HTTP/1.1", 400},
      {"GET / HTTP/1.1\r\nNoColon", 400},
      {"GET / HTTP/1.1\r\n: empty name", 400},
      {"GET / HTTP/1.1\r\nBad Name: x", 400},
      {"GET / HTTP/1.1\r\nX: a\x01z", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1x", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked", 501},
      {"POST / HTTP/1.1\r\nContent-Length: 1048577", 413},
      {"GET / HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes, 'a'), 431},
  };
  for (const auto& [head, status] : cases) {
    const auto parsed = parseRequestHead(head);
    EXPECT_FALSE(parsed.request) << head.substr(0, 60);
    EXPECT_EQ(parsed.refusal, status) << head.substr(0, 60);
  }
  // The largest body accepted, and Connection: close honoured.
  const auto largest = parseRequestHead("POST / HTTP/1.1\r\nContent-Length: 1048576\r\nConnection: close");
  ASSERT_TRUE(largest.request);
  EXPECT_EQ(largest.content_length, kMaxBodyBytes);
  EXPECT_FALSE(largest.request->keep_alive);
  EXPECT_FALSE(parseRequestHead("GET / HTTP/1.0").request->keep_alive);
}

TEST(StandinHttp, ParsesUrls) {
  auto url = parseUrl("http://60000-abc.runtime.oh.test/api?x=1#frag");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "60000-abc.runtime.oh.test");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/api?x=1");
  url = parseUrl("HTTPS://[::1]:8443");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(parseUrl("http://h?q")->target, "/?q");
  for (const char* bad : {"", "h:1", "ftp://h/", "http://", "http://u:p@h/", "http://h:0/", "http://h:65536/",
                          "http://h:1x/", "http://[::1/", "http://h/a b", "http://h\r\nX: y/"}) {
    EXPECT_FALSE(parseUrl(bad)) << bad;
  }
}

TEST(StandinHttp, ProxyRulesFollowHttpx) {
  EXPECT_FALSE(useProxyFor(proxySettingsFrom({}), "a"));
  const auto proxy = proxySettingsFrom({{"http_proxy", "127.0.0.1:3128"}, {"NO_PROXY", "127.0.0.1, .internal,Example.COM"}});
  ASSERT_TRUE(proxy.http_proxy);
  EXPECT_EQ(proxy.http_proxy->port, 3128);
  EXPECT_TRUE(useProxyFor(proxy, "60000-x.runtime.oh.test"));
  EXPECT_FALSE(useProxyFor(proxy, "127.0.0.1"));
  EXPECT_FALSE(useProxyFor(proxy, "api.internal"));
  EXPECT_FALSE(useProxyFor(proxy, "internal"));
  EXPECT_FALSE(useProxyFor(proxy, "a.example.com"));
  EXPECT_TRUE(useProxyFor(proxy, "notexample.com"));
  EXPECT_FALSE(useProxyFor(proxySettingsFrom({{"ALL_PROXY", "http://p:1"}, {"no_proxy", "*"}}), "a"));
}

TEST(StandinHttp, UnreachablePeersAndHttpsAreErrorsNotCrashes) {
  HttpCall call;
  call.url = "http://127.0.0.1:1/alive";
  call.timeout = std::chrono::seconds(2);
  auto reply = sendHttp(call, {});
  EXPECT_EQ(reply.status, 0);
  EXPECT_FALSE(reply.error.empty());
  call.url = "https://127.0.0.1:1/";
  reply = sendHttp(call, {});
  EXPECT_EQ(reply.status, 0);
  EXPECT_NE(reply.error.find("https"), std::string::npos);
  call.url = "http://name.invalid/";
  EXPECT_EQ(sendHttp(call, {}).status, 0);
}

TEST(StandinIdentifiers, UuidsAsPythonReadsThem) {
  const std::string hex = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(parseUuidHex(hex), hex);
  EXPECT_EQ(parseUuidHex("01234567-89AB-CDEF-0123-456789ABCDEF"), hex);
  EXPECT_EQ(parseUuidHex("{01234567-89ab-cdef-0123-456789abcdef}"), hex);
  EXPECT_EQ(parseUuidHex("urn:uuid:01234567-89ab-cdef-0123-456789abcdef"), hex);
  for (const char* bad : {"", "0123", "0123456789abcdef0123456789abcdeg", "0123456789abcdef0123456789abcdef0",
                          "../../etc/passwd"}) {
    EXPECT_FALSE(parseUuidHex(bad)) << bad;
  }
  EXPECT_EQ(dashedUuid(hex), "01234567-89ab-cdef-0123-456789abcdef");
  const std::string fresh = newUuidHex();
  EXPECT_EQ(fresh.size(), 32u);
  EXPECT_EQ(fresh[12], '4');
  EXPECT_NE(fresh, newUuidHex());
}

TEST(StandinIdentifiers, Base62AsPybase62) {
  EXPECT_EQ(base62Encode(std::string(1, '\0')), "0");
  EXPECT_EQ(base62Encode("\x3d"), "z");         // 61
  EXPECT_EQ(base62Encode("\x3e"), "10");        // 62
  EXPECT_EQ(base62Encode(std::string("\x01\x00", 2)), "48");  // 256 = 4*62 + 8
  const std::string id = randomBase62(16);
  EXPECT_GE(id.size(), 1u);
  EXPECT_LE(id.size(), 22u);
  for (char c : id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
}

TEST(StandinRateLimit, TenAllowedTenDelayedThenRefusedPerClient) {
  RateLimiter limiter;
  const auto start = RateLimiter::Clock::now();
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(limiter.check("10.0.0.1", start), RateLimiter::Decision::allow) << i;
  for (int i = 11; i <= 20; ++i) EXPECT_EQ(limiter.check("10.0.0.1", start), RateLimiter::Decision::delay) << i;
  EXPECT_EQ(limiter.check("10.0.0.1", start), RateLimiter::Decision::refuse);
  // Refused requests count too; another client is unaffected.
  EXPECT_EQ(limiter.check("10.0.0.1", start + std::chrono::milliseconds(999)), RateLimiter::Decision::refuse);
  EXPECT_EQ(limiter.check("10.0.0.2", start), RateLimiter::Decision::allow);
  // One second later the window is empty again.
  EXPECT_EQ(limiter.check("10.0.0.1", start + std::chrono::milliseconds(2000)), RateLimiter::Decision::allow);
  EXPECT_TRUE(RateLimiter::limited("/api/v1/settings"));
  EXPECT_FALSE(RateLimiter::limited("/assets/app.js"));
}

TEST(StandinRateLimit, ClientHostAsUvicornComputesIt) {
  const std::vector<std::string> loopback{"127.0.0.1"};
  // A gateway on a bridge address is not trusted: every request keys on the gateway.
  EXPECT_EQ(clientHost("10.88.0.1", std::string("203.0.113.9"), loopback), "10.88.0.1");
  EXPECT_EQ(clientHost("10.88.0.1", std::nullopt, loopback), "10.88.0.1");
  // From a trusted peer, the right-most untrusted X-Forwarded-For entry.
  EXPECT_EQ(clientHost("127.0.0.1", std::string("198.51.100.1, 203.0.113.9"), loopback), "203.0.113.9");
  EXPECT_EQ(clientHost("127.0.0.1", std::string("203.0.113.9, 127.0.0.1"), loopback), "203.0.113.9");
  EXPECT_EQ(clientHost("127.0.0.1", std::string("127.0.0.1"), loopback), "127.0.0.1");
  // FORWARDED_ALLOW_IPS="*": uvicorn takes the left-most entry.
  EXPECT_EQ(clientHost("10.88.0.1", std::string("a, b"), {"*"}), "a");
  // "*" inside a list is a literal, not "everyone".
  EXPECT_EQ(clientHost("10.88.0.1", std::string("203.0.113.9"), {"10.89.0.1", "*"}), "10.88.0.1");
  // The pool's setting: exactly the gateway's address on the user's network.
  const std::vector<std::string> gateway{"10.89.0.1"};
  EXPECT_EQ(clientHost("10.89.0.1", std::string("203.0.113.9"), gateway), "203.0.113.9");
  EXPECT_EQ(clientHost("10.89.0.2", std::string("203.0.113.9"), gateway), "10.89.0.2");  // a sandbox: not believed
  // A client's own entries left of the gateway's are never reached: the right-most untrusted wins.
  EXPECT_EQ(clientHost("10.89.0.1", std::string("198.51.100.7, 203.0.113.9"), gateway), "203.0.113.9");
  // An empty right-most entry leaves the peer (uvicorn issue 1068), as does an empty header.
  EXPECT_EQ(clientHost("10.89.0.1", std::string("203.0.113.9, "), gateway), "10.89.0.1");
  EXPECT_EQ(clientHost("10.89.0.1", std::string(""), gateway), "10.89.0.1");
  // Addresses compare as addresses, as ipaddress objects do.
  EXPECT_EQ(clientHost("::1", std::string("2001:db8::7"), {"0:0::1"}), "2001:db8::7");
}

}  // namespace
}  // namespace oh::appserver_standin
