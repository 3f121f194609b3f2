#include "auth/account_fingerprint.h"
#include "auth/cookies.h"
#include "auth/key_file.h"
#include "auth/login_flow_cookie.h"
#include "auth/sealed_box.h"
#include "auth/session.h"

#include "common/base64.h"
#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

const std::string kKeyA(32, 'A');
const std::string kKeyB(32, 'B');
const sys_seconds kT0{seconds(test::kNow)};

// A realistic Cognito refresh token: a JWE of about 1,800 characters (five base64url parts).
std::string cognitoLikeRefreshToken() {
  test::CountingRandom random;
  return common::base64UrlEncode(R"({"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"})") + "." +
         common::base64UrlEncode(random.bytes(256)) + "." + common::base64UrlEncode(random.bytes(12)) + "." +
         common::base64UrlEncode(random.bytes(1000)) + "." + common::base64UrlEncode(random.bytes(16));
}

Session sampleSession() {
  IdTokenClaims claims;
  claims.sub = "5f1c0a2e-8b7d-4c1e-9a3f-0123456789ab";
  claims.email = "alice.longname@engineering.example.com";
  claims.email_verified = true;
  claims.expires_at = kT0 + seconds(3600);
  return sessionFromTokens(claims, cognitoLikeRefreshToken(), kT0);
}

SealedBox box(std::string current, std::optional<std::string> previous = std::nullopt) {
  return SealedBox::create(std::move(current), std::move(previous)).value();
}

// A session survives seal/open unchanged, with the 30-day absolute expiry.
TEST(SessionCookieTest, RoundTrips) {
  test::CountingRandom random;
  const Session s = sampleSession();
  auto back = openSession(box(kKeyA), sealSession(box(kKeyA), s, random), kT0);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(back->sub, s.sub);
  EXPECT_EQ(back->email, s.email);
  EXPECT_TRUE(back->email_verified);
  EXPECT_EQ(back->refresh_token, s.refresh_token);
  EXPECT_EQ(back->id_token_expires_at, s.id_token_expires_at);
  EXPECT_EQ(back->absolute_expires_at, kT0 + seconds(30 * 24 * 3600));
}

// This test verifies the account fingerprint round-trips, is absent from providers' sessions
// (old cookies parse with none), and a malformed one refuses the session.
TEST(SessionCookieTest, AccountFingerprintField) {
  test::CountingRandom random;
  Session s = sampleSession();
  EXPECT_EQ(serializeSession(s).find("afp"), std::string::npos);
  s.account_fingerprint = "0123456789abcdef";
  auto back = openSession(box(kKeyA), sealSession(box(kKeyA), s, random), kT0);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(back->account_fingerprint, "0123456789abcdef");
  const std::string base = R"({"v":1,"sub":"a","em":"","ev":false,"ite":1,"rt":"","iat":1,"exp":2)";
  auto without = parseSession(base + "}");
  ASSERT_TRUE(without);
  EXPECT_TRUE(without->account_fingerprint.empty());
  EXPECT_FALSE(parseSession(base + R"(,"afp":7})"));
  EXPECT_FALSE(parseSession(base + R"(,"afp":")" + std::string(65, 'x') + R"("})"));
}

// This test verifies the fingerprint: 16 base64url characters, stable for one key, name and
// hash, different when any of them changes, and nothing of the hash shows in it.
TEST(AccountFingerprintTest, KeyedAndShort) {
  const std::string hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
  const AccountFingerprinter a(std::string(32, 'a'));
  const AccountFingerprinter b(std::string(32, 'b'));
  const std::string fp = a.fingerprint("alice", hash);
  EXPECT_EQ(fp.size(), kAccountFingerprintChars);
  EXPECT_EQ(fp.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  EXPECT_EQ(fp, a.fingerprint("alice", hash));
  EXPECT_NE(fp, b.fingerprint("alice", hash));
  EXPECT_NE(fp, a.fingerprint("bob", hash));
  EXPECT_NE(fp, a.fingerprint("alice", hash + "x"));
  // The name is length-prefixed: ("ab", "c…") and ("a", "bc…") differ.
  EXPECT_NE(a.fingerprint("ab", "c" + hash), a.fingerprint("a", "bc" + hash));
  EXPECT_EQ(hash.find(fp), std::string::npos);
  EXPECT_TRUE(fingerprintMatches(fp, fp));
  EXPECT_FALSE(fingerprintMatches(fp, b.fingerprint("alice", hash)));
  EXPECT_FALSE(fingerprintMatches("", ""));
  EXPECT_FALSE(fingerprintMatches("", fp));
  EXPECT_FALSE(fingerprintMatches(fp.substr(1), fp));
}

// The whole Set-Cookie line with a ~1,800-character refresh token stays under 4,000 bytes.
TEST(SessionCookieTest, FitsBrowserLimitWithCognitoRefreshToken) {
  test::CountingRandom random;
  const Session s = sampleSession();
  ASSERT_GE(s.refresh_token.size(), 1700u);
  const std::string value = sealSession(box(kKeyA), s, random);
  const std::string header = buildSetCookie(kSessionCookieName, value, {true, seconds(30 * 24 * 3600)});
  EXPECT_LT(header.size(), kMaxCookieBytes);
  EXPECT_EQ(value.size(), SealedBox::sealedSize(serializeSession(s).size()));
  std::printf("refresh token %zu chars, session JSON %zu bytes, cookie value %zu, Set-Cookie %zu bytes\n",
              s.refresh_token.size(), serializeSession(s).size(), value.size(), header.size());
}

// Any flipped character, truncation, wrong key, wrong purpose or garbage is refused.
TEST(SessionCookieTest, RefusesTamperedTruncatedAndForeignCookies) {
  test::CountingRandom random;
  const std::string value = sealSession(box(kKeyA), sampleSession(), random);
  for (std::size_t i : {std::size_t{0}, std::size_t{5}, value.size() / 2, value.size() - 1}) {
    std::string tampered = value;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(openSession(box(kKeyA), tampered, kT0)) << i;
  }
  EXPECT_FALSE(openSession(box(kKeyA), value.substr(0, value.size() - 4), kT0));
  EXPECT_FALSE(openSession(box(kKeyA), value.substr(0, 20), kT0));
  EXPECT_FALSE(openSession(box(kKeyA), "", kT0));
  EXPECT_FALSE(openSession(box(kKeyA), value + "=", kT0));
  EXPECT_FALSE(openSession(box(kKeyA), std::string(20000, 'A'), kT0));
  EXPECT_FALSE(openSession(box(kKeyB), value, kT0));
  EXPECT_FALSE(openSession(box(kKeyA), value, kT0, runtimeSessionPurpose("3000-a.runtime.oh.example.com")));
}

// Rotation: cookies sealed with the previous key still open; new cookies use the current key.
TEST(SessionCookieTest, PreviousKeyStillOpens) {
  test::CountingRandom random;
  const std::string old_cookie = sealSession(box(kKeyA), sampleSession(), random);
  const SealedBox rotated = box(kKeyB, kKeyA);
  EXPECT_TRUE(openSession(rotated, old_cookie, kT0));
  const std::string new_cookie = sealSession(rotated, sampleSession(), random);
  EXPECT_TRUE(openSession(box(kKeyB), new_cookie, kT0));
  EXPECT_FALSE(openSession(box(kKeyA), new_cookie, kT0));
  EXPECT_FALSE(SealedBox::create("short"));
  EXPECT_FALSE(SealedBox::create(kKeyA, std::string("short")));
}

// A valid seal of a non-session payload is refused by the parser.
TEST(SessionCookieTest, RefusesWellSealedGarbage) {
  test::CountingRandom random;
  for (const char* payload : {"", "[]", "{}", R"({"v":2})", R"({"v":1,"sub":"","em":"","ev":true,"rt":"","ite":1,"iat":1,"exp":2})",
                              R"({"v":1,"sub":"u","em":"","ev":"yes","rt":"","ite":1,"iat":1,"exp":2})"}) {
    EXPECT_FALSE(openSession(box(kKeyA), box(kKeyA).seal(kSessionPurpose, payload, random), kT0)) << payload;
  }
}

// valid -> needs_refresh near ID-token expiry -> expired at the absolute end or without a refresh token.
TEST(SessionRenewalTest, Decisions) {
  Session s = sampleSession();
  EXPECT_EQ(renewalDecision(s, kT0), SessionState::valid);
  EXPECT_EQ(renewalDecision(s, kT0 + seconds(3600 - 61)), SessionState::valid);
  EXPECT_EQ(renewalDecision(s, kT0 + seconds(3600 - 60)), SessionState::needs_refresh);
  EXPECT_EQ(renewalDecision(s, kT0 + seconds(86400)), SessionState::needs_refresh);
  EXPECT_EQ(renewalDecision(s, s.absolute_expires_at), SessionState::expired);
  EXPECT_FALSE(openSession(box(kKeyA), sealSession(box(kKeyA), s, *std::make_unique<test::CountingRandom>()),
                           s.absolute_expires_at));
  s.refresh_token.clear();
  EXPECT_EQ(renewalDecision(s, kT0 + seconds(3600)), SessionState::expired);
}

// Renewal keeps the absolute end and the old refresh token unless the provider rotated it.
TEST(SessionRenewalTest, RenewedSessionKeepsAbsoluteExpiry) {
  const Session s = sampleSession();
  IdTokenClaims claims;
  claims.sub = s.sub;
  claims.expires_at = s.absolute_expires_at + seconds(86400);
  const Session r = renewedSession(s, claims, "");
  EXPECT_EQ(r.refresh_token, s.refresh_token);
  EXPECT_EQ(r.id_token_expires_at, s.absolute_expires_at);
  EXPECT_EQ(renewedSession(s, claims, "new-rt").refresh_token, "new-rt");
}

TEST(CookieHeaderTest, BuildsHostOnlyCookie) {
  EXPECT_EQ(buildSetCookie("oh_session", "v", {true, seconds(60)}),
            "oh_session=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
  EXPECT_EQ(buildClearCookie("oh_session", false), "oh_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  EXPECT_EQ(buildSetCookie("x", "v", {true, seconds(60)}).find("Domain"), std::string::npos);
  EXPECT_FALSE(secureCookieFor("http", "localhost"));
  EXPECT_FALSE(secureCookieFor("http", "127.0.0.1"));
  EXPECT_TRUE(secureCookieFor("http", "oh.example.com"));
  EXPECT_TRUE(secureCookieFor("https", "localhost"));
}

// Issue 16: over HTTPS every platform cookie carries the __Host- prefix (a runtime host cannot
// set such a cookie for the main host); plain http keeps the base names (the prefix needs Secure).
TEST(CookieHeaderTest, HostPrefixedNamesOverHttps) {
  EXPECT_EQ(platformCookieName(kSessionCookieName, true), "__Host-oh_session");
  EXPECT_EQ(platformCookieName(kLoginFlowCookieName, true), "__Host-oh_login");
  EXPECT_EQ(platformCookieName(kRuntimeCookieName, true), "__Host-oh_runtime");
  EXPECT_EQ(platformCookieName(kLoginCsrfCookieName, true), "__Host-oh_login_csrf");
  EXPECT_EQ(platformCookieName(kSessionCookieName, false), "oh_session");
  EXPECT_EQ(platformCookieName("theme", true), "theme");
  // What a browser requires of a __Host- cookie: Secure, Path=/, no Domain.
  const std::string line = buildSetCookie(platformCookieName(kSessionCookieName, true), "v", CookieAttributes{true, std::chrono::seconds(60)});
  EXPECT_TRUE(line.starts_with("__Host-oh_session=v; Path=/;")) << line;
  EXPECT_NE(line.find("; Secure"), std::string::npos);
  EXPECT_EQ(line.find("Domain"), std::string::npos);
}

TEST(CookieHeaderTest, FindsAndRemovesCookies) {
  const std::string header = "a=1; oh_session=abc; b=2;oh_session=def;  oh_sessionx=3; =x; junk";
  EXPECT_EQ(findCookies(header, "oh_session"), (std::vector<std::string_view>{"abc", "def"}));
  EXPECT_EQ(findCookies(header, "b"), std::vector<std::string_view>{"2"});
  EXPECT_TRUE(findCookies(header, "missing").empty());
  EXPECT_TRUE(findCookies("", "a").empty());
  EXPECT_EQ(removeCookie(header, "oh_session"), "a=1; b=2; oh_sessionx=3; =x; junk");
  EXPECT_EQ(removeCookie("oh_runtime=1", "oh_runtime"), "");
}

// This test verifies the platform cookie names are one list and that a user's app loses every
// one of them (every occurrence, any spacing) while names that merely resemble them stay.
TEST(CookieHeaderTest, UserAppLosesEveryPlatformCookie) {
  EXPECT_EQ(kPlatformCookieNames.size(), 8u);  // four cookies, each under its http and __Host- name
  for (std::string_view name : kPlatformCookieNames) {
    const std::string header = "a=1; " + std::string(name) + "=x;" + std::string(name) + "=y ;\t" + std::string(name) +
                               "; b=2";
    EXPECT_EQ(withoutPlatformCookies(header, CookieAudience::user_app), std::optional<std::string>("a=1; b=2"))
        << name;
    EXPECT_EQ(withoutPlatformCookies(std::string(name) + "=only", CookieAudience::user_app),
              std::optional<std::string>(""))
        << name;
  }
  // Look-alikes: prefixes, suffixes, platform names inside values, and an empty name.
  for (std::string_view kept : {"my_oh_session=1", "oh_sessionx=1", "oh_=1", "app=oh_session", "x=a;b",
                                "=oh_session", "oh_login_csrfx=1", "OH_SESSION=1", "__Host-oh_sessionx=1",
                                "x__Host-oh_session=1", "__host-oh_session=1", "__Host-oh_=1"}) {
    EXPECT_EQ(withoutPlatformCookies(kept, CookieAudience::user_app), std::nullopt) << kept;
  }
  // A sealed value may contain "oh_" anywhere; only names count.
  EXPECT_EQ(withoutPlatformCookies("v=AAoh_session=BB; oh_runtime=r", CookieAudience::user_app),
            std::optional<std::string>("v=AAoh_session=BB"));
  EXPECT_EQ(withoutPlatformCookies("", CookieAudience::user_app), std::nullopt);
  EXPECT_EQ(withoutPlatformCookies(";;; ;", CookieAudience::user_app), std::nullopt);
  // Oversized: a 64 KiB header of app cookies with one platform cookie at the very end.
  std::string big;
  for (int i = 0; i < 4096; ++i) {
    big += "c" + std::to_string(i) + "=oh_value; ";
  }
  const std::string app_only = big.substr(0, big.size() - 2);
  EXPECT_EQ(withoutPlatformCookies(big + "oh_session=s", CookieAudience::user_app), std::optional(app_only));
}

// This test verifies the OpenHands app keeps the session cookie (and every other cookie) and
// loses the login-flow, CSRF and runtime cookies; untouched headers are not copied.
TEST(CookieHeaderTest, OpenHandsKeepsTheSessionCookie) {
  EXPECT_EQ(withoutPlatformCookies("oh_session=s; theme=dark", CookieAudience::openhands), std::nullopt);
  EXPECT_EQ(withoutPlatformCookies("oh_session=s; oh_login=l; oh_login_csrf=c; oh_runtime=r; z=1",
                                   CookieAudience::openhands),
            std::optional<std::string>("oh_session=s; z=1"));
}

// The login-flow cookie: state must match, the attempt expires after 10 minutes.
TEST(LoginFlowCookieTest, BindsStateAndExpires) {
  test::CountingRandom random;
  const SealedBox b = box(kKeyA);
  const PendingLogin login = newPendingLogin(random, "/conversations/1");
  const std::string cookie = sealLoginFlow(b, login, kT0, random);
  auto back = openLoginFlow(b, cookie, login.state, kT0 + seconds(30));
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(back->nonce, login.nonce);
  EXPECT_EQ(back->code_verifier, login.code_verifier);
  EXPECT_EQ(back->return_path, "/conversations/1");
  EXPECT_EQ(openLoginFlow(b, cookie, "other-state", kT0).error().reason, "state mismatch");
  EXPECT_EQ(openLoginFlow(b, cookie, "", kT0).error().reason, "state mismatch");
  EXPECT_EQ(openLoginFlow(b, cookie, login.state, kT0 + seconds(600)).error().reason, "sign-in attempt expired");
  // A session cookie is not a login-flow cookie.
  EXPECT_FALSE(openLoginFlow(b, sealSession(b, sampleSession(), random), login.state, kT0));
}

TEST(KeyFileTest, AcceptsRawHexAndBase64) {
  EXPECT_EQ(decodeKeyMaterial(kKeyA).value(), kKeyA);
  EXPECT_EQ(decodeKeyMaterial(std::string(64, 'a') + "\n").value(), std::string(32, '\xaa'));
  EXPECT_EQ(decodeKeyMaterial(common::base64Encode(kKeyB) + "\n").value(), kKeyB);
  EXPECT_EQ(decodeKeyMaterial(common::base64UrlEncode(kKeyB)).value(), kKeyB);
  EXPECT_FALSE(decodeKeyMaterial(""));
  EXPECT_FALSE(decodeKeyMaterial("\n"));
  EXPECT_FALSE(decodeKeyMaterial(std::string(31, 'x')));
  EXPECT_FALSE(decodeKeyMaterial(std::string(64, 'g')));
  EXPECT_FALSE(decodeKeyMaterial(std::string(43, '!')));
}

// Issue 16: a key file group or others may access is refused (it used to be only a warning),
// the reason naming the file and the fix.
TEST(KeyFileTest, ReadsFileAndRefusesLoosePermissions) {
  const std::string path = ::testing::TempDir() + "/h6_key_" + std::to_string(::getpid());
  {
    std::ofstream(path) << std::string(64, 'b') << "\n";
  }
  for (const auto mode : {0644, 0640, 0604, 0620}) {
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
    auto refused = readKeyFile(path);
    ASSERT_FALSE(refused) << mode;
    EXPECT_NE(refused.error().reason.find("chmod 600 " + path), std::string::npos) << refused.error().reason;
  }
  ::chmod(path.c_str(), 0600);
  auto key = readKeyFile(path);
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, std::string(32, '\xbb'));
  ::chmod(path.c_str(), 0400);
  EXPECT_TRUE(readKeyFile(path));
  std::remove(path.c_str());
  auto missing = readKeyFile(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().reason.find(path), std::string::npos);
}

// Client secrets: trailing newlines trimmed; empty, oversized or control characters refused.
TEST(KeyFileTest, ReadsSecretFiles) {
  const std::string path = ::testing::TempDir() + "/h6_secret_" + std::to_string(::getpid());
  auto write = [&](const std::string& contents) {
    std::ofstream(path, std::ios::binary) << contents;
    ::chmod(path.c_str(), 0600);
  };
  write("s3cr3t value\r\n");
  EXPECT_EQ(readSecretFile(path).value(), "s3cr3t value");
  write("\n");
  EXPECT_FALSE(readSecretFile(path));
  write(std::string(5000, 'x'));
  EXPECT_FALSE(readSecretFile(path));
  write("a\tb");
  EXPECT_FALSE(readSecretFile(path));
  std::remove(path.c_str());
  EXPECT_FALSE(readSecretFile(path));
}

}  // namespace
}  // namespace oh::gateway::auth
