#include "outbound/outbound_url.h"

#include <gtest/gtest.h>

namespace oh::gateway::outbound {
namespace {

OutboundUrl parseOk(std::string_view url, bool allow_loopback_http = false) {
  auto result = parseOutboundUrl(url, allow_loopback_http);
  if (auto* reason = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << url << " refused: " << *reason;
    return {};
  }
  return std::get<OutboundUrl>(result);
}

std::string refusal(std::string_view url, bool allow_loopback_http = false) {
  auto result = parseOutboundUrl(url, allow_loopback_http);
  if (std::holds_alternative<OutboundUrl>(result)) {
    ADD_FAILURE() << url << " accepted";
    return {};
  }
  return std::get<std::string>(result);
}

// This test verifies the defaults of an https URL without port or path.
TEST(OutboundUrlTest, HttpsDefaults) {
  const OutboundUrl url = parseOk("https://IdP.Example.com");
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "idp.example.com");
  EXPECT_FALSE(url.host_is_ip);
  EXPECT_EQ(url.port, 443);
  EXPECT_EQ(url.target, "/");
  EXPECT_EQ(url.host_header, "idp.example.com");
}

// This test verifies that the port, path and query are kept and the fragment dropped.
TEST(OutboundUrlTest, PortPathQueryAndFragment) {
  const OutboundUrl url = parseOk("https://idp.example.com:8443/realms/a%20b/protocol?x=1&y=%2F#frag");
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.target, "/realms/a%20b/protocol?x=1&y=%2F");
  EXPECT_EQ(url.host_header, "idp.example.com:8443");
}

// This test verifies that an explicit default port is left out of the Host field.
TEST(OutboundUrlTest, ExplicitDefaultPortNotInHostHeader) {
  EXPECT_EQ(parseOk("https://idp.example.com:443/x").host_header, "idp.example.com");
}

// This test verifies IP literals: flagged for IP SAN checking, IPv6 bracketed in Host only.
TEST(OutboundUrlTest, IpLiterals) {
  const OutboundUrl v4 = parseOk("https://192.0.2.7:9000/jwks");
  EXPECT_TRUE(v4.host_is_ip);
  EXPECT_EQ(v4.host, "192.0.2.7");
  EXPECT_EQ(v4.host_header, "192.0.2.7:9000");
  const OutboundUrl v6 = parseOk("https://[2001:db8::1]/jwks");
  EXPECT_TRUE(v6.host_is_ip);
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.host_header, "[2001:db8::1]");
}

// This test verifies that plain http is refused unless allowed, and then only to loopback.
TEST(OutboundUrlTest, PlainHttpOnlyToLoopbackWhenAllowed) {
  EXPECT_NE(refusal("http://127.0.0.1:8080/").find("https required"), std::string::npos);
  EXPECT_FALSE(parseOk("http://127.0.0.1:8080/", true).tls);
  EXPECT_EQ(parseOk("http://127.0.0.1:8080/", true).port, 8080);
  EXPECT_EQ(parseOk("http://127.9.9.9/", true).port, 80);
  EXPECT_EQ(parseOk("http://[::1]:81/", true).host_header, "[::1]:81");
  EXPECT_EQ(parseOk("http://LOCALHOST:81/", true).host, "localhost");
  EXPECT_EQ(parseOk("http://idp.localhost:81/", true).host, "idp.localhost");
  for (const char* url : {"http://10.0.0.1/", "http://192.0.2.1/", "http://example.com/",
                          "http://localhost.evil.example/",
                          "http://[2001:db8::1]/", "http://127.1/", "http://0x7f000001/",
                          "http://[::ffff:10.0.0.1]/"}) {
    EXPECT_NE(refusal(url, true).find("https required"), std::string::npos) << url;
  }
}

// This test verifies that a host that starts like an IPv4 address is refused whole. Boost.URL
// 1.81 reads "127.0.0.1.evil.example" as host 127.0.0.1 and path ".evil.example/": taking that
// host would send the request somewhere the URL's author did not name.
TEST(OutboundUrlTest, Ipv4PrefixOfLongerHostRefused) {
  for (const char* url : {"http://127.0.0.1.evil.example/", "https://127.0.0.1.evil.example/",
                          "https://127.0.0.1.evil.example:443/x", "https://1.2.3.4.5/", "https://127.0.0.1x/"}) {
    EXPECT_EQ(refusal(url, true), "URL path must be absolute") << url;
  }
}

// This test verifies the loopback predicate on its own.
TEST(OutboundUrlTest, LoopbackHosts) {
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("127.255.0.3"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_TRUE(isLoopbackHost("localhost"));
  EXPECT_TRUE(isLoopbackHost("a.b.localhost"));
  EXPECT_FALSE(isLoopbackHost("128.0.0.1"));
  EXPECT_FALSE(isLoopbackHost("localhost.example"));
  EXPECT_FALSE(isLoopbackHost("notlocalhost"));
  EXPECT_FALSE(isLoopbackHost(""));
}

// This test verifies that other schemes, user information and unusable hosts are refused.
TEST(OutboundUrlTest, HostileAndMalformed) {
  EXPECT_EQ(refusal("ftp://idp.example.com/"), "scheme must be https");
  EXPECT_EQ(refusal("file:///etc/passwd"), "scheme must be https");
  EXPECT_EQ(refusal("javascript:alert(1)"), "scheme must be https");
  EXPECT_EQ(refusal("https://user:secret@idp.example.com/"), "URL must not contain user information");
  EXPECT_EQ(refusal("/relative/path"), "not an absolute URL");
  EXPECT_EQ(refusal(""), "not an absolute URL");
  EXPECT_EQ(refusal("https://"), "host name is not a plain DNS name");
  EXPECT_EQ(refusal("https://idp%2eexample.com/"), "host name is not a plain DNS name");
  EXPECT_EQ(refusal("https://[v1.fe]/"), "URL has no usable host");
  EXPECT_EQ(refusal("https://idp.example.com:0/"), "port must be between 1 and 65535");
  EXPECT_EQ(refusal("https://idp.example.com:65536/"), "port must be between 1 and 65535");
  EXPECT_EQ(refusal("https://idp.example.com:99999999999999999999/"), "port must be between 1 and 65535");
  EXPECT_EQ(refusal("https://idp.example.com:/"), "port must be between 1 and 65535");
}

// This test verifies that control characters (header injection through the target) are refused.
TEST(OutboundUrlTest, ControlCharactersRefused) {
  EXPECT_EQ(refusal("https://idp.example.com/a\r\nHost: evil"), "not an absolute URL");
  EXPECT_EQ(refusal(std::string("https://idp.example.com/a\0b", 27)), "not an absolute URL");
  EXPECT_EQ(refusal("https://idp.example.com/a b"), "not an absolute URL");
}

// This test verifies the length cap, and that a refusal never echoes the query.
TEST(OutboundUrlTest, OversizedAndNoSecretsInReasons) {
  std::string long_url = "https://idp.example.com/?q=" + std::string(kMaxOutboundUrlBytes, 'a');
  EXPECT_EQ(refusal(long_url), "URL longer than 8 KiB");
  const std::string reason = refusal("http://idp.example.com/token?client_secret=s3cr3t");
  EXPECT_EQ(reason.find("s3cr3t"), std::string::npos) << reason;
}

// This test verifies that plain http reaches only the hosts named for it (IMDS), exactly.
TEST(OutboundUrlTest, PlainHttpOnlyToNamedHosts) {
  const std::vector<std::string> imds = {"169.254.169.254"};
  auto ok = parseOutboundUrl("http://169.254.169.254/latest/api/token", false, imds);
  ASSERT_TRUE(std::holds_alternative<OutboundUrl>(ok));
  EXPECT_FALSE(std::get<OutboundUrl>(ok).tls);
  EXPECT_EQ(std::get<OutboundUrl>(ok).port, 80);
  for (const char* url : {"http://169.254.169.253/", "http://169.254.169.2540/", "http://example.com/"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parseOutboundUrl(url, false, imds))) << url;
  }
}

}  // namespace
}  // namespace oh::gateway::outbound
