#include "outbound/request_check.h"

#include <gtest/gtest.h>

namespace oh::gateway::outbound {
namespace {

OutboundRequest withHeader(std::string name, std::string value) {
  OutboundRequest request;
  request.url = "https://idp.example.com/";
  request.headers.emplace_back(std::move(name), std::move(value));
  return request;
}

// This test verifies that ordinary GET and POST requests pass.
TEST(RequestCheckTest, OrdinaryRequestsPass) {
  OutboundRequest get;
  EXPECT_EQ(checkOutboundRequest(get), std::nullopt);
  OutboundRequest post;
  post.method = "POST";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Authorization", "Basic YTpi"},
                  {"Accept", "application/json"},
                  {"X-Empty", ""},
                  {"X-Tab", "a\tb"}};
  post.body = "grant_type=authorization_code&code=abc";
  EXPECT_EQ(checkOutboundRequest(post), std::nullopt);
}

// This test verifies that methods other than GET, POST and PUT are refused (case matters).
TEST(RequestCheckTest, OtherMethodsRefused) {
  for (const char* method : {"DELETE", "put", "get", "", "GET ", "CONNECT"}) {
    OutboundRequest request;
    request.method = method;
    EXPECT_EQ(checkOutboundRequest(request), "method must be GET, POST or PUT") << method;
  }
}

// This test verifies that CR, LF, NUL and DEL in a value are refused without echoing the value.
TEST(RequestCheckTest, InjectionInValueRefused) {
  for (const std::string& value : {std::string("secret\r\nX-Evil: 1"), std::string("secret\n"),
                                  std::string("secret\r"), std::string("sec\0ret", 7), std::string("secret\x7f")}) {
    auto reason = checkOutboundRequest(withHeader("Authorization", value));
    ASSERT_TRUE(reason.has_value());
    EXPECT_EQ(*reason, "request header #1 has an invalid value");
    EXPECT_EQ(reason->find("secret"), std::string::npos);
  }
}

// This test verifies that names that are not tokens are refused.
TEST(RequestCheckTest, InvalidNamesRefused) {
  for (const char* name : {"", "X Evil", "X-Evil:", "X\r\nEvil", "(x)", "x/y", "\xc3\xa9"}) {
    EXPECT_EQ(checkOutboundRequest(withHeader(name, "v")), "request header #1 has an invalid name") << name;
  }
}

// This test verifies that the framing fields the client writes itself cannot be supplied.
TEST(RequestCheckTest, ReservedFieldsRefused) {
  for (const char* name : {"Host", "content-length", "Transfer-Encoding", "CONNECTION", "Upgrade", "TE"}) {
    EXPECT_EQ(checkOutboundRequest(withHeader(name, "x")), "request header #1 is set by the client itself") << name;
  }
}

// This test verifies the size caps on headers and body.
TEST(RequestCheckTest, OversizedRefused) {
  EXPECT_EQ(checkOutboundRequest(withHeader("X-Big", std::string(kMaxRequestHeaderBytes, 'a'))),
            "request headers larger than 16 KiB");
  OutboundRequest post;
  post.method = "POST";
  post.body.assign(kMaxRequestBodyBytes + 1, 'b');
  EXPECT_EQ(checkOutboundRequest(post), "request body larger than 1 MiB");
  post.body.resize(kMaxRequestBodyBytes);
  EXPECT_EQ(checkOutboundRequest(post), std::nullopt);
}

// This test verifies that the reason names the offending header by position.
TEST(RequestCheckTest, ReasonNamesPosition) {
  OutboundRequest request;
  request.headers = {{"Accept", "a"}, {"X-Ok", "b"}, {"X-Bad", "c\n"}};
  EXPECT_EQ(checkOutboundRequest(request), "request header #3 has an invalid value");
}

}  // namespace
}  // namespace oh::gateway::outbound
