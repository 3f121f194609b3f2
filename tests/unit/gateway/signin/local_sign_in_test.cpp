// SignIn decisions for local accounts: the login page, the form (CSRF, body read through the
// gate, password check off the calling thread), throttling, a saturated pool, open-redirect
// attempts, logout, and the users-file permission warning.

#include <gtest/gtest.h>

#include <deque>
#include <thread>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "auth/key_file.h"
#include "auth/local_login_page.h"
#include "auth/local_users.h"
#include "auth/runtime_handoff.h"
#include "auth/token_exchange.h"
#include "sign_in_test_support.h"

namespace oh::gateway::signin_test {
namespace {

class LocalSignInTest : public ::testing::Test {
protected:
  LocalSignInTest() {
    SignInDependencies deps;
    deps.clock = clock_;
    deps.random = std::make_shared<auth::test::CountingRandom>();
    deps.make_client = [](const HttpsClient::Options&) {
      ADD_FAILURE() << "local accounts need no HTTPS client";
      return std::variant<std::unique_ptr<HttpsClient>, std::string>(std::string("unused"));
    };
    deps.submit_blocking = [this](std::function<void()> job) {
      if (pool_full_) {
        return false;
      }
      queued_.push_back(std::move(job));
      return true;
    };
    services_ = std::make_unique<SignInServices>(std::move(deps));
  }

  Settings settings() const {
    Settings s;
    s.mode = Mode::local;
    s.auth.provider = AuthProvider::local;
    s.auth.cookie_secure = false;
    s.auth.cookie_key_file = files_.path("cookie.key");
    s.auth.users_file = files_.path("users");
    return s;
  }

  // Signs alice in with `password`; returns "oh_session=…" ("" when refused).
  std::string signInAlice(const std::string& password) {
    const std::string token = csrf();
    auto out = post("alice", password, "/", token, token);
    EXPECT_TRUE(out && out->decision);
    return out && out->decision ? cookiePair(out->decision->reply, "oh_session") : std::string();
  }

  static TestRequest apiCall(const std::string& cookie, const std::string& host = "oh.test") {
    TestRequest r;
    r.target = "/api/x";
    r.host = host;
    r.cookie = cookie;
    r.accept = "application/json";
    r.sec_fetch_mode = "cors";
    return r;
  }

  SignIn& signIn() {
    if (!sign_in_) {
      auto built = services_->build(std::make_shared<const Settings>(settings()));
      if (auto* problem = std::get_if<std::string>(&built)) {
        ADD_FAILURE() << *problem;
      } else {
        sign_in_ = std::get<std::shared_ptr<SignIn>>(built);
      }
    }
    return *sign_in_;
  }

  // Builds the sign-in with runtime hosts under runtime.oh.test and a ticket key.
  void useRuntimeHosts() {
    Settings s = settings();
    s.auth.ticket_key_file = files_.path("ticket.key");
    s.runtime.enabled = true;
    s.runtime.host_suffixes = {"runtime.oh.test"};
    auto built = services_->build(std::make_shared<const Settings>(s));
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<SignIn>>(built)) << std::get<std::string>(built);
    sign_in_ = std::get<std::shared_ptr<SignIn>>(built);
  }

  // The hand-off for `runtime_host` with the main `session` ("oh_session=…"): the main host
  // issues the ticket, the runtime host redeems it. Returns "oh_runtime=…" ("" when refused).
  std::string runtimeCookie(const std::string& session, const std::string& runtime_host) {
    TestRequest handoff;
    handoff.target = "/_gateway/handoff?host=" + runtime_host + "&rd=%2F";
    handoff.cookie = session;
    auto issued = run(signIn(), handoff);
    EXPECT_TRUE(issued && issued->decision);
    if (!issued || !issued->decision) {
      return {};
    }
    const std::string ticket_url = header(issued->decision->reply, "Location");
    const std::size_t ticket = ticket_url.find("/_gateway/ticket?");
    EXPECT_NE(ticket, std::string::npos) << ticket_url;
    if (ticket == std::string::npos) {
      return {};
    }
    TestRequest redeem;
    redeem.host = runtime_host;
    redeem.target = ticket_url.substr(ticket);
    auto redeemed = run(signIn(), redeem, HostRole::runtime);
    EXPECT_TRUE(redeemed && redeemed->decision);
    return redeemed && redeemed->decision ? cookiePair(redeemed->decision->reply, "oh_runtime") : std::string();
  }

  // Runs the queued password checks (the pool's threads, here on the test thread).
  void drain() {
    while (!queued_.empty()) {
      auto job = std::move(queued_.front());
      queued_.pop_front();
      job();
    }
  }

  // GET the login page; returns the CSRF value (cookie and form field are the same value).
  std::string csrf() {
    TestRequest get;
    get.target = "/_gateway/login?rd=%2Fconversations%2F1";
    auto page = run(signIn(), get);
    EXPECT_TRUE(page && page->decision);
    const std::string pair = cookiePair(page->decision->reply, "oh_login_csrf");
    return pair.substr(pair.find('=') + 1);
  }

  // POSTs the form (two calls: the gate first asks for the body). Returns the final outcome.
  std::optional<AuthOutcome> post(const std::string& user, const std::string& password, const std::string& rd,
                                   const std::string& token, const std::string& cookie_token) {
    TestRequest r;
    r.method = "POST";
    r.target = "/_gateway/login";
    r.cookie = cookie_token.empty() ? "" : "oh_login_csrf=" + cookie_token;
    auto first = run(signIn(), r);
    EXPECT_TRUE(first && first->decision);
    if (!first || !first->decision) {
      return std::nullopt;
    }
    EXPECT_EQ(first->decision->kind, GateDecision::Kind::read_body);
    EXPECT_EQ(first->decision->body_limit, 8u * 1024);
    r.body = "username=" + auth::formEncode(user) + "&password=" + auth::formEncode(password) +
             "&rd=" + auth::formEncode(rd) + "&csrf=" + auth::formEncode(token);
    auto pending = std::make_shared<std::optional<AuthOutcome>>();
    auto immediate = run(signIn(), r, HostRole::main, false, pending);
    if (immediate) {
      return immediate;
    }
    drain();
    return *pending;
  }

  Files files_;
  std::shared_ptr<auth::test::FakeClock> clock_ = std::make_shared<auth::test::FakeClock>(1'800'000'000);
  std::unique_ptr<SignInServices> services_;
  std::shared_ptr<SignIn> sign_in_;
  std::deque<std::function<void()>> queued_;
  bool pool_full_ = false;
};

// This test verifies a page load without a session goes to the login page with the return path.
TEST_F(LocalSignInTest, RedirectsToLoginPage) {
  TestRequest r;
  r.target = "/conversations/1?x=2";
  auto out = run(signIn(), r);
  ASSERT_TRUE(out && out->decision);
  EXPECT_EQ(out->decision->reply.status, 302u);
  EXPECT_EQ(header(out->decision->reply, "Location"), "/_gateway/login?rd=%2Fconversations%2F1%3Fx%3D2");
  for (const std::string hostile : {"//evil.example", "/\\evil.example", "/%2F%2Fevil.example", "/%5cevil.example"}) {
    r.target = hostile;
    EXPECT_EQ(header(run(signIn(), r)->decision->reply, "Location"), "/_gateway/login?rd=%2F") << hostile;
  }
}

// This test verifies the login page: HTML without external assets, a CSRF cookie, no caching.
TEST_F(LocalSignInTest, LoginPage) {
  TestRequest get;
  get.target = "/_gateway/login?rd=%2Fconversations%2F1";
  auto page = run(signIn(), get);
  ASSERT_TRUE(page && page->decision);
  const ErrorReply& reply = page->decision->reply;
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.content_type, "text/html; charset=utf-8");
  EXPECT_NE(reply.body.find("<form"), std::string::npos);
  EXPECT_EQ(reply.body.find("<script"), std::string::npos);
  EXPECT_NE(header(reply, "Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(header(reply, "Cache-Control"), "no-store");
  const std::string cookie = cookiePair(reply, "oh_login_csrf");
  ASSERT_FALSE(cookie.empty());
  // No Secure on http://localhost (auth.cookie_secure = false).
  for (const std::string& line : setCookies(reply)) {
    EXPECT_EQ(line.find("Secure"), std::string::npos);
    EXPECT_NE(line.find("HttpOnly"), std::string::npos);
  }
}

// This test verifies a correct password signs in (after the body was asked for), returning to
// the path, and the session then carries the account name as the identity.
TEST_F(LocalSignInTest, SignInWithPassword) {
  const std::string token = csrf();
  auto out = post("alice", std::string(kPassword), "/conversations/1", token, token);
  ASSERT_TRUE(out && out->decision);
  EXPECT_EQ(out->decision->reply.status, 302u) << out->decision->reply.body;
  EXPECT_EQ(header(out->decision->reply, "Location"), "/conversations/1");
  const std::string session = cookiePair(out->decision->reply, "oh_session");
  ASSERT_FALSE(session.empty());
  TestRequest next;
  next.target = "/api/x";
  next.cookie = session + "; oh_login_csrf=" + token;
  auto forwarded = run(signIn(), next);
  ASSERT_TRUE(forwarded);
  EXPECT_FALSE(forwarded->decision);
  EXPECT_EQ(forwarded->identity->sub, "alice");
  EXPECT_FALSE(forwarded->plan.cookie);  // left to the gate
  // Logout clears it.
  next.target = "/_logout";
  auto out2 = run(signIn(), next);
  EXPECT_EQ(out2->decision->reply.status, 302u);
  EXPECT_TRUE(cookiePair(out2->decision->reply, "oh_session").empty());
}

// This test verifies a removed account's session stops working once the users file is reloaded.
TEST_F(LocalSignInTest, RemovedAccountSignedOutOnReload) {
  const std::string token = csrf();
  auto out = post("alice", std::string(kPassword), "/", token, token);
  const std::string session = cookiePair(out->decision->reply, "oh_session");
  TestRequest next;
  next.target = "/api/x";
  next.cookie = session;
  next.accept = "application/json";
  next.sec_fetch_mode = "cors";
  EXPECT_TRUE(run(signIn(), next)->identity);
  auto removed = auth::removeUser(files_.path("users"), "alice");
  ASSERT_TRUE(removed);
  auto rebuilt = services_->build(std::make_shared<const Settings>(settings()));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<SignIn>>(rebuilt));
  sign_in_ = std::get<std::shared_ptr<SignIn>>(rebuilt);
  auto refused = run(signIn(), next);
  ASSERT_TRUE(refused && refused->decision);
  EXPECT_EQ(refused->decision->reply.status, 401u);
}

// This test verifies users file changes apply without a reload: an account added after start
// can sign in at once, and a removed account's session is refused once the change is noticed.
TEST_F(LocalSignInTest, UsersFileChangesApplyWithoutReload) {
  SignIn& sign_in = signIn();
  auto added = auth::addUser(files_.path("users"), "bob", "another password", auth::PasswordHashParams::minimumForTests());
  ASSERT_TRUE(added);
  const std::string token = csrf();
  auto out = post("bob", "another password", "/", token, token);
  ASSERT_TRUE(out && out->decision);
  EXPECT_EQ(out->decision->reply.status, 302u);
  TestRequest next;
  next.target = "/api/x";
  next.cookie = cookiePair(out->decision->reply, "oh_session");
  next.accept = "application/json";
  next.sec_fetch_mode = "cors";
  EXPECT_TRUE(run(sign_in, next)->identity);

  ASSERT_TRUE(auth::removeUser(files_.path("users"), "bob"));
  // The file is looked at no more than every two seconds (a stat on the request path); the
  // re-read itself is queued on the pool.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  run(sign_in, next);
  drain();
  auto refused = run(sign_in, next);
  ASSERT_TRUE(refused && refused->decision);
  EXPECT_EQ(refused->decision->reply.status, 401u);
}

// This test verifies a hostile return path in the form lands on "/".
TEST_F(LocalSignInTest, FormReturnPathSanitised) {
  for (const std::string hostile : {"//evil.example", "https:evil.example", "/%2F%2Fevil.example", "/\\evil.example",
                                    "HTTPS://evil.example", "/%252F%252Fevil.example"}) {
    const std::string token = csrf();
    auto out = post("alice", std::string(kPassword), hostile, token, token);
    ASSERT_TRUE(out && out->decision);
    EXPECT_EQ(header(out->decision->reply, "Location"), "/") << hostile;
  }
}

// This test verifies wrong passwords and unknown users get 401 with the form again, and after
// five free failures (the sixth is recorded with a lock) the account is throttled with 429 and Retry-After (before any password check).
TEST_F(LocalSignInTest, WrongPasswordThenThrottled) {
  const std::string token = csrf();
  auto unknown = post("mallory", "whatever-password", "/", token, token);
  EXPECT_EQ(unknown->decision->reply.status, 401u);
  for (int i = 0; i < 5; ++i) {
    auto out = post("alice", "wrong-password", "/", token, token);
    ASSERT_TRUE(out && out->decision);
    EXPECT_EQ(out->decision->reply.status, 401u);
    EXPECT_NE(out->decision->reply.body.find("Wrong user name or password."), std::string::npos);
    EXPECT_TRUE(cookiePair(out->decision->reply, "oh_session").empty());
  }
  auto fifth = post("ALICE", "wrong-password", "/", token, token);
  EXPECT_EQ(fifth->decision->reply.status, 401u);
  auto throttled = post("alice", std::string(kPassword), "/", token, token);
  ASSERT_TRUE(throttled && throttled->decision);
  EXPECT_EQ(throttled->decision->reply.status, 429u);
  EXPECT_GE(std::stoi(header(throttled->decision->reply, "Retry-After")), 1);
  EXPECT_TRUE(queued_.empty());
  // After the lock passes, the right password works.
  clock_->advance(std::chrono::seconds(3600));
  auto later = post("alice", std::string(kPassword), "/", token, csrf());
  EXPECT_EQ(later->decision->reply.status, 403u);  // a CSRF token from another page load
  const std::string fresh = csrf();
  EXPECT_EQ(post("alice", std::string(kPassword), "/", fresh, fresh)->decision->reply.status, 302u);
}

// This test verifies CSRF: a form without the cookie, or with a different token, gets 403.
TEST_F(LocalSignInTest, LoginCsrf) {
  const std::string token = csrf();
  EXPECT_EQ(post("alice", std::string(kPassword), "/", token, "")->decision->reply.status, 403u);
  EXPECT_EQ(post("alice", std::string(kPassword), "/", token, csrf())->decision->reply.status, 403u);
  clock_->advance(std::chrono::seconds(601));
  EXPECT_EQ(post("alice", std::string(kPassword), "/", token, token)->decision->reply.status, 403u);
}

// This test verifies malformed forms and other methods are refused.
TEST_F(LocalSignInTest, MalformedForm) {
  TestRequest r;
  r.method = "POST";
  r.target = "/_gateway/login";
  r.body = "username=a&username=b&password=x";
  EXPECT_EQ(run(signIn(), r)->decision->reply.status, 400u);
  r.body = "%zz";
  EXPECT_EQ(run(signIn(), r)->decision->reply.status, 400u);
  r.body = std::string(9000, 'a');
  EXPECT_EQ(run(signIn(), r)->decision->reply.status, 400u);
  r.method = "PUT";
  r.body.reset();
  EXPECT_EQ(run(signIn(), r)->decision->reply.status, 405u);
}

// This test verifies a saturated password-check pool answers 503 instead of queueing.
TEST_F(LocalSignInTest, PoolFull) {
  const std::string token = csrf();
  pool_full_ = true;
  auto out = post("alice", std::string(kPassword), "/", token, token);
  ASSERT_TRUE(out && out->decision);
  EXPECT_EQ(out->decision->reply.status, 503u);
  EXPECT_EQ(header(out->decision->reply, "Retry-After"), "1");
}

// This test verifies a users file readable by others is refused (issue 16: it used to be used
// with a logged warning), naming the file and the fix, and a broken users file fails the build
// with its key.
TEST_F(LocalSignInTest, UsersFileChecks) {
  std::filesystem::permissions(files_.path("users"), std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  auto built = services_->build(std::make_shared<const Settings>(settings()));
  ASSERT_TRUE(std::holds_alternative<std::string>(built));
  EXPECT_TRUE(std::get<std::string>(built).starts_with("auth.users_file:")) << std::get<std::string>(built);
  EXPECT_NE(std::get<std::string>(built).find("chmod 600 " + files_.path("users")), std::string::npos)
      << std::get<std::string>(built);

  files_.write("users", "alice:not-a-hash\n", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  built = services_->build(std::make_shared<const Settings>(settings()));
  ASSERT_TRUE(std::holds_alternative<std::string>(built));
  EXPECT_TRUE(std::get<std::string>(built).starts_with("auth.users_file:")) << std::get<std::string>(built);
}

// Issue 16: attempts were checked before the hash and counted after it, so attempts sent in
// parallel all passed. Twenty wrong-password posts arriving together (none of their hashes has
// run yet) now let through the five free attempts and the one that locks, and get 429 for
// the rest; the parallel attempts of another account from the same IP are unaffected.
TEST_F(LocalSignInTest, ParallelAttemptsAreThrottledBeforeTheHash) {
  const std::string token = csrf();
  int throttled = 0;
  std::vector<std::shared_ptr<std::optional<AuthOutcome>>> pending;
  for (int i = 0; i < 20; ++i) {
    TestRequest r;
    r.method = "POST";
    r.target = "/_gateway/login";
    r.cookie = "oh_login_csrf=" + token;
    r.body = "username=alice&password=wrong-" + std::to_string(i) + "&rd=%2F&csrf=" + auth::formEncode(token);
    auto later = std::make_shared<std::optional<AuthOutcome>>();
    auto immediate = run(signIn(), r, HostRole::main, false, later);
    if (!immediate) {
      pending.push_back(later);  // waiting for its hash
    } else if (immediate->decision && immediate->decision->reply.status == 429u) {
      ++throttled;
    }
  }
  EXPECT_EQ(queued_.size(), 6u);  // five free attempts and the one that locks the account
  EXPECT_EQ(throttled, 14);
  drain();
  for (const auto& outcome : pending) {
    ASSERT_TRUE(*outcome && (*outcome)->decision);
    EXPECT_EQ((*outcome)->decision->reply.status, 401u);
  }
  // The account is locked now: even the right password waits.
  const std::string fresh = csrf();
  EXPECT_EQ(post("alice", std::string(kPassword), "/", fresh, fresh)->decision->reply.status, 429u);
}

// Issue 16, cookie tossing on plain http (no __Host- prefix possible): a runtime app can plant
// oh_session, oh_login_csrf and oh_runtime copies for the main host with a longer Path, which
// browsers send first. An invalid copy never decides while a valid one is there: the session
// still signs in, the login form still accepts its real CSRF cookie, the runtime cookie still opens
// the app, and a planted copy alone is refused.
TEST_F(LocalSignInTest, PlantedCookiesNeverDecide) {
  useRuntimeHosts();
  const std::string session = signInAlice(std::string(kPassword));
  ASSERT_FALSE(session.empty());
  auto signed_in = run(signIn(), apiCall("oh_session=planted-by-an-app; " + session + "; oh_session=x"));
  ASSERT_TRUE(signed_in);
  EXPECT_FALSE(signed_in->decision) << signed_in->decision->reply.status;
  ASSERT_TRUE(signed_in->identity);
  EXPECT_EQ(signed_in->identity->sub, "alice");
  auto planted_only = run(signIn(), apiCall("oh_session=planted-by-an-app"));
  ASSERT_TRUE(planted_only && planted_only->decision);
  EXPECT_EQ(planted_only->decision->reply.status, 401u);

  const std::string token = csrf();
  TestRequest login;
  login.method = "POST";
  login.target = "/_gateway/login";
  login.cookie = "oh_login_csrf=planted; oh_login_csrf=" + token;
  login.body = "username=alice&password=" + auth::formEncode(std::string(kPassword)) + "&rd=%2F&csrf=" +
               auth::formEncode(token);
  auto pending = std::make_shared<std::optional<AuthOutcome>>();
  auto immediate = run(signIn(), login, HostRole::main, false, pending);
  if (!immediate) {
    drain();
    immediate = *pending;
  }
  ASSERT_TRUE(immediate && immediate->decision);
  EXPECT_EQ(immediate->decision->reply.status, 302u);

  const std::string runtime_host = "3000-abcdef123456.runtime.oh.test";
  const std::string runtime = runtimeCookie(session, runtime_host);
  ASSERT_FALSE(runtime.empty());
  TestRequest app;
  app.host = runtime_host;
  app.cookie = "oh_runtime=planted-by-a-sibling-app; " + runtime;
  auto opened = run(signIn(), app, HostRole::runtime);
  ASSERT_TRUE(opened);
  EXPECT_FALSE(opened->decision);
  ASSERT_TRUE(opened->identity);
  EXPECT_EQ(opened->identity->sub, "alice");
}

// Issue 16: /_gateway/handoff sent its ticket to any host that merely looked like a runtime
// host. A host the router's grammar does not read as one of this main host's runtime hosts gets
// 400 (no ticket, no redirect), and the ticket URL names the host rebuilt from its parts.
TEST_F(LocalSignInTest, HandOffHostIsTheRoutersGrammarRebuilt) {
  useRuntimeHosts();
  const std::string session = signInAlice(std::string(kPassword));
  for (const std::string host :
       {"evil.test%252f3000-abcdef123456.runtime.oh.test", "evil.test%2f3000-abcdef123456.runtime.oh.test",
        "evil.test%5c3000-abcdef123456.runtime.oh.test", "evil.test%403000-abcdef123456.runtime.oh.test",
        "evil%E3%80%82test%2f3000-abcdef123456.runtime.oh.test", "3000-abcdef123456.runtime.oh.test%2f.evil.test",
        "3000-abcdef123456.runtime.oh.test%3a80%40evil.test", "3000-abc.runtime.oh.test", "runtime.oh.test",
        "3000-abcdef123456.runtime.oh.test.evil.test", "3000-abcdef123456.runtime.oh.test%23"}) {
    TestRequest handoff;
    handoff.target = "/_gateway/handoff?host=" + host + "&rd=%2F";
    handoff.cookie = session;
    auto out = run(signIn(), handoff);
    ASSERT_TRUE(out && out->decision) << host;
    EXPECT_EQ(out->decision->reply.status, 400u) << host << " -> " << header(out->decision->reply, "Location");
  }
  TestRequest mixed;
  mixed.target = "/_gateway/handoff?host=3000-ABCDEF123456.Runtime.OH.test&rd=%2F";
  mixed.cookie = session;
  auto out = run(signIn(), mixed);
  ASSERT_TRUE(out && out->decision);
  EXPECT_TRUE(header(out->decision->reply, "Location").starts_with("http://3000-abcdef123456.runtime.oh.test/_gateway/ticket?"))
      << header(out->decision->reply, "Location");
}

// This test verifies a password change revokes the account's sessions without a reload: the
// main session and a runtime cookie obtained through the hand-off both stop working once the
// changed users file is noticed; the old password is refused and the new one signs in.
TEST_F(LocalSignInTest, PasswordChangeRevokesSessions) {
  useRuntimeHosts();
  const std::string session = signInAlice(std::string(kPassword));
  ASSERT_FALSE(session.empty());
  EXPECT_TRUE(run(signIn(), apiCall(session))->identity);

  const std::string runtime_host = "3000-abcdef123456.runtime.oh.test";  // the router's grammar
  const std::string runtime_cookie = runtimeCookie(session, runtime_host);
  ASSERT_FALSE(runtime_cookie.empty());
  EXPECT_TRUE(run(signIn(), apiCall(runtime_cookie, runtime_host), HostRole::runtime)->identity);

  ASSERT_TRUE(auth::setPassword(files_.path("users"), "alice", "a brand new password",
                                auth::PasswordHashParams::minimumForTests()));
  // Noticed by the next request after the two-second stat interval; re-read on the pool.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  run(signIn(), apiCall(session));
  drain();
  auto main_refused = run(signIn(), apiCall(session));
  ASSERT_TRUE(main_refused && main_refused->decision);
  EXPECT_EQ(main_refused->decision->reply.status, 401u);
  auto runtime_refused = run(signIn(), apiCall(runtime_cookie, runtime_host), HostRole::runtime);
  ASSERT_TRUE(runtime_refused && runtime_refused->decision);
  EXPECT_EQ(runtime_refused->decision->reply.status, 401u);  // scripts: 401 JSON toward the hand-off

  EXPECT_TRUE(signInAlice(std::string(kPassword)).empty());
  const std::string fresh = signInAlice("a brand new password");
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(run(signIn(), apiCall(fresh))->identity->sub, "alice");
}

// This test verifies a runtime cookie lapses within its hour while the 30-day main session
// does not: the lapsed cookie gets a page load sent back through the hand-off and a script a 401,
// and the hand-off run again gives a cookie that works. A cookie is bound to its host: it opens
// nothing on another app's host, nor on the same app's other port.
TEST_F(LocalSignInTest, RuntimeCookieLapsesAndHandOffRenewsIt) {
  useRuntimeHosts();
  const std::string session = signInAlice(std::string(kPassword));
  ASSERT_FALSE(session.empty());
  const std::string runtime_host = "3000-abcdef123456.runtime.oh.test";  // the router's grammar
  const std::string runtime_cookie = runtimeCookie(session, runtime_host);
  ASSERT_FALSE(runtime_cookie.empty());
  EXPECT_TRUE(run(signIn(), apiCall(runtime_cookie, runtime_host), HostRole::runtime)->identity);
  for (const std::string other_host : {"3000-abd.runtime.oh.test", "3001-abc.runtime.oh.test"}) {
    auto elsewhere = run(signIn(), apiCall(runtime_cookie, other_host), HostRole::runtime);
    ASSERT_TRUE(elsewhere && elsewhere->decision) << other_host;
    EXPECT_EQ(elsewhere->decision->reply.status, 401u) << other_host;
  }

  // Without a refresh token a session is valid until the renewal margin before its end, the
  // rule every session follows (a request never runs on an identity about to lapse).
  const auto good_for = auth::kRuntimeSessionLifetime - auth::kRenewalMargin;
  clock_->advance(good_for - std::chrono::seconds(1));
  EXPECT_TRUE(run(signIn(), apiCall(runtime_cookie, runtime_host), HostRole::runtime)->identity);
  clock_->advance(std::chrono::seconds(2));
  auto script = run(signIn(), apiCall(runtime_cookie, runtime_host), HostRole::runtime);
  ASSERT_TRUE(script && script->decision);
  EXPECT_FALSE(script->identity);
  EXPECT_EQ(script->decision->reply.status, 401u);
  TestRequest page;
  page.host = runtime_host;
  page.target = "/add?x=1";
  page.cookie = runtime_cookie;
  auto reload = run(signIn(), page, HostRole::runtime);
  ASSERT_TRUE(reload && reload->decision);
  EXPECT_EQ(reload->decision->reply.status, 302u);
  const std::string location = header(reload->decision->reply, "Location");
  EXPECT_TRUE(location.starts_with("http://oh.test/_gateway/handoff?host=" + runtime_host)) << location;
  EXPECT_NE(location.find("rd=%2Fadd%3Fx%3D1"), std::string::npos) << location;

  // The main session is an hour old of its 30 days: the hand-off runs without a sign-in.
  EXPECT_TRUE(run(signIn(), apiCall(session))->identity);
  const std::string renewed = runtimeCookie(session, runtime_host);
  ASSERT_FALSE(renewed.empty());
  EXPECT_NE(renewed, runtime_cookie);
  EXPECT_EQ(run(signIn(), apiCall(renewed, runtime_host), HostRole::runtime)->identity->sub, "alice");
}

// This test verifies the fingerprint survives a cookie-key rotation (previous key configured),
// and that a session without one (sealed before password binding) is refused once.
TEST_F(LocalSignInTest, FingerprintAcrossKeyRotationAndOldSessions) {
  Settings s = settings();
  s.auth.cookie_key_file = files_.path("cookie-old.key");
  auto built = services_->build(std::make_shared<const Settings>(s));
  sign_in_ = std::get<std::shared_ptr<SignIn>>(built);
  const std::string session = signInAlice(std::string(kPassword));
  ASSERT_FALSE(session.empty());
  s.auth.cookie_key_file = files_.path("cookie.key");
  s.auth.cookie_previous_key_file = files_.path("cookie-old.key");
  built = services_->build(std::make_shared<const Settings>(s));
  sign_in_ = std::get<std::shared_ptr<SignIn>>(built);
  EXPECT_TRUE(run(signIn(), apiCall(session))->identity);

  // A session as the gateway sealed them before sessions carried a fingerprint.
  auto key = auth::readKeyFile(files_.path("cookie.key"));
  ASSERT_TRUE(key);
  auto box = auth::SealedBox::create(*key, std::nullopt);
  ASSERT_TRUE(box);
  auth::test::CountingRandom random;
  const auth::Session old = auth::localAccountSession("alice", clock_->now(), std::chrono::hours(24));
  ASSERT_TRUE(old.account_fingerprint.empty());
  const std::string old_cookie = "oh_session=" + auth::sealSession(*box, old, random);
  auto refused = run(signIn(), apiCall(old_cookie));
  ASSERT_TRUE(refused && refused->decision);
  EXPECT_EQ(refused->decision->reply.status, 401u);
}

}  // namespace
}  // namespace oh::gateway::signin_test
