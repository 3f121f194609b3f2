// HttpsClient behaviour that needs no peer: creation, and refusals before any socket opens.
// Exchanges with real TLS servers are in tests/integration/outbound.
#include "outbound/https_client.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

namespace oh::gateway {
namespace {

std::unique_ptr<HttpsClient> makeClient(HttpsClient::Options options = {}) {
  auto created = HttpsClient::create(std::move(options));
  if (auto* reason = std::get_if<std::string>(&created)) {
    ADD_FAILURE() << *reason;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<HttpsClient>>(created));
}

std::string createFailure(HttpsClient::Options options) {
  auto created = HttpsClient::create(std::move(options));
  if (!std::holds_alternative<std::string>(created)) {
    ADD_FAILURE() << "create succeeded";
    return {};
  }
  return std::get<std::string>(created);
}

std::string errorOf(const OutboundResult& result) {
  if (const auto* reason = std::get_if<std::string>(&result)) {
    return *reason;
  }
  ADD_FAILURE() << "unexpected response with status " << std::get<OutboundResponse>(result).status;
  return {};
}

class TempFile {
public:
  explicit TempFile(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() / ("oh-outbound-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(counter_++) + ".pem");
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// This test verifies that a client with the system store alone is created.
TEST(HttpsClientTest, CreatesWithSystemStore) {
  EXPECT_NE(makeClient(), nullptr);
}

// This test verifies that a missing CA file fails creation and names the file.
TEST(HttpsClientTest, MissingCaFileFailsCreate) {
  HttpsClient::Options options;
  options.ca_file = "/nonexistent/oh-ca.pem";
  EXPECT_NE(createFailure(options).find("/nonexistent/oh-ca.pem"), std::string::npos);
}

// This test verifies that a CA file without certificates (garbage, empty) fails creation.
TEST(HttpsClientTest, GarbageCaFileFailsCreate) {
  for (const std::string& content : {std::string("not a certificate\n"), std::string(),
                                    std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
    TempFile file(content);
    HttpsClient::Options options;
    options.ca_file = file.path();
    EXPECT_NE(createFailure(options).find("cannot load CA file"), std::string::npos) << content;
  }
}

// This test verifies that a directory given as CA file fails creation.
TEST(HttpsClientTest, DirectoryAsCaFileFailsCreate) {
  HttpsClient::Options options;
  options.ca_file = std::filesystem::temp_directory_path().string();
  EXPECT_NE(createFailure(options).find("cannot load CA file"), std::string::npos);
}

// This test verifies that nonsensical limits are refused at creation.
TEST(HttpsClientTest, InvalidOptionsFailCreate) {
  HttpsClient::Options zero_timeout;
  zero_timeout.timeout = std::chrono::seconds(0);
  EXPECT_EQ(createFailure(zero_timeout), "outbound timeout must be positive");
  HttpsClient::Options zero_size;
  zero_size.max_response_bytes = 0;
  EXPECT_EQ(createFailure(zero_size), "outbound max_response_bytes must be positive");
}

// This test verifies that plain http is refused without the loopback option, and to
// non-loopback hosts with it, before any connection is attempted.
TEST(HttpsClientTest, PlainHttpRefused) {
  auto strict = makeClient();
  ASSERT_NE(strict, nullptr);
  EXPECT_NE(errorOf(strict->sendAndWait({"GET", "http://127.0.0.1:9/", {}, {}})).find("https required"), std::string::npos);
  HttpsClient::Options loopback;
  loopback.allow_loopback_http = true;
  auto relaxed = makeClient(loopback);
  ASSERT_NE(relaxed, nullptr);
  // 192.0.2.0/24 is TEST-NET-1: even if a connection were attempted it would go nowhere.
  EXPECT_NE(errorOf(relaxed->sendAndWait({"GET", "http://192.0.2.1/", {}, {}})).find("https required"), std::string::npos);
}

// This test verifies that an invalid request is refused without echoing its secrets.
TEST(HttpsClientTest, InvalidRequestRefusedWithoutSecrets) {
  auto client = makeClient();
  ASSERT_NE(client, nullptr);
  OutboundRequest request{"POST", "https://192.0.2.1/token", {{"Authorization", "Basic c2VjcmV0\r\nX: y"}},
                          "client_secret=s3cr3t"};
  const std::string reason = errorOf(client->sendAndWait(request));
  EXPECT_NE(reason.find("refused request"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("c2VjcmV0"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("s3cr3t"), std::string::npos) << reason;
}

// This test verifies that the callback runs on the client's thread, and that sendAndWait
// from there returns an error instead of deadlocking.
TEST(HttpsClientTest, SendAndWaitOnOwnThreadIsRefused) {
  auto client = makeClient();
  ASSERT_NE(client, nullptr);
  std::promise<std::pair<std::thread::id, std::string>> inner;
  auto inner_result = inner.get_future();
  client->send({"GET", "ftp://idp.example.com/", {}, {}}, [&](OutboundResult) {
    const OutboundResult nested = client->sendAndWait({"GET", "https://192.0.2.1/", {}, {}});
    const auto* reason = std::get_if<std::string>(&nested);
    inner.set_value({std::this_thread::get_id(), reason ? *reason : "response"});
  });
  const auto [thread_id, reason] = inner_result.get();
  EXPECT_NE(thread_id, std::this_thread::get_id());
  EXPECT_NE(reason.find("own thread"), std::string::npos) << reason;
}

// This test verifies that destroying the client ends a pending exchange with a reason
// (a caller waiting on it is never left hanging).
TEST(HttpsClientTest, DestructionEndsPendingExchanges) {
  HttpsClient::Options options;
  options.timeout = std::chrono::seconds(600);
  auto client = makeClient(options);
  ASSERT_NE(client, nullptr);
  std::promise<std::string> answer;
  auto result = answer.get_future();
  // TEST-NET-1 never answers: the connect stays pending until the client goes away.
  client->send({"GET", "https://192.0.2.1:443/", {}, {}}, [&](OutboundResult r) {
    const auto* reason = std::get_if<std::string>(&r);
    answer.set_value(reason ? *reason : "response");
  });
  client.reset();
  const std::string reason = result.get();
  EXPECT_FALSE(reason.empty());
  EXPECT_NE(reason, "response");
}

}  // namespace
}  // namespace oh::gateway
