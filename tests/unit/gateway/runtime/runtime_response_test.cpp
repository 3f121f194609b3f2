#include "runtime/runtime_response.h"

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <gtest/gtest.h>

#include "common/text.h"
#include "runtime/runtime_response_fields.h"

namespace oh::gateway {
namespace {

RuntimeResponsePolicy framedBy(std::vector<std::string> hosts) {
  RuntimeResponsePolicy policy;
  policy.frame_ancestor_hosts = std::move(hosts);
  return policy;
}

const RuntimeResponsePolicy kPolicy = framedBy({"oh.test"});

// The values of every field named `name` (any case), in order.
std::vector<std::string> valuesOf(const Fields& fields, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& field : fields) {
    if (common::equalsIgnoreCase(field.name_string(), name)) {
      values.emplace_back(field.value());
    }
  }
  return values;
}

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

// This test verifies the frame-ancestors directive for one, several and no main hosts.
TEST(RuntimeResponse, FrameAncestors) {
  EXPECT_EQ(frameAncestorsDirective(kPolicy), "frame-ancestors 'self' https://oh.test");
  EXPECT_EQ(frameAncestorsDirective(framedBy({"a.test", "b.test"})),
            "frame-ancestors 'self' https://a.test https://b.test");
  EXPECT_EQ(frameAncestorsDirective(RuntimeResponsePolicy{}), "frame-ancestors 'self'");
}

// This test verifies Access-Control-Allow-Origin is given back for the browser's origin only
// when the app allowed the origin the gate presented, with Vary: Origin added once.
TEST(RuntimeResponse, AllowOriginTranslated) {
  RuntimeResponsePolicy policy = kPolicy;
  policy.upstream_origin = "https://oh.test";
  policy.client_origin = "https://oh.other.test";
  EXPECT_EQ(clientAllowOrigin(policy, "https://oh.test"), "https://oh.other.test");
  EXPECT_EQ(clientAllowOrigin(policy, "*"), "*");
  EXPECT_EQ(clientAllowOrigin(policy, "https://oh.test.evil"), "https://oh.test.evil");
  EXPECT_EQ(clientAllowOrigin(kPolicy, "https://oh.test"), "https://oh.test");

  Fields fields;
  fields.insert("Access-Control-Allow-Origin", "https://oh.test");
  fields.insert("Access-Control-Allow-Credentials", "true");
  applyRuntimeResponsePolicy(fields, policy);
  EXPECT_EQ(fields["Access-Control-Allow-Origin"], "https://oh.other.test");
  EXPECT_EQ(fields["Vary"], "Origin");
  EXPECT_EQ(fields["Access-Control-Allow-Credentials"], "true");

  Fields varied;
  varied.insert("Access-Control-Allow-Origin", "https://oh.test");
  varied.insert("Vary", "Accept-Encoding, origin");
  applyRuntimeResponsePolicy(varied, policy);
  EXPECT_EQ(varied["Vary"], "Accept-Encoding, origin");

  Fields accept;
  accept.insert("Access-Control-Allow-Origin", "https://oh.test");
  accept.insert("Vary", "Accept-Encoding");
  applyRuntimeResponsePolicy(accept, policy);
  EXPECT_EQ(accept["Vary"], "Accept-Encoding, Origin");

  // Nothing allowed, nothing added; another allowed origin is left alone.
  Fields none;
  applyRuntimeResponsePolicy(none, policy);
  EXPECT_EQ(none.find("Access-Control-Allow-Origin"), none.end());
  EXPECT_EQ(none.find("Vary"), none.end());
  Fields star;
  star.insert("Access-Control-Allow-Origin", "*");
  applyRuntimeResponsePolicy(star, policy);
  EXPECT_EQ(star["Access-Control-Allow-Origin"], "*");
  EXPECT_EQ(star.find("Vary"), star.end());
}

// This test verifies the policy applied to Beast fields: cookies rewritten, headers set, CSP added.
TEST(RuntimeResponse, AppliedToFields) {
  Fields fields;
  fields.insert("Set-Cookie", "a=1; Domain=oh.test");
  fields.insert("Content-Type", "text/html");
  fields.insert("set-cookie", "b=2; SameSite=None; Secure");
  fields.insert("Referrer-Policy", "unsafe-url");
  fields.insert("X-Frame-Options", "ALLOWALL");
  fields.insert("Content-Security-Policy", "default-src 'self'");
  applyRuntimeResponsePolicy(fields, kPolicy);
  EXPECT_EQ(valuesOf(fields, "Set-Cookie"),
            (std::vector<std::string>{"a=1; Secure; SameSite=Strict", "b=2; SameSite=None; Secure"}));
  EXPECT_EQ(valuesOf(fields, "Content-Security-Policy"),
            (std::vector<std::string>{"default-src 'self'", "frame-ancestors 'self' https://oh.test"}));
  EXPECT_EQ(fields["X-Frame-Options"], "SAMEORIGIN");
  EXPECT_EQ(fields["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(fields["Referrer-Policy"], "strict-origin-when-cross-origin");
  EXPECT_EQ(fields["Content-Type"], "text/html");
}

// This test verifies an app's DENY framing is kept (stricter than ours).
TEST(RuntimeResponse, KeepsDeny) {
  Fields fields;
  fields.insert("X-Frame-Options", "DENY");
  applyRuntimeResponsePolicy(fields, kPolicy);
  EXPECT_EQ(fields["X-Frame-Options"], "DENY");
  Fields lower;
  lower.insert("X-Frame-Options", "deny");
  applyRuntimeResponsePolicy(lower, kPolicy);
  EXPECT_EQ(lower["X-Frame-Options"], "deny");
  Fields other;
  other.insert("X-Frame-Options", "dent");
  applyRuntimeResponsePolicy(other, kPolicy);
  EXPECT_EQ(other["X-Frame-Options"], "SAMEORIGIN");
}

// This test verifies each replaced header appears once whatever the app sent twice, in any
// case: one X-Frame-Options (the app's DENY if any of its values is DENY), one nosniff, one
// referrer policy; headers of other names are untouched.
TEST(RuntimeResponse, DuplicatesReplacedOnce) {
  Fields fields;
  fields.insert("x-frame-options", "ALLOWALL");
  fields.insert("X-Frame-Options", "Deny");
  fields.insert("X-FRAME-OPTIONS", "DENY");
  fields.insert("x-content-type-options", "sniff-away");
  fields.insert("X-Content-Type-Options", "");
  fields.insert("referrer-policy", "unsafe-url");
  fields.insert("Referrer-Policy", "no-referrer-when-downgrade");
  fields.insert("X-Referrer-Policy-Extra", "kept");
  applyRuntimeResponsePolicy(fields, kPolicy);
  EXPECT_EQ(valuesOf(fields, "X-Frame-Options"), std::vector<std::string>{"Deny"});
  EXPECT_EQ(valuesOf(fields, "X-Content-Type-Options"), std::vector<std::string>{"nosniff"});
  EXPECT_EQ(valuesOf(fields, "Referrer-Policy"), std::vector<std::string>{"strict-origin-when-cross-origin"});
  EXPECT_EQ(valuesOf(fields, "X-Referrer-Policy-Extra"), std::vector<std::string>{"kept"});

  Fields no_deny;
  no_deny.insert("X-Frame-Options", "ALLOW-FROM https://evil.test");
  no_deny.insert("X-Frame-Options", "ALLOWALL");
  applyRuntimeResponsePolicy(no_deny, kPolicy);
  EXPECT_EQ(valuesOf(no_deny, "X-Frame-Options"), std::vector<std::string>{"SAMEORIGIN"});
}

}  // namespace
}  // namespace oh::gateway
