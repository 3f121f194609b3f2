#include "auth/runtime_handoff.h"

#include "auth/cookies.h"
#include "test_crypto.h"
#include "test_tokens.h"

#include <boost/url.hpp>
#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;

constexpr const char* kRuntime = "3000-abc.runtime.oh.example.com";

class RuntimeHandoffTest : public ::testing::Test {
protected:
  RuntimeHandoffTest() {
    config_.main_host = "oh.example.com";
    // A stand-in for the router's grammar: one [0-9a-z-] label under the suffix, lowercased.
    config_.runtime_host = [](std::string_view h) -> std::optional<std::string> {
      const std::string_view suffix = ".runtime.oh.example.com";
      std::string lower;
      for (char c : h) {
        lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      }
      if (lower.size() <= suffix.size() || !lower.ends_with(suffix)) {
        return std::nullopt;
      }
      const std::string_view label = std::string_view(lower).substr(0, lower.size() - suffix.size());
      if (label.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz-") != std::string_view::npos) {
        return std::nullopt;
      }
      return lower;
    };
    IdTokenClaims claims;
    claims.sub = "user-1";
    claims.email = "u@example.com";
    claims.expires_at = now() + seconds(3600);
    session_ = sessionFromTokens(claims, "rt", now());
  }

  std::chrono::sys_seconds now() const { return clock_.now(); }

  // The path and query of an absolute URL.
  static std::string targetOf(const std::string& url) {
    auto u = boost::urls::parse_absolute_uri(url).value();
    return std::string(u.encoded_path()) + "?" + std::string(u.encoded_query());
  }

  HandoffConfig config_;
  test::FakeClock clock_{test::kNow};
  test::CountingRandom random_;
  ReplayCache replay_;
  TicketIssuer issuer_{std::string(32, 'T'), clock_, random_};
  TicketVerifier verifier_{std::string(32, 'T'), clock_, replay_};
  SealedBox box_ = SealedBox::create(std::string(32, 'R')).value();
  Session session_;
};

// Runtime host -> main host -> runtime host, ending with a host-only runtime cookie.
TEST_F(RuntimeHandoffTest, FullHandoff) {
  const std::string start = handoffStartUrl(config_, "3000-ABC.runtime.oh.example.com", "/app?x=1");
  EXPECT_EQ(start, "https://oh.example.com/_gateway/handoff?host=3000-abc.runtime.oh.example.com&rd=%2Fapp%3Fx%3D1");
  auto issued = handoffIssue(config_, issuer_, session_, targetOf(start));
  ASSERT_TRUE(issued) << issued.error().reason;
  EXPECT_EQ(issued->location.rfind("https://3000-abc.runtime.oh.example.com/_gateway/ticket?t=", 0), 0u);
  auto redeemed = handoffRedeem(config_, verifier_, box_, random_, now(), kRuntime, targetOf(issued->location));
  ASSERT_TRUE(redeemed) << toString(redeemed.error().code);
  EXPECT_EQ(redeemed->location, "/app?x=1");
  ASSERT_EQ(redeemed->set_cookies.size(), 1u);
  const std::string& set_cookie = redeemed->set_cookies[0];
  EXPECT_EQ(set_cookie.rfind("__Host-oh_runtime=", 0), 0u);  // HTTPS: no other host can shadow it
  EXPECT_EQ(set_cookie.find("Domain"), std::string::npos);
  EXPECT_NE(set_cookie.find("Max-Age=3600"), std::string::npos);
  const std::string value = set_cookie.substr(18, set_cookie.find(';') - 18);
  auto opened = openSession(box_, value, now(), runtimeSessionPurpose(kRuntime));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->sub, "user-1");
  EXPECT_TRUE(opened->refresh_token.empty());
  // The cookie is bound to its runtime host and is not a main-site session.
  EXPECT_FALSE(openSession(box_, value, now(), runtimeSessionPurpose("3001-abc.runtime.oh.example.com")));
  EXPECT_FALSE(openSession(box_, value, now()));
  // Replaying the same ticket URL is refused.
  auto again = handoffRedeem(config_, verifier_, box_, random_, now(), kRuntime, targetOf(issued->location));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, TicketError::replayed);
}

// Only runtime hosts get tickets; a ticket for one runtime host is refused (403) on another.
TEST_F(RuntimeHandoffTest, RefusesForeignHostsAndMisbinding) {
  EXPECT_FALSE(handoffIssue(config_, issuer_, session_, "/_gateway/handoff?host=evil.example&rd=/"));
  EXPECT_FALSE(handoffIssue(config_, issuer_, session_, "/_gateway/handoff?host=oh.example.com"));
  EXPECT_FALSE(handoffIssue(config_, issuer_, session_, "/_gateway/handoff?rd=/"));
  EXPECT_FALSE(handoffIssue(config_, issuer_, session_, "/_gateway/handoff?host=a.runtime.oh.example.com&host=b"));
  auto issued = handoffIssue(config_, issuer_, session_,
                             std::string("/_gateway/handoff?host=") + kRuntime + "&rd=%2F%2Fevil.example");
  ASSERT_TRUE(issued);
  auto other = handoffRedeem(config_, verifier_, box_, random_, now(), "8080-abc.runtime.oh.example.com",
                             targetOf(issued->location));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, TicketError::misbound);
  auto ok = handoffRedeem(config_, verifier_, box_, random_, now(), kRuntime, targetOf(issued->location));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->location, "/");  // the open redirect in rd was neutralised
}

TEST_F(RuntimeHandoffTest, RefusesExpiredAndMalformedTicketRequests) {
  auto issued = handoffIssue(config_, issuer_, session_, std::string("/_gateway/handoff?host=") + kRuntime);
  ASSERT_TRUE(issued);
  clock_.advance(seconds(61));
  auto late = handoffRedeem(config_, verifier_, box_, random_, now(), kRuntime, targetOf(issued->location));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, TicketError::expired);
  EXPECT_EQ(handoffRedeem(config_, verifier_, box_, random_, now(), kRuntime, "/_gateway/ticket").error().code,
            TicketError::malformed);
  EXPECT_EQ(handoffRedeem(config_, verifier_, box_, random_, now(), kRuntime, "/_gateway/ticket?t=a&t=b").error().code,
            TicketError::malformed);
}

// Issue 16: the ticket and the Location are built from what the host check returned, never
// from the parameter's bytes; a host the check refuses gets no ticket at all.
TEST_F(RuntimeHandoffTest, LocationUsesTheCheckedHostOnly) {
  config_.runtime_host = [](std::string_view) -> std::optional<std::string> { return "3000-abc.runtime.oh.example.com"; };
  auto issued = handoffIssue(config_, issuer_, session_, "/_gateway/handoff?host=3000-ABC.Runtime.oh.example.com%2F&rd=/x");
  ASSERT_TRUE(issued);
  EXPECT_TRUE(issued->location.starts_with("https://3000-abc.runtime.oh.example.com/_gateway/ticket?t=")) << issued->location;
  config_.runtime_host = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_FALSE(handoffIssue(config_, issuer_, session_, std::string("/_gateway/handoff?host=") + kRuntime));
  config_.runtime_host = nullptr;
  EXPECT_FALSE(handoffIssue(config_, issuer_, session_, std::string("/_gateway/handoff?host=") + kRuntime));
}

}  // namespace
}  // namespace oh::gateway::auth
