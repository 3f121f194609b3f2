// HttpsClient against real TLS servers on loopback: the happy paths, every verification
// failure, and hostile or slow peers. Certificates come from make_test_pki.sh (openssl CLI).
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <vector>

#include <boost/json.hpp>

#include "outbound/https_client.h"
#include "test_peer.h"

namespace oh::gateway {
namespace {

namespace fs = std::filesystem;
using oh::testing::TestServer;

const fs::path kTestDir = OH_OUTBOUND_TEST_DIR;
const fs::path kServerScript = kTestDir / "test_server.py";

// Secrets the tests put into requests: no error reason may ever contain them.
constexpr const char* kSecretHeader = "Bearer SECRET-HEADER-VALUE";
constexpr const char* kSecretBody = "client_secret=SECRET-BODY-VALUE";

class OutboundIntegrationTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    pki_ = new fs::path(fs::temp_directory_path() / ("oh-outbound-pki-" + std::to_string(::getpid())));
    if (!oh::testing::runCommand({"bash", (kTestDir / "make_test_pki.sh").string(), pki_->string()})) {
      pki_failed_ = true;
    }
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*pki_, ignored);
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override { ASSERT_FALSE(pki_failed_) << "make_test_pki.sh failed"; }

  static fs::path pki(const std::string& name) { return *pki_ / name; }

  std::unique_ptr<TestServer> startTls(const std::string& cert_name) {
    return std::make_unique<TestServer>(kServerScript, pki(cert_name + ".pem"), pki(cert_name + ".key"));
  }

  static std::unique_ptr<HttpsClient> client(HttpsClient::Options options = trusting()) {
    auto created = HttpsClient::create(std::move(options));
    if (auto* reason = std::get_if<std::string>(&created)) {
      ADD_FAILURE() << *reason;
      return nullptr;
    }
    return std::move(std::get<std::unique_ptr<HttpsClient>>(created));
  }

  static HttpsClient::Options trusting() {
    HttpsClient::Options options;
    options.ca_file = pki("ca.pem").string();
    options.timeout = std::chrono::seconds(10);
    return options;
  }

  static OutboundRequest secretGet(std::string url) {
    return OutboundRequest{"GET", std::move(url), {{"Authorization", kSecretHeader}}, {}};
  }

  static OutboundRequest secretPost(std::string url) {
    return OutboundRequest{"POST", std::move(url),
                           {{"Authorization", kSecretHeader}, {"Content-Type", "application/x-www-form-urlencoded"}},
                           kSecretBody};
  }

  // The error, checked to carry no secret from the request.
  static std::string errorOf(const OutboundResult& result) {
    if (const auto* response = std::get_if<OutboundResponse>(&result)) {
      ADD_FAILURE() << "unexpected response " << response->status << ": " << response->body.substr(0, 200);
      return {};
    }
    const std::string& reason = std::get<std::string>(result);
    EXPECT_EQ(reason.find("SECRET"), std::string::npos) << reason;
    return reason;
  }

  static OutboundResponse responseOf(const OutboundResult& result) {
    if (const auto* reason = std::get_if<std::string>(&result)) {
      ADD_FAILURE() << "unexpected error: " << *reason;
      return {};
    }
    return std::get<OutboundResponse>(result);
  }

  static std::string url(const std::string& host, std::uint16_t port, const std::string& path,
                         const std::string& scheme = "https") {
    return scheme + "://" + host + ":" + std::to_string(port) + path;
  }

private:
  static inline fs::path* pki_ = nullptr;
  static inline bool pki_failed_ = false;
};

// The echo route's view of a request.
struct Echo {
  std::string method;
  std::string path;
  std::string body;
  std::string sni;  // "" when the client sent none
  std::vector<std::pair<std::string, std::string>> headers;

  std::string header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) {
        return value;
      }
    }
    return "<absent>";
  }
};

Echo parseEcho(const std::string& body) {
  Echo echo;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) {
    ADD_FAILURE() << "echo is not JSON: " << body;
    return echo;
  }
  const auto& object = value.as_object();
  echo.method = boost::json::value_to<std::string>(object.at("method"));
  echo.path = boost::json::value_to<std::string>(object.at("path"));
  echo.body = boost::json::value_to<std::string>(object.at("body"));
  if (object.at("sni").is_string()) {
    echo.sni = boost::json::value_to<std::string>(object.at("sni"));
  }
  for (const auto& pair : object.at("headers").as_array()) {
    echo.headers.emplace_back(boost::json::value_to<std::string>(pair.as_array().at(0)),
                              boost::json::value_to<std::string>(pair.as_array().at(1)));
  }
  return echo;
}

// This test verifies a GET with headers to a host name: verified, SNI sent, headers delivered.
TEST_F(OutboundIntegrationTest, GetWithHeaders) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  OutboundRequest request{"GET", url("localhost", server->port(), "/echo?a=1&b=%2F#ignored"),
                          {{"Accept", "application/json"}, {"X-Custom", "value 1"}}, {}};
  const OutboundResponse response = responseOf(https->sendAndWait(request));
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.content_type, "application/json");
  const Echo echo = parseEcho(response.body);
  EXPECT_EQ(echo.method, "GET");
  EXPECT_EQ(echo.path, "/echo?a=1&b=%2F");
  EXPECT_EQ(echo.sni, "localhost");
  EXPECT_EQ(echo.header("Host"), "localhost:" + std::to_string(server->port()));
  EXPECT_EQ(echo.header("Accept"), "application/json");
  EXPECT_EQ(echo.header("X-Custom"), "value 1");
  EXPECT_EQ(echo.header("Content-Length"), "<absent>");
}

// This test verifies a POST with a form body, as the token endpoint receives it.
TEST_F(OutboundIntegrationTest, PostWithBody) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const OutboundResponse response = responseOf(https->sendAndWait(secretPost(url("localhost", server->port(), "/echo"))));
  EXPECT_EQ(response.status, 200U);
  const Echo echo = parseEcho(response.body);
  EXPECT_EQ(echo.method, "POST");
  EXPECT_EQ(echo.body, kSecretBody);
  EXPECT_EQ(echo.header("Content-Length"), std::to_string(std::string(kSecretBody).size()));
  EXPECT_EQ(echo.header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(echo.header("Authorization"), kSecretHeader);
}

// This test verifies that an IP literal is checked against the certificate's IP SANs (no SNI).
TEST_F(OutboundIntegrationTest, IpLiteralVerifiedAgainstIpSan) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const OutboundResponse response = responseOf(https->sendAndWait(secretGet(url("127.0.0.1", server->port(), "/echo"))));
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(parseEcho(response.body).sni, "");
}

// This test verifies an IPv6 literal end to end: brackets in the URL and Host, the address
// checked against the certificate's IP SANs.
TEST_F(OutboundIntegrationTest, Ipv6LiteralVerifiedAgainstIpSan) {
  std::unique_ptr<TestServer> server;
  try {
    server = std::make_unique<TestServer>(kServerScript, pki("good.pem"), pki("good.key"),
                                          std::vector<std::string>{"--bind", "::1"});
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string address = "https://[::1]:" + std::to_string(server->port());
  const OutboundResponse response = responseOf(https->sendAndWait(secretGet(address + "/echo")));
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(parseEcho(response.body).header("Host"), "[::1]:" + std::to_string(server->port()));
  TestServer wrong(kServerScript, pki("wrong_host.pem"), pki("wrong_host.key"), {"--bind", "::1"});
  const std::string reason =
      errorOf(https->sendAndWait(secretGet("https://[::1]:" + std::to_string(wrong.port()) + "/echo")));
  EXPECT_NE(reason.find("certificate verification failed: IP address mismatch"), std::string::npos) << reason;
  EXPECT_NE(reason.find("[::1]:"), std::string::npos) << reason;
}

// This test verifies that several exchanges run at once on the client's one thread.
TEST_F(OutboundIntegrationTest, ConcurrentExchanges) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  constexpr int kCount = 6;
  std::vector<std::future<OutboundResult>> answers;
  std::vector<std::shared_ptr<std::promise<OutboundResult>>> promises;
  for (int i = 0; i < kCount; ++i) {
    auto promise = std::make_shared<std::promise<OutboundResult>>();
    answers.push_back(promise->get_future());
    https->send({"GET", url("localhost", server->port(), "/slow/300"), {}, {}},
                [promise](OutboundResult result) { promise->set_value(std::move(result)); });
  }
  for (auto& answer : answers) {
    const OutboundResponse response = responseOf(answer.get());
    EXPECT_EQ(response.status, 200U);
    EXPECT_EQ(response.body, "late");
  }
}

// This test verifies that a redirect is returned as is, not followed.
TEST_F(OutboundIntegrationTest, RedirectNotFollowed) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const OutboundResponse response = responseOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/redirect"))));
  EXPECT_EQ(response.status, 302U);
  EXPECT_EQ(response.body, "moved");
}

// This test verifies that error statuses come back as responses (the caller judges them).
TEST_F(OutboundIntegrationTest, ErrorStatusIsAResponse) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const OutboundResponse response = responseOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/status/503"))));
  EXPECT_EQ(response.status, 503U);
  EXPECT_EQ(response.body, "status 503");
}

// This test verifies that a certificate from a CA nobody trusts is refused.
TEST_F(OutboundIntegrationTest, UntrustedCertificateRefused) {
  auto server = startTls("untrusted");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("localhost", server->port(), "/echo"))));
  EXPECT_NE(reason.find("certificate verification failed"), std::string::npos) << reason;
}

// This test verifies that the test CA is not trusted without ca_file (system store only).
TEST_F(OutboundIntegrationTest, SystemStoreAloneDoesNotTrustTestCa) {
  auto server = startTls("good");
  auto https = client(HttpsClient::Options{});
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/echo"))));
  EXPECT_NE(reason.find("certificate verification failed"), std::string::npos) << reason;
}

// This test verifies that a trusted certificate for another name is refused, by name and by IP.
TEST_F(OutboundIntegrationTest, WrongHostRefused) {
  auto server = startTls("wrong_host");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string by_name = errorOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/echo"))));
  EXPECT_NE(by_name.find("certificate verification failed: hostname mismatch"), std::string::npos) << by_name;
  const std::string by_ip = errorOf(https->sendAndWait(secretGet(url("127.0.0.1", server->port(), "/echo"))));
  EXPECT_NE(by_ip.find("certificate verification failed: IP address mismatch"), std::string::npos) << by_ip;
}

// This test verifies that an expired certificate from the trusted CA is refused.
TEST_F(OutboundIntegrationTest, ExpiredCertificateRefused) {
  auto server = startTls("expired");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("localhost", server->port(), "/echo"))));
  EXPECT_NE(reason.find("certificate verification failed: certificate has expired"), std::string::npos) << reason;
}

// This test verifies that a server offering only TLS 1.0/1.1 is refused (TLS 1.2 is the floor).
TEST_F(OutboundIntegrationTest, OutdatedTlsVersionRefused) {
  TestServer outdated(kServerScript, pki("good.pem"), pki("good.key"), {"--tls-1-1-only"});
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("localhost", outdated.port(), "/echo"))));
  EXPECT_NE(reason.find("TLS handshake failed"), std::string::npos) << reason;
}

// This test verifies that a server slower than the deadline ends the exchange with a timeout.
TEST_F(OutboundIntegrationTest, SlowServerTimesOut) {
  auto server = startTls("good");
  HttpsClient::Options options = trusting();
  options.timeout = std::chrono::seconds(1);
  auto https = client(options);
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("localhost", server->port(), "/slow/30000"))));
  EXPECT_NE(reason.find("timed out after 1 s (during read)"), std::string::npos) << reason;
}

// This test verifies that the one deadline also covers a peer that never answers the handshake.
TEST_F(OutboundIntegrationTest, SilentPeerTimesOutInHandshake) {
  oh::testing::SilentListener silent;
  HttpsClient::Options options = trusting();
  options.timeout = std::chrono::seconds(1);
  auto https = client(options);
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("localhost", silent.port(), "/token"))));
  EXPECT_NE(reason.find("timed out after 1 s (during TLS handshake)"), std::string::npos) << reason;
}

// This test verifies the response cap: at the limit accepted, above it refused (with a
// Content-Length and chunked).
TEST_F(OutboundIntegrationTest, OversizedResponseRefused) {
  auto server = startTls("good");
  HttpsClient::Options options = trusting();
  options.max_response_bytes = 4096;
  auto https = client(options);
  ASSERT_NE(https, nullptr);
  EXPECT_EQ(responseOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/big/4096")))).body.size(), 4096U);
  for (const char* path : {"/big/4097", "/big/100000000", "/chunked/200000"}) {
    const std::string reason = errorOf(https->sendAndWait(secretGet(url("localhost", server->port(), path))));
    EXPECT_NE(reason.find("response larger than 4096 bytes"), std::string::npos) << path << ": " << reason;
  }
  EXPECT_EQ(responseOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/chunked/4000")))).body,
            std::string(4000, 'y'));
}

// This test verifies that a response head beyond the header cap is refused.
TEST_F(OutboundIntegrationTest, HugeResponseHeaderRefused) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretGet(url("localhost", server->port(), "/hugeheader"))));
  EXPECT_NE(reason.find("response header larger than"), std::string::npos) << reason;
}

// This test verifies that a refused connection is reported as such.
TEST_F(OutboundIntegrationTest, ConnectionRefused) {
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("127.0.0.1", oh::testing::closedPort(), "/token"))));
  EXPECT_NE(reason.find("connect failed"), std::string::npos) << reason;
}

// This test verifies that an answer that is not HTTP, or no answer, is an error.
TEST_F(OutboundIntegrationTest, MalformedOrMissingAnswer) {
  auto server = startTls("good");
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string malformed = errorOf(https->sendAndWait(secretPost(url("localhost", server->port(), "/malformed"))));
  EXPECT_NE(malformed.find("malformed response"), std::string::npos) << malformed;
  const std::string hangup = errorOf(https->sendAndWait(secretPost(url("localhost", server->port(), "/hangup"))));
  EXPECT_NE(hangup.find("connection closed before a complete response"), std::string::npos) << hangup;
}

// This test verifies that plain http works to loopback only when allowed, and never elsewhere.
TEST_F(OutboundIntegrationTest, PlainHttpOnlyToLoopback) {
  TestServer plain(kServerScript, {}, {});
  HttpsClient::Options options;
  options.allow_loopback_http = true;
  auto relaxed = client(options);
  ASSERT_NE(relaxed, nullptr);
  const OutboundResponse response =
      responseOf(relaxed->sendAndWait(secretPost(url("127.0.0.1", plain.port(), "/echo", "http"))));
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(parseEcho(response.body).body, kSecretBody);
  const OutboundResponse by_name =
      responseOf(relaxed->sendAndWait(secretGet(url("localhost", plain.port(), "/status/204", "http"))));
  EXPECT_EQ(by_name.status, 204U);

  const std::string elsewhere = errorOf(relaxed->sendAndWait(secretGet("http://192.0.2.1/echo")));
  EXPECT_NE(elsewhere.find("https required"), std::string::npos) << elsewhere;
  auto strict = client();
  ASSERT_NE(strict, nullptr);
  const std::string not_allowed = errorOf(strict->sendAndWait(secretGet(url("127.0.0.1", plain.port(), "/echo", "http"))));
  EXPECT_NE(not_allowed.find("https required"), std::string::npos) << not_allowed;
}

// This test verifies that https to a plain-http server fails cleanly (no hang, no crash).
TEST_F(OutboundIntegrationTest, HttpsToPlainServerFails) {
  TestServer plain(kServerScript, {}, {});
  auto https = client();
  ASSERT_NE(https, nullptr);
  const std::string reason = errorOf(https->sendAndWait(secretPost(url("127.0.0.1", plain.port(), "/echo"))));
  EXPECT_NE(reason.find("TLS handshake failed"), std::string::npos) << reason;
}

}  // namespace
}  // namespace oh::gateway
