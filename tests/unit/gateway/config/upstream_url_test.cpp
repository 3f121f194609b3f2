// Tests for parseUpstreamUrl: accepted forms and refused ones.

#include <gtest/gtest.h>

#include "config/upstream_url.h"

namespace oh::gateway {
namespace {

UpstreamEndpoint parsedOk(std::string_view url) {
  auto result = parseUpstreamUrl(url);
  if (auto* error = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << url << ": " << *error;
    return {};
  }
  return std::get<UpstreamEndpoint>(result);
}

// This test verifies host and port are derived for the accepted forms.
TEST(UpstreamUrl, AcceptedForms) {
  auto a = parsedOk("http://127.0.0.1:3000");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 3000);
  auto b = parsedOk("http://openhands");
  EXPECT_EQ(b.host, "openhands");
  EXPECT_EQ(b.port, 80);
  auto c = parsedOk("http://[::1]:8000/");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 8000);
  auto d = parsedOk("HTTP://app.internal:65535");
  EXPECT_EQ(d.host, "app.internal");
  EXPECT_EQ(d.port, 65535);
}

// This test verifies every refused form gives a message, never a crash.
TEST(UpstreamUrl, RefusedForms) {
  for (std::string_view url :
       {"", "http://", "http://:3000", "https://x", "ws://x", "x:3000", "//x:3000", "http://x:65536",
        "http://x:0", "http://x:-1", "http://x:abc", "http://x:99999999999999999999", "http://u@x",
        "http://u:p@x", "http://x/path", "http://x?q=1", "http://x#f", "http://[fe80::1%25eth0]",
        "http://[v1.x]", "http://x y", "http://\x01", "http://x:3000\n", "file:///etc/passwd"}) {
    auto result = parseUpstreamUrl(url);
    auto* error = std::get_if<std::string>(&result);
    ASSERT_NE(error, nullptr) << "accepted: " << url;
    EXPECT_FALSE(error->empty());
    EXPECT_EQ(error->find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace oh::gateway
