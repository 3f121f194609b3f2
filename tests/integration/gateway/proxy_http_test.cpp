// HTTP proxying through the real oh-gateway: headers, bodies, keep-alive, response policy,
// upstream failures, health endpoints, metrics, access log and graceful shutdown.
#include <signal.h>

#include <future>
#include <thread>

#include "gateway_fixture.h"

namespace oh::testing {
namespace {

using namespace std::chrono_literals;

class ProxyHttpTest : public GatewayTest {};

// A GET reaches the upstream with the forwarding headers added, Host preserved and
// hop-by-hop fields removed; the response loses the upstream's Server header.
TEST_F(ProxyHttpTest, GetForwardsHeadersAndRemovesHopByHop) {
  OH_START_GATEWAY(baseConfig());
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "GET /echo?x=1 HTTP/1.1\r\nHost: app.example.test\r\n"
      "Connection: keep-alive, X-Client-Hop\r\nX-Client-Hop: drop-me\r\nKeep-Alive: timeout=5\r\n"
      "Proxy-Connection: keep-alive\r\nTE: trailers\r\nX-End-To-End: keep-me\r\n\r\n"));
  const auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  ASSERT_EQ(response->status, 200) << response->body;
  const auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value()) << response->body;
  EXPECT_EQ(echoed->method, "GET");
  EXPECT_EQ(echoed->target, "/echo?x=1");
  EXPECT_EQ(findHeader(echoed->headers, "Host"), "app.example.test");
  EXPECT_EQ(countHeader(echoed->headers, "Host"), 1u);
  EXPECT_EQ(findHeader(echoed->headers, "X-End-To-End"), "keep-me");
  EXPECT_EQ(findHeader(echoed->headers, "X-Real-IP"), "127.0.0.1");
  EXPECT_EQ(findHeader(echoed->headers, "X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(findHeader(echoed->headers, "X-Forwarded-Proto"), "http");
  EXPECT_EQ(findHeader(echoed->headers, "X-Forwarded-Host"), "app.example.test");
  EXPECT_FALSE(findHeader(echoed->headers, "X-Client-Hop").has_value());
  EXPECT_FALSE(findHeader(echoed->headers, "Keep-Alive").has_value());
  EXPECT_FALSE(findHeader(echoed->headers, "Proxy-Connection").has_value());
  EXPECT_FALSE(findHeader(echoed->headers, "TE").has_value());
  const auto server = response->header("Server");
  EXPECT_TRUE(!server || server->find("test-upstream") == std::string::npos) << *server;
}

// Hop-by-hop fields of the upstream's response (listed in Connection, Keep-Alive) are removed.
TEST_F(ProxyHttpTest, ResponseHopByHopRemoved) {
  OH_START_GATEWAY(baseConfig());
  const auto response = get("/hop");
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);
  EXPECT_FALSE(response->header("X-Upstream-Hop").has_value());
  EXPECT_FALSE(response->header("Keep-Alive").has_value());
  EXPECT_EQ(response->body, "hop\n");
}

// A client's own X-Forwarded-For is not believed from an untrusted peer.
TEST_F(ProxyHttpTest, UntrustedForwardedForIsNotBelieved) {
  OH_START_GATEWAY(baseConfig());
  const auto response = get("/echo", {{"X-Forwarded-For", "203.0.113.9"},
                                      {"X-Real-IP", "203.0.113.9"},
                                      {"X-Forwarded-Proto", "https"}});
  ASSERT_TRUE(response.has_value());
  const auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value()) << response->body;
  EXPECT_EQ(findHeader(echoed->headers, "X-Real-IP"), "127.0.0.1");
  EXPECT_EQ(countHeader(echoed->headers, "X-Real-IP"), 1u);
  EXPECT_EQ(findHeader(echoed->headers, "X-Forwarded-Proto"), "http") << "spoofed scheme believed";
  const auto forwarded = findHeader(echoed->headers, "X-Forwarded-For").value_or("");
  // Appending to the chain is fine; the last hop must be the real peer.
  EXPECT_TRUE(forwarded == "127.0.0.1" || forwarded.ends_with(", 127.0.0.1")) << forwarded;
}

// POST bodies (sized and chunked) arrive byte-exact.
TEST_F(ProxyHttpTest, PostBodiesSizedAndChunked) {
  OH_START_GATEWAY(baseConfig());
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 100000\r\n\r\n"));
  ASSERT_TRUE(client.sendPattern(100000));
  auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value()) << response->body;
  EXPECT_EQ(echoed->method, "POST");
  EXPECT_EQ(echoed->body_bytes, 100000u);
  EXPECT_EQ(echoed->body_sha256, patternSha256Hex(100000));

  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_TRUE(client.sendChunkedPattern(250000, 9999));
  response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value()) << response->body;
  EXPECT_EQ(echoed->body_bytes, 250000u);
  EXPECT_EQ(echoed->body_sha256, patternSha256Hex(250000));
}

// A client that asks for 100 Continue gets it from the gateway before it sends the body, sized
// or chunked; the upstream gets the body without the Expect field, and its answer follows.
TEST_F(ProxyHttpTest, ExpectContinue) {
  OH_START_GATEWAY(baseConfig());
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  ReadOptions interim;
  interim.keep_interim = true;
  interim.timeout = 10s;
  for (const bool chunked : {false, true}) {
    ASSERT_TRUE(client.send(std::string("POST /upload HTTP/1.1\r\nHost: gateway.test\r\nExpect: 100-continue\r\n") +
                            (chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: 70000\r\n\r\n")));
    const auto go_ahead = client.readResponse(interim);
    ASSERT_TRUE(go_ahead.has_value()) << client.error();
    EXPECT_EQ(go_ahead->status, 100);
    ASSERT_TRUE(chunked ? client.sendChunkedPattern(70000, 4096) : client.sendPattern(70000));
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << client.error();
    ASSERT_EQ(response->status, 200) << response->body;
    const auto echoed = parseEcho(response->body);
    ASSERT_TRUE(echoed.has_value()) << response->body;
    EXPECT_EQ(echoed->body_bytes, 70000u) << (chunked ? "chunked" : "sized");
    EXPECT_EQ(echoed->body_sha256, patternSha256Hex(70000));
    EXPECT_FALSE(findHeader(echoed->headers, "Expect").has_value());
  }
}

// Sized and chunked response bodies arrive byte-exact.
TEST_F(ProxyHttpTest, ResponseBodiesSizedAndChunked) {
  OH_START_GATEWAY(baseConfig());
  for (const std::string path : {"/bytes/1048576", "/chunked/1048576", "/bytes/0"}) {
    const auto response = get(path);
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_EQ(response->status, 200) << path;
    const std::uint64_t expected = path == "/bytes/0" ? 0 : 1048576;
    EXPECT_EQ(response->body_bytes, expected) << path;
    EXPECT_TRUE(response->body_matches_pattern) << path;
  }
}

// Several requests on one client connection are answered in order, and the gateway reuses
// its upstream connections rather than opening one per request.
TEST_F(ProxyHttpTest, KeepAliveOnBothSides) {
  auto config = baseConfig();
  config.threads = 1;
  OH_START_GATEWAY(config);
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  constexpr int kRequests = 6;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(client.send(buildRequest("GET", "/echo?n=" + std::to_string(i), {}, {})));
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << "request " << i << ": " << client.error();
    ASSERT_EQ(response->status, 200);
    const auto echoed = parseEcho(response->body);
    ASSERT_TRUE(echoed.has_value());
    EXPECT_EQ(echoed->target, "/echo?n=" + std::to_string(i));
  }
  EXPECT_LT(upstream_.connectionsAccepted(), static_cast<std::uint64_t>(kRequests));
}

// An upstream that dies mid-body: the client's connection ends (it cannot get a complete
// response), nothing hangs, and the gateway keeps serving.
TEST_F(ProxyHttpTest, UpstreamDiesMidBody) {
  OH_START_GATEWAY(baseConfig());
  RawClient client{port()};
  ASSERT_TRUE(client.send(buildRequest("GET", "/truncated/100000", {}, {})));
  ReadOptions options;
  options.timeout = std::chrono::seconds(20);
  const auto response = client.readResponse(options);
  if (response) {
    // Only acceptable if the gateway answered with an error instead of a truncated 200.
    EXPECT_GE(response->status, 500) << "a truncated upstream body was passed off as complete";
  } else {
    EXPECT_NE(client.error().find("closed"), std::string::npos) << client.error();
  }
  expectAlive();
  const auto next = get("/echo");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

// The upstream's own error statuses pass through unchanged.
TEST_F(ProxyHttpTest, UpstreamErrorStatusesPassThrough) {
  OH_START_GATEWAY(baseConfig());
  for (const int status : {404, 500, 503}) {
    const auto response = get("/status/" + std::to_string(status));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->body, "status\n");
  }
}

// HTML responses are made uncacheable (the reference design's edge-function policy).
TEST_F(ProxyHttpTest, HtmlIsNotCached) {
  OH_START_GATEWAY(baseConfig());
  const auto response = get("/html");
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Cache-Control"), "no-cache, no-store, must-revalidate");
  EXPECT_EQ(response->headerCount("Cache-Control"), 1u);
  EXPECT_EQ(response->header("Pragma"), "no-cache");
  EXPECT_EQ(response->header("Expires"), "0");
  EXPECT_NE(response->body.find("test page"), std::string::npos);
}

// Nothing listening upstream: 502, and in local mode a page that says what to start.
TEST_F(ProxyHttpTest, UpstreamDownGives502WithLocalPage) {
  auto config = baseConfig();
  config.upstream_url = "http://127.0.0.1:" + std::to_string(unusedPort());
  OH_START_GATEWAY(config);
  const auto response = get("/", {{"Accept", "text/html"}});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 502);
  EXPECT_NE(response->body.find("OpenHands"), std::string::npos) << response->body;
  const auto again = get("/api/options");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 502);
}

// An upstream slower than the read timeout gives 504.
TEST_F(ProxyHttpTest, SlowUpstreamGives504) {
  auto config = baseConfig();
  config.read_timeout_seconds = 1;
  OH_START_GATEWAY(config);
  const auto response = get("/slow/4000");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 504);
  // A fast request still works afterwards.
  const auto fast = get("/echo");
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->status, 200);
}

// A head that trickles in a byte at a time is cut off client_header_timeout after its first
// byte instead of being kept alive by every byte (slowloris), and the gateway serves on.
TEST_F(ProxyHttpTest, TricklingHeadIsCutOff) {
  auto config = baseConfig();
  config.client_header_timeout_seconds = 1;
  OH_START_GATEWAY(config);
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Slow: "));
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  // A byte every 200 ms for up to 10 s, ten times the timeout.
  while (!closed && std::chrono::steady_clock::now() - started < 10s) {
    std::this_thread::sleep_for(200ms);
    closed = !client.send("a", 1s) || client.waitForClose(1ms);
  }
  EXPECT_TRUE(closed) << "a trickling head kept its connection open for 10 s";
  expectAlive();
}

// A keep-alive connection left idle after its response is closed after client_idle_timeout.
TEST_F(ProxyHttpTest, IdleKeepAliveConnectionClosed) {
  auto config = baseConfig();
  config.client_idle_timeout_seconds = 1;
  OH_START_GATEWAY(config);
  RawClient client{port()};
  ASSERT_TRUE(client.send(buildRequest("GET", "/echo", {}, {})));
  const auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.waitForClose(10s)) << "an idle keep-alive connection outlived client_idle_timeout by 9 s";
}

// Health is about the gateway; readiness is about the upstream.
TEST_F(ProxyHttpTest, HealthAndReadiness) {
  OH_START_GATEWAY(baseConfig());
  auto health = get("/_gateway/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  auto ready = get("/_gateway/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 200);
  for (const auto& request : upstream_.requests()) {
    EXPECT_EQ(request.target.find("/_gateway/"), std::string::npos) << "gateway endpoint proxied: " << request.target;
  }
}

TEST_F(ProxyHttpTest, NotReadyWhenUpstreamDown) {
  auto config = baseConfig();
  config.upstream_url = "http://127.0.0.1:" + std::to_string(unusedPort());
  OH_START_GATEWAY(config);
  const auto health = get("/_gateway/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  const auto ready = get("/_gateway/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 503);
}

// The admin listener serves Prometheus text that counts what happened.
TEST_F(ProxyHttpTest, MetricsCountRequests) {
  OH_START_GATEWAY(baseConfig());
  ASSERT_NE(gateway_->adminPort(), 0) << "no admin port in the ready line";
  for (int i = 0; i < 3; ++i) {
    const auto response = get("/echo");
    ASSERT_TRUE(response.has_value());
  }
  const auto missing = get("/status/404");
  ASSERT_TRUE(missing.has_value());
  const auto metrics = simpleRequest(gateway_->adminPort(), "GET", "/metrics", {}, {}, "127.0.0.1");
  ASSERT_TRUE(metrics.has_value());
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->header("Content-Type").value_or("").find("text/plain"), std::string::npos);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("# TYPE"), std::string::npos) << text;
  EXPECT_NE(text.find("_bucket{"), std::string::npos) << "no latency histogram:\n" << text;
  // Some counter line carries status 200 with a value of at least 3, and 404 is counted.
  bool found200 = false;
  bool found404 = false;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto value = std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
    if (line.find("200") != std::string::npos && line.find("request") != std::string::npos && value >= 3) {
      found200 = true;
    }
    if (line.find("404") != std::string::npos && line.find("request") != std::string::npos && value >= 1) {
      found404 = true;
    }
  }
  EXPECT_TRUE(found200) << text;
  EXPECT_TRUE(found404) << text;
  // The admin endpoint is not on the public listener.
  const auto public_metrics = get("/metrics");
  ASSERT_TRUE(public_metrics.has_value());
  EXPECT_FALSE(public_metrics->body.find("# TYPE") != std::string::npos);
}

// The access log is one JSON object per request and never carries secrets.
TEST_F(ProxyHttpTest, AccessLogIsJsonWithoutSecrets) {
  OH_START_GATEWAY(baseConfig());
  const auto response = get("/echo?code=SECRETCODE123&state=S2STATEVALUE&session_api_key=KEYSECRET9&tkn=TKNSECRET7&page=2",
                            {{"Cookie", "oh_session=COOKIESECRET42"},
                             {"Authorization", "Bearer BEARERSECRET77"},
                             {"User-Agent", "integration-test"}});
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);
  ASSERT_TRUE(gateway_->waitForStdout(
      [](std::string_view line) { return line.find("/echo") != std::string_view::npos; }, 10s))
      << "no access-log line for /echo on stdout:\n"
      << gateway_->stdoutText();
  for (const auto& line : gateway_->stdoutLines()) {
    if (line.find("/echo") != std::string::npos) {
      EXPECT_TRUE(isJsonObject(line)) << line;
    }
  }
  const std::string everything = gateway_->stdoutText() + gateway_->stderrText();
  for (const char* secret : {"SECRETCODE123", "S2STATEVALUE", "KEYSECRET9", "TKNSECRET7", "COOKIESECRET42",
                             "BEARERSECRET77"}) {
    EXPECT_EQ(everything.find(secret), std::string::npos) << secret << " leaked into the logs:\n" << everything;
  }
}

// SIGTERM lets an in-flight request finish, then the process exits 0.
TEST_F(ProxyHttpTest, SigtermDrainsInFlightRequest) {
  OH_START_GATEWAY(baseConfig());
  RawClient client{port()};
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(buildRequest("GET", "/slow/1500", {}, {})));
  ASSERT_TRUE(upstream_.waitForRequests(1, 10s));
  ASSERT_TRUE(gateway_->signal(SIGTERM));
  const auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << "in-flight request dropped on SIGTERM: " << client.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow response done\n");
  const auto status = gateway_->waitForExit(20s);
  ASSERT_TRUE(status.has_value()) << "oh-gateway did not exit after draining";
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe() << "\n" << gateway_->stderrText();
  // No new connections are accepted once it has gone.
  RawClient late{port()};
  EXPECT_FALSE(late.connected());
}

// check-config accepts the file the tests use and names the key of a bad value.
TEST_F(ProxyHttpTest, CheckConfigNamesBadKey) {
  OH_START_GATEWAY(baseConfig());
  const auto good = gateway_->writeFile("good.toml", baseConfig().toml());
  auto [ok_status, ok_output] = gateway_->runToCompletion({"check-config", good.string()});
  EXPECT_TRUE(ok_status.exited && ok_status.code == 0) << ok_output;
  const auto bad = gateway_->writeFile("bad.toml", "mode = \"local\"\n[upstream]\nconnect_timeout_seconds = -5\n");
  auto [bad_status, bad_output] = gateway_->runToCompletion({"check-config", bad.string()});
  EXPECT_TRUE(bad_status.exited && bad_status.code != 0) << bad_output;
  EXPECT_NE(bad_output.find("upstream.connect_timeout_seconds"), std::string::npos) << bad_output;
}

}  // namespace
}  // namespace oh::testing
