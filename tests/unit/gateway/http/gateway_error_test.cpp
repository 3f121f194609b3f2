#include "http/gateway_error.h"

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

std::string headerValue(const ErrorReply& reply, std::string_view name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

// This test verifies every gateway error maps to the status the design promises.
TEST(GatewayErrorTest, StatusPerError) {
  const ErrorContext context;
  EXPECT_EQ(errorReply(GatewayError::bad_request, context).status, 400u);
  EXPECT_EQ(errorReply(GatewayError::forbidden_origin, context).status, 403u);
  EXPECT_EQ(errorReply(GatewayError::misdirected_host, context).status, 421u);
  EXPECT_EQ(errorReply(GatewayError::not_found, context).status, 404u);
  EXPECT_EQ(errorReply(GatewayError::payload_too_large, context).status, 413u);
  EXPECT_EQ(errorReply(GatewayError::rate_limited, context).status, 429u);
  EXPECT_EQ(errorReply(GatewayError::header_too_large, context).status, 431u);
  EXPECT_EQ(errorReply(GatewayError::upstream_unavailable, context).status, 502u);
  EXPECT_EQ(errorReply(GatewayError::not_ready, context).status, 503u);
  EXPECT_EQ(errorReply(GatewayError::draining, context).status, 503u);
  EXPECT_EQ(errorReply(GatewayError::upstream_timeout, context).status, 504u);
}

// This test verifies the 403 body is exactly the reference design's text.
TEST(GatewayErrorTest, OriginBodyIsExact) {
  const auto reply = errorReply(GatewayError::forbidden_origin, ErrorContext{});
  EXPECT_EQ(reply.body, "Access Denied - Invalid Origin\n");
  EXPECT_EQ(reply.content_type.rfind("text/plain", 0), 0u);
}

// This test verifies framing errors close the connection and policy refusals need not.
TEST(GatewayErrorTest, CloseOnlyWhenTheStreamIsUntrustworthy) {
  const ErrorContext context;
  EXPECT_TRUE(errorReply(GatewayError::bad_request, context).close_connection);
  EXPECT_TRUE(errorReply(GatewayError::header_too_large, context).close_connection);
  EXPECT_TRUE(errorReply(GatewayError::payload_too_large, context).close_connection);
  EXPECT_FALSE(errorReply(GatewayError::forbidden_origin, context).close_connection);
  EXPECT_FALSE(errorReply(GatewayError::rate_limited, context).close_connection);
}

// This test verifies 429 carries Retry-After in whole seconds, at least 1.
TEST(GatewayErrorTest, RetryAfter) {
  ErrorContext context;
  context.retry_after = std::chrono::seconds(7);
  EXPECT_EQ(headerValue(errorReply(GatewayError::rate_limited, context), "Retry-After"), "7");
  context.retry_after = std::chrono::seconds(0);
  EXPECT_EQ(headerValue(errorReply(GatewayError::rate_limited, context), "Retry-After"), "1");
}

// This test verifies local mode explains a down upstream in HTML, naming the URL (escaped).
TEST(GatewayErrorTest, LocalUpstreamDownPage) {
  ErrorContext context;
  context.mode = Mode::local;
  context.upstream_url = "http://127.0.0.1:3000/<x>";
  const auto reply = errorReply(GatewayError::upstream_unavailable, context);
  EXPECT_EQ(reply.status, 502u);
  EXPECT_EQ(reply.content_type.rfind("text/html", 0), 0u);
  EXPECT_NE(reply.body.find("http://127.0.0.1:3000/&lt;x&gt;"), std::string::npos);
  EXPECT_EQ(reply.body.find("<x>"), std::string::npos);
  EXPECT_NE(reply.body.find("scripts/run-local.sh"), std::string::npos);
  EXPECT_NE(reply.body.find("3000"), std::string::npos);
  EXPECT_EQ(headerValue(reply, "Cache-Control"), "no-cache, no-store, must-revalidate");
}

// This test verifies aws mode gives a plain 502 that reveals nothing about the upstream.
TEST(GatewayErrorTest, AwsUpstreamDownIsPlain) {
  ErrorContext context;
  context.mode = Mode::aws;
  context.upstream_url = "http://10.0.0.5:3000";
  const auto reply = errorReply(GatewayError::upstream_unavailable, context);
  EXPECT_EQ(reply.status, 502u);
  EXPECT_EQ(reply.body.find("10.0.0.5"), std::string::npos);
}

// This test verifies each error has a distinct log name.
TEST(GatewayErrorTest, NamesAreDistinct) {
  EXPECT_EQ(gatewayErrorName(GatewayError::forbidden_origin), "origin");
  EXPECT_EQ(gatewayErrorName(GatewayError::rate_limited), "rate_limit");
  EXPECT_NE(gatewayErrorName(GatewayError::not_ready), gatewayErrorName(GatewayError::draining));
}

}  // namespace
}  // namespace oh::gateway
