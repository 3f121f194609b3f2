#include "runtime/runtime_response.h"

#include <vector>

#include <boost/beast/http/fields.hpp>
#include <gtest/gtest.h>

#include "runtime/runtime_response_fields.h"

namespace oh::gateway {
namespace {

// This test verifies Domain is dropped, Secure and SameSite=Strict added when missing.
TEST(RuntimeResponse, SetCookieRewrite) {
  EXPECT_EQ(rewriteAppSetCookie("sid=abc"), "sid=abc; Secure; SameSite=Strict");
  EXPECT_EQ(rewriteAppSetCookie("sid=abc; Domain=.oh.test; Path=/; HttpOnly"),
            "sid=abc; Path=/; HttpOnly; Secure; SameSite=Strict");
  EXPECT_EQ(rewriteAppSetCookie("sid=abc;domain=runtime.oh.test;DOMAIN = x;secure"), "sid=abc; secure; SameSite=Strict");
  EXPECT_EQ(rewriteAppSetCookie("sid=abc; SameSite=Lax"), "sid=abc; SameSite=Lax; Secure");
  EXPECT_EQ(rewriteAppSetCookie("sid=abc; samesite=None; Secure"), "sid=abc; samesite=None; Secure");
  EXPECT_EQ(rewriteAppSetCookie("sid=a;b; ;Max-Age=5"), "sid=a; b; Max-Age=5; Secure; SameSite=Strict");
  EXPECT_EQ(rewriteAppSetCookie(""), "; Secure; SameSite=Strict");
  // "Domain" inside a value is not an attribute.
  EXPECT_EQ(rewriteAppSetCookie("x=Domain=evil; Path=/Domain"), "x=Domain=evil; Path=/Domain; Secure; SameSite=Strict");
}

// This test verifies the header set for a main host.
TEST(RuntimeResponse, SecurityHeaders) {
  const auto headers = runtimeSecurityHeaders(RuntimeResponsePolicy{"oh.test"});
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[3].second, "frame-ancestors 'self' https://oh.test");
}

// This test verifies the policy applied to Beast fields: cookies rewritten, headers set, CSP added.
TEST(RuntimeResponse, AppliedToFields) {
  boost::beast::http::fields fields;
  fields.insert("Set-Cookie", "a=1; Domain=oh.test");
  fields.insert("Content-Type", "text/html");
  fields.insert("set-cookie", "b=2; SameSite=None; Secure");
  fields.insert("Referrer-Policy", "unsafe-url");
  fields.insert("X-Frame-Options", "ALLOWALL");
  fields.insert("Content-Security-Policy", "default-src 'self'");
  applyRuntimeResponsePolicy(fields, RuntimeResponsePolicy{"oh.test"});
  std::vector<std::string> cookies;
  std::vector<std::string> csp;
  for (const auto& field : fields) {
    if (field.name() == boost::beast::http::field::set_cookie) {
      cookies.emplace_back(field.value());
    }
    if (field.name_string() == "Content-Security-Policy") {
      csp.emplace_back(field.value());
    }
  }
  EXPECT_EQ(cookies, (std::vector<std::string>{"a=1; Secure; SameSite=Strict", "b=2; SameSite=None; Secure"}));
  EXPECT_EQ(csp, (std::vector<std::string>{"default-src 'self'", "frame-ancestors 'self' https://oh.test"}));
  EXPECT_EQ(fields["X-Frame-Options"], "SAMEORIGIN");
  EXPECT_EQ(fields["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(fields["Referrer-Policy"], "strict-origin-when-cross-origin");
  EXPECT_EQ(fields["Content-Type"], "text/html");
}

// This test verifies an app's DENY framing is kept (stricter than ours).
TEST(RuntimeResponse, KeepsDeny) {
  boost::beast::http::fields fields;
  fields.insert("X-Frame-Options", "DENY");
  applyRuntimeResponsePolicy(fields, RuntimeResponsePolicy{"oh.test"});
  EXPECT_EQ(fields["X-Frame-Options"], "DENY");
  boost::beast::http::fields lower;
  lower.insert("X-Frame-Options", "deny");
  applyRuntimeResponsePolicy(lower, RuntimeResponsePolicy{"oh.test"});
  EXPECT_EQ(lower["X-Frame-Options"], "deny");
  boost::beast::http::fields other;
  other.insert("X-Frame-Options", "dent");
  applyRuntimeResponsePolicy(other, RuntimeResponsePolicy{"oh.test"});
  EXPECT_EQ(other["X-Frame-Options"], "SAMEORIGIN");
}

}  // namespace
}  // namespace oh::gateway
