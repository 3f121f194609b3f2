// Sign-in through the real oh-gateway binary against the real oidc-provider test provider,
// served over HTTPS with a certificate from a CA made at test time (auth.ca_file): full
// sign-in, identity headers, spoofing, silent renewal, logout, open redirects, state mismatch,
// tampered cookies, JWKS rotation, provider down, and the runtime hand-off.

#include <thread>

#include "signin_fixture.h"

namespace oh::testing {
namespace {

using std::chrono::seconds;

// This test verifies the full code flow through the binary: 302 to the provider, the provider's
// login, /_callback, back to the page; the upstream then sees the identity from the session and
// none of the client's spoofed X-Cognito-* headers or the gateway's flow cookies.
TEST_F(SignInIntegrationTest, FullSignInForwardsIdentity) {
  startProvider(300);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser browser(port(), std::string(kMainHost));
  EXPECT_EQ(signIn(browser, "/conversations/7?tab=files"), "/conversations/7?tab=files");

  browser.jar()["oh_login_csrf"] = "stale";
  auto echoed_response = browser.fetch("/api/echo", {{"X-Cognito-User-Id", "admin"},
                                                     {"x-cognito-EMAIL", "admin@evil.example"},
                                                     {"X-COGNITO-Groups", "admins"}});
  ASSERT_TRUE(echoed_response);
  ASSERT_EQ(echoed_response->status, 200) << echoed_response->body;
  auto echoed = parseEcho(echoed_response->body);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(findHeader(echoed->headers, "X-Cognito-User-Id"), std::optional<std::string>("alice"));
  EXPECT_EQ(findHeader(echoed->headers, "X-Cognito-Email"), std::optional<std::string>("alice@example.test"));
  EXPECT_EQ(findHeader(echoed->headers, "X-Cognito-Email-Verified"), std::optional<std::string>("true"));
  EXPECT_EQ(countHeader(echoed->headers, "X-Cognito-User-Id"), 1u);
  EXPECT_EQ(countHeader(echoed->headers, "X-Cognito-Groups"), 0u);
  const std::string cookie = findHeader(echoed->headers, "Cookie").value_or("");
  EXPECT_EQ(cookie.find("oh_login_csrf"), std::string::npos) << cookie;

  // The client secret never reaches the gateway's output.
  EXPECT_EQ(gateway_->stdoutText().find(info_.client_secret), std::string::npos);
  EXPECT_EQ(gateway_->stderrText().find(info_.client_secret), std::string::npos);
}

// This test verifies the provider's certificate is verified: without auth.ca_file (the system
// store does not know the test CA), or with another CA, discovery fails. The gateway starts
// anyway (health 200) but is not ready, names the key and the TLS reason, and answers sign-ins
// with 503.
TEST_F(SignInIntegrationTest, UntrustedProviderCertificateRefused) {
  startProvider(300);
  for (const std::string& ca : {std::string(), pkiFile("rogue_ca.pem")}) {
    GatewayConfig config = baseConfig();
    config.auth_toml = oidcAuthToml();
    const std::string line = "ca_file = \"" + pkiFile("ca.pem") + "\"\n";
    config.auth_toml.replace(config.auth_toml.find(line), line.size(),
                             ca.empty() ? std::string() : "ca_file = \"" + ca + "\"\n");
    GatewayProcess gateway(GatewayProcess::defaultBinary());
    const auto failure = gateway.start(config.toml());
    ASSERT_FALSE(failure.has_value()) << *failure;
    EXPECT_EQ(simpleRequest(gateway.port(), "GET", "/_gateway/health", {})->status, 200);
    EXPECT_EQ(simpleRequest(gateway.port(), "GET", "/_gateway/ready", {})->status, 503);
    Browser browser(gateway.port(), std::string(kMainHost));
    EXPECT_EQ(browser.navigate("/")->status, 503);
    const std::string log = gateway.stderrText();
    EXPECT_NE(log.find("auth.oidc.issuer"), std::string::npos) << log;
    EXPECT_NE(log.find("certificate verification failed"), std::string::npos) << log;
    EXPECT_EQ(log.find(info_.client_secret), std::string::npos);
    gateway.stop();
  }
}

// This test verifies an OIDC provider that is down when the gateway starts: the gateway starts
// anyway; /_gateway/health says 200 and /_gateway/ready 503 (the access log names the reason);
// a page load gets a 503 page and a script 503 JSON, both with Retry-After. Once the provider
// is up, discovery succeeds in the background and sign-in works without a restart.
TEST_F(SignInIntegrationTest, ProviderDownAtStart) {
  startProvider(300);  // to learn its port and client settings (its keys stay in keys.json)
  const std::uint16_t provider_port = info_.port;
  stopProvider();
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  const pid_t pid = gateway_->pid();
  EXPECT_EQ(get("/_gateway/health")->status, 200);
  EXPECT_EQ(get("/_gateway/ready")->status, 503);
  Browser browser(port(), std::string(kMainHost));
  auto page = browser.navigate("/conversations/1");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 503);
  EXPECT_NE(page->header("Content-Type").value_or("").find("text/html"), std::string::npos);
  EXPECT_TRUE(page->header("Retry-After").has_value());
  auto api = browser.fetch("/api/conversations");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 503);
  EXPECT_NE(api->header("Content-Type").value_or("").find("application/json"), std::string::npos);
  EXPECT_TRUE(api->header("Retry-After").has_value());
  EXPECT_NE(gateway_->stderrText().find("auth.oidc.issuer: OIDC discovery of"), std::string::npos)
      << gateway_->stderrText();

  startProvider(300, /*rotate=*/false, provider_port);
  // Retries back off 1, 2, 4, ... s (capped at 30 s): wait for the next one to succeed.
  const auto deadline = std::chrono::steady_clock::now() + seconds(90);
  int ready = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto answer = get("/_gateway/ready");
    ready = answer ? answer->status : 0;
    if (ready == 200) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(ready, 200) << gateway_->stderrText();
  EXPECT_EQ(signIn(browser, "/conversations/1"), "/conversations/1");
  auto echoed = browser.fetch("/api/echo");
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->status, 200);
  EXPECT_EQ(gateway_->pid(), pid);
  expectAlive();
  // The not-ready answers named the reason in the access log (flushed periodically: by now).
  EXPECT_NE(gateway_->stdoutText().find("OIDC discovery of"), std::string::npos) << gateway_->stdoutText();
}

// This test verifies requests without a session: a script gets 401 JSON (no redirect), a page
// load a redirect to the provider, and spoofed identity headers reach nothing.
TEST_F(SignInIntegrationTest, WithoutSession) {
  startProvider(300);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser browser(port(), std::string(kMainHost));
  auto api = browser.fetch("/api/conversations", {{"X-Cognito-User-Id", "admin"}});
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401);
  EXPECT_NE(api->header("Content-Type").value_or("").find("application/json"), std::string::npos);
  auto ws = simpleRequest(port(), "GET", "/socket.io/?EIO=4&transport=websocket",
                          {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Version", "13"},
                           {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}},
                          {}, kMainHost);
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->status, 401);
  EXPECT_TRUE(upstream_.requests().empty());
  // An unconfigured host cannot start a sign-in: it is not served at all (421, issue 16).
  Browser stranger(port(), "evil.test");
  auto refused = stranger.navigate("/");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 421);
}

// This test verifies silent renewal: once the ID token is within a minute of expiry, the next
// request is renewed with the refresh token (a new cookie, the same user) without a redirect;
// then /_logout clears the session and sends the browser to the provider's logout.
TEST_F(SignInIntegrationTest, SilentRenewalThenLogout) {
  startProvider(70);  // "valid" for 10 s (renewal starts 60 s before expiry)
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser browser(port(), std::string(kMainHost));
  signIn(browser, "/");
  const std::string first_cookie = browser.jar()["__Host-oh_session"];
  std::this_thread::sleep_for(seconds(11));
  auto renewed = browser.fetch("/api/echo");
  ASSERT_TRUE(renewed);
  ASSERT_EQ(renewed->status, 200) << renewed->body << gateway_->stderrText();
  EXPECT_FALSE(setCookiePair(*renewed, "__Host-oh_session").empty());
  EXPECT_NE(browser.jar()["__Host-oh_session"], first_cookie);
  auto echoed = parseEcho(renewed->body);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(findHeader(echoed->headers, "X-Cognito-User-Id"), std::optional<std::string>("alice"));
  // The renewed cookie is used as is (no second renewal).
  auto again = browser.fetch("/api/echo");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_TRUE(setCookiePair(*again, "__Host-oh_session").empty());

  auto out = browser.navigate("/_logout");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 302);
  EXPECT_TRUE(deletesCookie(*out, "__Host-oh_session"));
  EXPECT_TRUE(out->header("Location").value_or("").starts_with(info_.issuer + "/session/end?"));
  EXPECT_EQ(browser.jar().count("__Host-oh_session"), 0u);
  auto after = browser.fetch("/api/echo");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

// This test verifies hostile return paths land on "/" after a real sign-in (no open redirect).
TEST_F(SignInIntegrationTest, OpenRedirectAttempts) {
  startProvider(300);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  // Targets that are not origin-form never reach sign-in: the request policy refuses them.
  for (const std::string target : {"//evil.example", "https:evil.example", "//EVIL.Example/x"}) {
    Browser browser(port(), std::string(kMainHost));
    auto refused = browser.navigate(target);
    ASSERT_TRUE(refused) << target;
    EXPECT_EQ(refused->status, 400) << target;
    EXPECT_FALSE(refused->header("Location").has_value()) << target;
  }
  // Origin-form paths a browser could still read as another origin once decoded.
  for (const std::string target : {"/\\evil.example", "/%2F%2Fevil.example", "/%2f%5Cevil.example",
                                   "/%252F%252Fevil.example", "/%09/evil.example", "/%2F%2FEVIL.example%2F"}) {
    Browser browser(port(), std::string(kMainHost));
    EXPECT_EQ(signIn(browser, target), "/") << target;
  }
}

// This test verifies a callback whose state does not match its login-flow cookie, or that comes
// without it, is refused with 400 and sets no session.
TEST_F(SignInIntegrationTest, StateMismatch) {
  startProvider(300);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser browser(port(), std::string(kMainHost));
  auto first = browser.navigate("/");
  ASSERT_TRUE(first);
  const std::string callback = loginAtProvider(first->header("Location").value_or(""));
  const std::string state = queryParam(callback, "state");
  ASSERT_FALSE(state.empty());
  // Another attempt's login-flow cookie (the attacker's), then no cookie at all.
  Browser attacker(port(), std::string(kMainHost));
  attacker.navigate("/");
  Browser victim(port(), std::string(kMainHost));
  victim.jar()["__Host-oh_login"] = attacker.jar()["__Host-oh_login"];
  auto swapped = victim.navigate(callback);
  ASSERT_TRUE(swapped);
  EXPECT_EQ(swapped->status, 400);
  EXPECT_EQ(victim.jar().count("__Host-oh_session"), 0u);
  Browser bare(port(), std::string(kMainHost));
  auto without = bare.navigate(callback);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 400);
  // The real browser's callback still works (a refused attempt does not consume the flow).
  auto good = browser.navigate(callback);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 302);
}

// This test verifies tampered and truncated session cookies are refused and deleted.
TEST_F(SignInIntegrationTest, TamperedCookies) {
  startProvider(300);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser browser(port(), std::string(kMainHost));
  signIn(browser, "/");
  const std::string good = browser.jar()["__Host-oh_session"];
  std::string flipped = good;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {flipped, good.substr(0, good.size() - 4), std::string("x") + good}) {
    Browser forged(port(), std::string(kMainHost));
    forged.jar()["__Host-oh_session"] = bad;
    auto response = forged.fetch("/api/echo");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    EXPECT_TRUE(deletesCookie(*response, "__Host-oh_session"));
  }
  EXPECT_EQ(browser.fetch("/api/echo")->status, 200);
}

// This test verifies the provider being down: sessions keep working (no call needed), and a
// code exchange that cannot reach the token endpoint gives 502, not a crash or a hang.
TEST_F(SignInIntegrationTest, ProviderDown) {
  startProvider(300);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser browser(port(), std::string(kMainHost));
  signIn(browser, "/");
  Browser late(port(), std::string(kMainHost));
  auto first = late.navigate("/");
  const std::string callback = loginAtProvider(first->header("Location").value_or(""));
  stopProvider();
  EXPECT_EQ(browser.fetch("/api/echo")->status, 200);
  auto failed = late.navigate(callback);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 502);
  EXPECT_EQ(late.jar().count("__Host-oh_session"), 0u);
  expectAlive();
}

// This test verifies JWKS rotation: the provider restarts with a new signing key in front of the
// old one; the next sign-in carries a kid the gateway has not seen, which makes it refetch the
// JWKS once (after the one-minute rate limit since its start-up fetch) and succeed. Sessions
// made before keep working.
TEST_F(SignInIntegrationTest, JwksKeyRotation) {
  startProvider(600);
  startOidcGateway();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser before(port(), std::string(kMainHost));
  signIn(before, "/");
  const std::string old_kid = info_.signing_kid;
  const std::uint16_t provider_port = info_.port;
  startProvider(600, /*rotate=*/true, provider_port);
  ASSERT_NE(info_.signing_kid, old_kid);
  // The start-up fetch counts against the refetch limit (60 s).
  std::this_thread::sleep_until(gateway_started_ + seconds(61));
  Browser after(port(), std::string(kMainHost));
  EXPECT_EQ(signIn(after, "/x"), "/x");
  EXPECT_EQ(after.fetch("/api/echo")->status, 200);
  EXPECT_EQ(before.fetch("/api/echo")->status, 200);
  EXPECT_NE(gateway_->stdoutText().find("fetching") + gateway_->stderrText().find("fetching"), 2 * std::string::npos);
}

// This test verifies the runtime hand-off through the binary: a runtime host without its own
// cookie goes to the main host, which issues a one-time ticket bound to that runtime host; the
// runtime host sets its own host-only cookie. A replayed or misbound ticket gets 403, and the
// main session cookie alone never opens a runtime host.
TEST_F(SignInIntegrationTest, RuntimeHandOff) {
  startProvider(300);
  startOidcGateway("", "[runtime]\nenabled = true\nhost_suffixes = [\"runtime.oh.test\"]\ndocker_socket = \"" +
                           path("no-docker.sock") + "\"\n");
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  Browser main(port(), std::string(kMainHost));
  signIn(main, "/");
  const std::string app_host = "3000-abcdef123456.runtime.oh.test";
  Browser app(port(), app_host);
  app.jar()["__Host-oh_session"] = main.jar()["__Host-oh_session"];  // a browser never sends it here; prove it is useless
  auto start = app.navigate("/index.html");
  ASSERT_TRUE(start);
  ASSERT_EQ(start->status, 302) << start->body;
  const std::string handoff = start->header("Location").value_or("");
  ASSERT_TRUE(handoff.starts_with("https://oh.test/_gateway/handoff?")) << handoff;
  auto issued = main.navigate(originForm(handoff));
  ASSERT_TRUE(issued);
  ASSERT_EQ(issued->status, 302) << issued->body;
  const std::string ticket_url = issued->header("Location").value_or("");
  ASSERT_TRUE(ticket_url.starts_with("https://" + app_host + "/_gateway/ticket?")) << ticket_url;

  // Misbound: redeemed on another runtime host (does not consume the ticket).
  Browser other(port(), "3001-abcdef123456.runtime.oh.test");
  auto misbound = other.navigate(originForm(ticket_url));
  ASSERT_TRUE(misbound);
  EXPECT_EQ(misbound->status, 403);

  auto redeemed = app.navigate(originForm(ticket_url));
  ASSERT_TRUE(redeemed);
  EXPECT_EQ(redeemed->status, 302);
  EXPECT_EQ(redeemed->header("Location"), std::optional<std::string>("/index.html"));
  const std::string runtime_cookie = setCookiePair(*redeemed, "__Host-oh_runtime");
  ASSERT_FALSE(runtime_cookie.empty());
  for (const HeaderField& field : redeemed->headers) {
    if (equalsIgnoreCase(field.name, "Set-Cookie") && field.value.starts_with("__Host-oh_runtime=")) {
      EXPECT_EQ(field.value.find("Domain"), std::string::npos) << field.value;  // host-only
      EXPECT_NE(field.value.find("HttpOnly"), std::string::npos);
    }
  }
  auto replayed = app.navigate(originForm(ticket_url));
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 403);

  // With its cookie the runtime host passes sign-in (the app itself is not running: no 302).
  auto through = app.navigate("/index.html");
  ASSERT_TRUE(through);
  EXPECT_NE(through->status, 302);
  EXPECT_NE(through->status, 401);
  expectAlive();
}

}  // namespace
}  // namespace oh::testing
