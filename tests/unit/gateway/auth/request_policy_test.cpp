#include "auth/challenge.h"
#include "auth/identity_headers.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

// Every X-Cognito-* header goes, in any case and any number; others stay in order.
TEST(IdentityHeadersTest, StripsSpoofedHeadersAndSetsOurs) {
  const std::vector<Header> incoming = {
      {"Host", "oh.example.com"},         {"X-Cognito-User-Id", "admin"}, {"x-cognito-email", "ceo@example.com"},
      {"X-COGNITO-EMAIL-VERIFIED", "true"}, {"X-Cognito-User-Id", "admin2"}, {"X-Cognito-Anything", "x"},
      {"X-Cognitoo", "kept"},             {"Cookie", "a=1"},
  };
  const IdentityHeaderPlan plan = planIdentityHeaders(incoming, {"sub-1", "a@example.com\r\nX-Evil: 1", false});
  EXPECT_EQ(plan.removed, 5u);
  ASSERT_EQ(plan.kept.size(), 3u);
  EXPECT_EQ(plan.kept[0].first, "Host");
  EXPECT_EQ(plan.kept[1].first, "X-Cognitoo");
  EXPECT_EQ(plan.kept[2].first, "Cookie");
  ASSERT_EQ(plan.to_set.size(), 3u);
  EXPECT_EQ(plan.to_set[0], (Header{"X-Cognito-User-Id", "sub-1"}));
  EXPECT_EQ(plan.to_set[1], (Header{"X-Cognito-Email", "a@example.comX-Evil: 1"}));
  EXPECT_EQ(plan.to_set[2], (Header{"X-Cognito-Email-Verified", "false"}));
  EXPECT_FALSE(isIdentityHeaderName("X-Cognito"));
  EXPECT_TRUE(isIdentityHeaderName("x-cOgNiTo-"));
}

ChallengeRequest page(std::string_view path = "/") {
  return {"GET", path, "text/html,application/xhtml+xml,*/*;q=0.8", "navigate", "", ""};
}

// Browser page loads are redirected; everything a script or socket makes gets 401 JSON.
TEST(ChallengeTest, NavigationsRedirectEverythingElseGets401) {
  EXPECT_EQ(decideChallenge(page()), Challenge::redirect_to_sign_in);
  EXPECT_EQ(decideChallenge(page("/conversations/1")), Challenge::redirect_to_sign_in);
  EXPECT_EQ(decideChallenge({"GET", "/", "text/html", "", "", ""}), Challenge::redirect_to_sign_in);
  EXPECT_EQ(decideChallenge({"HEAD", "/", "TEXT/HTML", "", "", ""}), Challenge::redirect_to_sign_in);

  EXPECT_EQ(decideChallenge(page("/api/conversations")), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge(page("/api")), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge(page("/socket.io/")), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge(page("/_callback")), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge(page("/_gateway/handoff")), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge({"GET", "/", "text/html", "navigate", "websocket", ""}), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge({"GET", "/", "text/html", "", "", "XMLHttpRequest"}), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge({"POST", "/", "text/html", "navigate", "", ""}), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge({"GET", "/", "text/html", "cors", "", ""}), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge({"GET", "/", "*/*", "", "", ""}), Challenge::unauthorized_json);
  EXPECT_EQ(decideChallenge({"GET", "/", "", "", "", ""}), Challenge::unauthorized_json);
}

TEST(ChallengeTest, UnauthorizedBodyIsJson) {
  EXPECT_EQ(unauthorizedJsonBody("/_gateway/login?rd=%2F\"x"),
            R"({"error":"unauthenticated","sign_in":"/_gateway/login?rd=%2F\"x"})");
}

}  // namespace
}  // namespace oh::gateway::auth
