#include "auth/local_login_page.h"

#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;

const std::chrono::sys_seconds kT0{seconds(test::kNow)};

// The page is self-contained and escapes every dynamic value.
TEST(LoginPageTest, RendersEscapedSelfContainedHtml) {
  const std::string html = renderLoginPage({"tok\"en", "/a?b=1&c=<x>", "<script>alert(1)</script>", "Wrong & bad"});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("value=\"tok&quot;en\""), std::string::npos);
  EXPECT_NE(html.find("Wrong &amp; bad"), std::string::npos);
  EXPECT_NE(html.find("action=\"/_gateway/login\""), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  // An unsafe return path is replaced before it reaches the form.
  EXPECT_NE(renderLoginPage({"t", "//evil.example", "", ""}).find("name=\"rd\" value=\"/\""), std::string::npos);
}

TEST(LoginPageTest, ParsesForm) {
  auto f = parseLoginForm("username=alice%40example.com&password=p%26ss+word%3D&rd=%2Fconv%2F1&csrf=abc&extra=1");
  ASSERT_TRUE(f) << f.error().reason;
  EXPECT_EQ(f->username, "alice@example.com");
  EXPECT_EQ(f->password, "p&ss word=");
  EXPECT_EQ(f->return_path, "/conv/1");
  EXPECT_EQ(f->csrf, "abc");
  EXPECT_EQ(parseLoginForm("username=a&password=b&csrf=c&rd=%2F%2Fevil")->return_path, "/");
}

TEST(LoginPageTest, RefusesHostileForms) {
  EXPECT_FALSE(parseLoginForm(""));
  EXPECT_FALSE(parseLoginForm("username=a&password=b"));
  EXPECT_FALSE(parseLoginForm("username=&password=b&csrf=c"));
  EXPECT_FALSE(parseLoginForm("username=a&username=b&password=b&csrf=c"));
  EXPECT_FALSE(parseLoginForm("username=a%2&password=b&csrf=c"));
  EXPECT_FALSE(parseLoginForm("username=a&password=" + std::string(kMaxLoginFormBytes, 'x') + "&csrf=c"));
}

// Double submit: equal cookie and field, sealed by us, younger than ten minutes.
TEST(LoginPageTest, CsrfTokens) {
  test::CountingRandom random;
  const SealedBox box = SealedBox::create(std::string(32, 'C')).value();
  const std::string token = issueLoginCsrf(box, random, kT0);
  EXPECT_TRUE(checkLoginCsrf(box, token, token, kT0 + seconds(10)));
  EXPECT_FALSE(checkLoginCsrf(box, token, token, kT0 + kLoginCsrfLifetime));
  EXPECT_FALSE(checkLoginCsrf(box, token, token + "x", kT0));
  EXPECT_FALSE(checkLoginCsrf(box, "", "", kT0));
  EXPECT_FALSE(checkLoginCsrf(box, "forged", "forged", kT0));
  const std::string other = box.seal("oh-session-v1", "1764000000", random);
  EXPECT_FALSE(checkLoginCsrf(box, other, other, kT0));
}

// Local sessions stay valid until their absolute end and then expire (no refresh).
TEST(LoginPageTest, LocalAccountSession) {
  const Session s = localAccountSession("alice@example.com", kT0);
  EXPECT_EQ(s.sub, "alice@example.com");
  EXPECT_EQ(s.email, "alice@example.com");
  EXPECT_FALSE(s.email_verified);
  EXPECT_EQ(renewalDecision(s, kT0 + seconds(29 * 86400)), SessionState::valid);
  EXPECT_EQ(renewalDecision(s, kT0 + seconds(30 * 86400)), SessionState::expired);
  EXPECT_EQ(localAccountSession("bob", kT0).email, "");
}

}  // namespace
}  // namespace oh::gateway::auth
