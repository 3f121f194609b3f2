// The credential endpoint against real peers (issue 15): moto's STS with authentication on (it
// recomputes every SigV4 signature with botocore and checks IAM policies and trust), a fake
// IMDSv2 on loopback serving session credentials moto issued, our listener over real sockets,
// and, in a network namespace of the test's own with 169.254.170.2 on it, Debian's botocore in a
// Podman container reading credentials from http://169.254.170.2:{port}/v1/credentials.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>

#include "credentials/assume_role_client.h"
#include "credentials/credential_cache.h"
#include "credentials/credential_endpoint.h"
#include "credentials/own_credentials.h"
#include "credentials/sigv4.h"
#include "http/credentials_server.h"
#include "outbound/https_client.h"
#include "support/child_processes.h"

namespace oh::gateway::credentials {
namespace {

using control::aws::AwsCredentials;
namespace fs = std::filesystem;

const std::string kScripts = OH_CREDENTIALS_TEST_DIR;
const std::string kUserA = "0123456789abcdef0123456789abcdef";
const std::string kUserB = "fedcba9876543210fedcba9876543210";

std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

bool waitForPort(std::uint16_t port, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (accepts(port)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Runs a command, its standard output.
std::string run(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) {
      out.append(buffer, n);
    }
    ::pclose(pipe);
  }
  return out;
}

struct Moto {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string endpoint;
  AwsCredentials user;  // the IAM user's long-term key
  std::string bedrock_role_arn, instance_role_arn;
};

Moto* moto = nullptr;

class CredentialsIntegrationTest : public ::testing::Test {
public:
  static void SetUpTestSuite() {
    moto = new Moto;
    moto->port = freePort();
    moto->endpoint = "http://127.0.0.1:" + std::to_string(moto->port);
    ::setenv("INITIAL_NO_AUTH_ACTION_COUNT", "6", 1);  // moto_iam_setup.py's six calls, then auth
    const int log = ::open("/tmp/oh-credentials-moto.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    moto->pid = oh::testing::spawnProcess({"moto_server", "-H", "127.0.0.1", "-p", std::to_string(moto->port)}, log, log);
    ::close(log);
    ::unsetenv("INITIAL_NO_AUTH_ACTION_COUNT");
    ASSERT_TRUE(waitForPort(moto->port, std::chrono::seconds(60))) << "moto_server did not start";
    const std::string made = run("python3 " + kScripts + "/moto_iam_setup.py " + moto->endpoint);
    const auto json = boost::json::parse(made).as_object();
    moto->user = AwsCredentials{std::string(json.at("access_key_id").as_string()),
                                std::string(json.at("secret_access_key").as_string()), "", std::nullopt};
    moto->bedrock_role_arn = std::string(json.at("bedrock_role_arn").as_string());
    moto->instance_role_arn = std::string(json.at("instance_role_arn").as_string());
  }
  static void TearDownTestSuite() {
    if (moto != nullptr && moto->pid > 0) {
      oh::testing::terminateProcess(moto->pid, std::chrono::seconds(5));
    }
    delete moto;
    moto = nullptr;
  }

protected:
  void SetUp() override {
    ASSERT_NE(moto, nullptr);
    ASSERT_FALSE(moto->user.access_key_id.empty()) << "moto setup failed; see /tmp/oh-credentials-moto.log";
    auto made = HttpsClient::create({.ca_file = "", .timeout = std::chrono::seconds(20), .allow_loopback_http = true});
    client = std::move(std::get<std::unique_ptr<HttpsClient>>(made));
  }
  void TearDown() override { client.reset(); }  // ends exchanges while the caches still exist

  static CredentialCache::Fetch fixed(AwsCredentials credentials) {
    return [credentials](const std::string&, CredentialsDone done) { done(credentials); };
  }

  AssumeRoleSettings stsSettings(std::string role_arn = "") const {
    return AssumeRoleSettings{role_arn.empty() ? moto->bedrock_role_arn : role_arn, "us-east-1", moto->endpoint,
                              std::chrono::seconds(900)};
  }

  static CredentialsResult waitFor(const std::function<void(CredentialsDone)>& start) {
    std::promise<CredentialsResult> promise;
    start([&promise](CredentialsResult result) { promise.set_value(std::move(result)); });
    auto future = promise.get_future();
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return common::failure("no answer within 60 s");
    }
    return future.get();
  }

  // STS GetCallerIdentity signed with `credentials`: moto checks the signature and names the caller.
  std::string callerArn(const AwsCredentials& credentials) {
    control::aws::SignableRequest request;
    request.method = "POST";
    request.headers = {{"Host", "127.0.0.1:" + std::to_string(moto->port)},
                       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    request.payload = "Action=GetCallerIdentity&Version=2011-06-15";
    control::aws::sign(request, credentials, {"us-east-1", "sts"}, clock.now());
    OutboundRequest outbound;
    outbound.method = "POST";
    outbound.url = moto->endpoint + "/";
    for (auto& header : request.headers) {
      if (header.first != "Host") {
        outbound.headers.push_back(header);
      }
    }
    outbound.body = request.payload;
    auto result = client->sendAndWait(std::move(outbound));
    if (auto* reason = std::get_if<std::string>(&result)) {
      return "error: " + *reason;
    }
    const auto& response = std::get<OutboundResponse>(result);
    const auto start = response.body.find("<Arn>");
    const auto end = response.body.find("</Arn>");
    if (response.status != 200 || start == std::string::npos || end == std::string::npos) {
      return "HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 300);
    }
    return response.body.substr(start + 5, end - start - 5);
  }

  common::SystemWallClock clock;
  std::unique_ptr<HttpsClient> client;
};

TEST_F(CredentialsIntegrationTest, AssumeRoleNamesTheUserAndItsCredentialsWork) {
  CredentialCache own(fixed(moto->user), clock, {});
  AssumeRoleClient sts(stsSettings(), *client, own, clock);
  const auto result = waitFor([&](CredentialsDone done) { sts.assumeRole(kUserA, std::move(done)); });
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_FALSE(result->session_token.empty());
  ASSERT_TRUE(result->expiration);
  EXPECT_GT(*result->expiration, clock.now() + std::chrono::seconds(800));
  EXPECT_LE(*result->expiration, clock.now() + std::chrono::seconds(905)) << "DurationSeconds 900 was sent";
  // Signed with the session credentials (token included), checked by moto: the session is the user's.
  EXPECT_EQ(callerArn(*result), "arn:aws:sts::123456789012:assumed-role/oh-bedrock/oh-" + kUserA);
}

TEST_F(CredentialsIntegrationTest, MotoRefusesAWrongSignature) {
  AwsCredentials wrong = moto->user;
  wrong.secret_access_key.back() = wrong.secret_access_key.back() == 'A' ? 'B' : 'A';
  CredentialCache own(fixed(wrong), clock, {});
  AssumeRoleClient sts(stsSettings(), *client, own, clock);
  const auto result = waitFor([&](CredentialsDone done) { sts.assumeRole(kUserA, std::move(done)); });
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().reason.find("SignatureDoesNotMatch"), std::string::npos) << result.error().reason;
  EXPECT_EQ(result.error().reason.find(wrong.secret_access_key), std::string::npos);
}

TEST_F(CredentialsIntegrationTest, MotoRefusesARoleTheCallerMayNotAssume) {
  CredentialCache own(fixed(moto->user), clock, {});
  AssumeRoleClient sts(stsSettings("arn:aws:iam::123456789012:role/not-granted"), *client, own, clock);
  const auto result = waitFor([&](CredentialsDone done) { sts.assumeRole(kUserA, std::move(done)); });
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().reason.find("AccessDenied"), std::string::npos) << result.error().reason;
}

TEST_F(CredentialsIntegrationTest, InstanceRoleFromImdsV2SignsTheAssumeRole) {
  const std::uint16_t imds_port = freePort();
  const std::string command = "python3 " + kScripts + "/fake_imds.py " + std::to_string(imds_port) + " " +
                              moto->endpoint + " " + moto->user.access_key_id + " " + moto->user.secret_access_key +
                              " " + moto->instance_role_arn;
  const int log = ::open("/tmp/oh-credentials-imds.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t imds = oh::testing::spawnProcess({"sh", "-c", "exec " + command}, log, log);
  ::close(log);
  ASSERT_TRUE(waitForPort(imds_port, std::chrono::seconds(60))) << "fake IMDS did not start";

  CredentialCache own(imdsCredentials(*client, "http://127.0.0.1:" + std::to_string(imds_port)), clock, {});
  const auto instance = waitFor([&](CredentialsDone done) { own.get("", std::move(done)); });
  ASSERT_TRUE(instance) << instance.error().reason;
  EXPECT_EQ(callerArn(*instance), "arn:aws:sts::123456789012:assumed-role/oh-instance/i-0123456789abcdef0");

  AssumeRoleClient sts(stsSettings(), *client, own, clock);
  const auto result = waitFor([&](CredentialsDone done) { sts.assumeRole(kUserB, std::move(done)); });
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_EQ(callerArn(*result), "arn:aws:sts::123456789012:assumed-role/oh-bedrock/oh-" + kUserB);
  EXPECT_EQ(own.stats().fetches, 1u) << "the instance credentials are cached";

  // Without IMDSv2's token, IMDS answers 401: the fetch fails rather than guessing.
  CredentialCache nowhere(imdsCredentials(*client, "http://127.0.0.1:" + std::to_string(freePort())), clock, {});
  EXPECT_FALSE(waitFor([&](CredentialsDone done) { nowhere.get("", std::move(done)); }));
  oh::testing::terminateProcess(imds, std::chrono::seconds(5));
}

// The route snapshot the endpoint reads, set by the test.
class TestRoutes final : public control::SandboxRouteSource {
public:
  control::SandboxRoutesPtr routes() const override {
    std::lock_guard lock(mutex_);
    return snapshot_;
  }
  void noteConversation(std::string_view, std::string_view) override {}
  void set(const std::vector<std::pair<std::string, std::string>>& sandboxes) {
    std::vector<control::SandboxRoutePtr> routes;
    for (const auto& [id, owner] : sandboxes) {
      auto route = std::make_shared<control::SandboxRoute>();
      route->sandbox_id = id;
      route->owner = owner;
      routes.push_back(std::move(route));
    }
    std::lock_guard lock(mutex_);
    snapshot_ = std::make_shared<control::SandboxRoutes>(std::move(routes), std::unordered_map<std::string, std::string>{});
  }

private:
  mutable std::mutex mutex_;
  control::SandboxRoutesPtr snapshot_ = std::make_shared<control::SandboxRoutes>();
};

class MovableClock final : public common::WallClock {
public:
  common::UnixSeconds now() const override {
    return common::SystemWallClock().now() + std::chrono::seconds(offset_.load());
  }
  void advance(std::chrono::seconds by) { offset_ += by.count(); }

private:
  std::atomic<std::int64_t> offset_{0};
};

// The whole endpoint on a real socket: our listener, the per-user cache, STS at moto.
class CredentialEndpointServerTest : public CredentialsIntegrationTest {
protected:
  void SetUp() override {
    CredentialsIntegrationTest::SetUp();
    routes->set({{"SbxA1", kUserA}, {"SbxA2", kUserA}, {"SbxB1", kUserB}});
    own = std::make_unique<CredentialCache>(fixed(moto->user), clock, CredentialCache::Options{});
    sts = std::make_unique<AssumeRoleClient>(stsSettings(), *client, *own, clock);
    users = std::make_unique<CredentialCache>(sts->asFetch(), user_clock,
                                              CredentialCache::Options{.refresh_before_expiry = std::chrono::seconds(300)});
    endpoint = std::make_unique<CredentialEndpoint>(tokens, routes, *users);
  }
  void TearDown() override {
    if (server) {
      server->stop();
    }
    client.reset();
  }

  void listen(const std::string& address, std::uint16_t port) {
    server = std::make_unique<CredentialsServer>(CredentialsServerOptions{.listen_address = address, .listen_port = port},
                                                 *endpoint, metrics);
    ASSERT_EQ(server->start(), std::nullopt);
  }

  OutboundResponse get(const std::optional<std::string>& token, const std::string& target = "/v1/credentials") {
    OutboundRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(server->address().port) + target;
    request.headers = {{"Accept", "application/json"}};
    if (token) {
      request.headers.emplace_back("Authorization", *token);
    }
    auto result = client->sendAndWait(std::move(request));
    if (auto* reason = std::get_if<std::string>(&result)) {
      ADD_FAILURE() << *reason;
      return {};
    }
    return std::get<OutboundResponse>(result);
  }

  MovableClock user_clock;
  std::shared_ptr<TestRoutes> routes = std::make_shared<TestRoutes>();
  control::SandboxCredentialTokens tokens = control::SandboxCredentialTokens::fromKey(std::string(32, 'k')).value();
  std::unique_ptr<CredentialCache> own;
  std::unique_ptr<AssumeRoleClient> sts;
  std::unique_ptr<CredentialCache> users;
  std::unique_ptr<CredentialEndpoint> endpoint;
  CredentialMetrics metrics;
  std::unique_ptr<CredentialsServer> server;
};

TEST_F(CredentialEndpointServerTest, ServesEachSandboxItsOwnersCredentialsAndRefusesTheRest) {
  listen("127.0.0.1", 0);
  const auto a1 = get(tokens.tokenFor("SbxA1"));
  ASSERT_EQ(a1.status, 200u) << a1.body;
  EXPECT_EQ(a1.content_type, "application/json");
  const auto body = boost::json::parse(a1.body).as_object();
  const AwsCredentials credentials{std::string(body.at("AccessKeyId").as_string()),
                                   std::string(body.at("SecretAccessKey").as_string()),
                                   std::string(body.at("Token").as_string()), std::nullopt};
  EXPECT_EQ(callerArn(credentials), "arn:aws:sts::123456789012:assumed-role/oh-bedrock/oh-" + kUserA);
  EXPECT_EQ(get(tokens.tokenFor("SbxA2")).body, a1.body) << "the same user's sandboxes share one AssumeRole";

  const auto b1 = get(tokens.tokenFor("SbxB1"));
  ASSERT_EQ(b1.status, 200u);
  EXPECT_NE(boost::json::parse(b1.body).at("AccessKeyId"), body.at("AccessKeyId"));

  EXPECT_EQ(get(std::nullopt).status, 401u);
  EXPECT_EQ(get(std::string("garbage")).status, 403u);
  const auto other_key = control::SandboxCredentialTokens::fromKey(std::string(32, 'x')).value();
  EXPECT_EQ(get(other_key.tokenFor("SbxA1")).status, 403u);
  EXPECT_EQ(get(tokens.tokenFor("SbxUnknown")).status, 403u);
  EXPECT_EQ(get(tokens.tokenFor("SbxA1"), "/v1/credentials/../admin").status, 404u);

  routes->set({{"SbxB1", kUserB}});  // A's sandboxes removed
  EXPECT_EQ(get(tokens.tokenFor("SbxA1")).status, 403u);
  EXPECT_EQ(get(tokens.tokenFor("SbxB1")).status, 200u);
  EXPECT_EQ(users->stats().fetches, 2u);
  const std::string rendered = metrics.renderPrometheus(users->stats(), own->stats());
  EXPECT_NE(rendered.find("oh_credentials_assume_role_total 2\n"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("oh_credentials_requests_total{outcome=\"forbidden\"} 4\n"), std::string::npos) << rendered;
}

TEST_F(CredentialEndpointServerTest, ConcurrentRequestsOfOneUserMakeOneAssumeRole) {
  listen("127.0.0.1", 0);
  std::vector<std::future<OutboundResponse>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async, [this, i] { return get(tokens.tokenFor(i % 2 ? "SbxA1" : "SbxA2")); }));
  }
  std::set<std::string> bodies;
  for (auto& answer : answers) {
    const auto response = answer.get();
    EXPECT_EQ(response.status, 200u);
    bodies.insert(response.body);
  }
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(users->stats().fetches, 1u);
}

TEST_F(CredentialEndpointServerTest, CredentialsAreRefreshedShortlyBeforeExpiry) {
  listen("127.0.0.1", 0);
  const auto first = get(tokens.tokenFor("SbxA1"));
  ASSERT_EQ(first.status, 200u);
  user_clock.advance(std::chrono::seconds(500));  // 900 s credentials: 400 s left > 300 s margin
  EXPECT_EQ(get(tokens.tokenFor("SbxA1")).body, first.body);
  user_clock.advance(std::chrono::seconds(150));  // 250 s left: refreshed
  const auto refreshed = get(tokens.tokenFor("SbxA1"));
  ASSERT_EQ(refreshed.status, 200u);
  EXPECT_NE(boost::json::parse(refreshed.body).at("AccessKeyId"), boost::json::parse(first.body).at("AccessKeyId"));
  EXPECT_EQ(users->stats().fetches, 2u);
  EXPECT_EQ(users->stats().hits, 1u);
}

// Debian's botocore in a Podman container, in this test's own network namespace (ctest runs it
// under unshare -n with 169.254.170.2 on lo; elsewhere it is skipped): the real URI form.
TEST_F(CredentialEndpointServerTest, BotocoreInAContainerReadsItsCredentials) {
  if (std::getenv("OH_CREDENTIALS_NETNS") == nullptr) {
    GTEST_SKIP() << "runs as credentials_botocore_container_test (in a network namespace)";
  }
  listen("169.254.170.2", 0);
  const std::string uri = "http://169.254.170.2:" + std::to_string(server->address().port) + "/v1/credentials";
  const fs::path rootfs = fs::temp_directory_path() / ("oh-creds-rootfs-" + std::to_string(::getpid()));
  fs::create_directories(rootfs / "usr");
  for (const char* dir : {"etc", "tmp", "proc", "dev", "sys", "work"}) {
    fs::create_directories(rootfs / dir);
  }
  for (const char* link : {"bin", "lib", "lib64", "sbin"}) {
    fs::create_directory_symlink(std::string("usr/") + link, rootfs / link);
  }
  std::ofstream(rootfs / "etc/passwd") << "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n";
  // The container shares this namespace (--network host): 169.254.170.2 and moto's loopback port.
  auto botocore = [&](const std::string& token) {
    return run("podman run --rm --network host --user 65534:65534 -v /usr:/usr:ro -v " + kScripts + ":/work:ro" +
               " -e AWS_CONTAINER_CREDENTIALS_FULL_URI=" + uri + " -e AWS_CONTAINER_AUTHORIZATION_TOKEN='" + token +
               "' -e OH_TEST_STS_ENDPOINT=" + moto->endpoint + " -e HOME=/tmp --rootfs " + rootfs.string() +
               " /usr/bin/python3 /work/botocore_reads_credentials.py 2>&1");
  };
  const std::string good = botocore(tokens.tokenFor("SbxA1"));
  const std::string refused = botocore(tokens.tokenFor("SbxGone"));
  fs::remove_all(rootfs);

  const auto answer = boost::json::parse(good.substr(good.find('{'))).as_object();
  ASSERT_TRUE(answer.contains("arn")) << good;
  EXPECT_EQ(answer.at("method").as_string(), "container-role");
  EXPECT_EQ(answer.at("arn").as_string(), "arn:aws:sts::123456789012:assumed-role/oh-bedrock/oh-" + kUserA);
  EXPECT_NE(refused.find("\"error\""), std::string::npos) << refused;
  EXPECT_NE(refused.find("403"), std::string::npos) << refused;
}

}  // namespace
}  // namespace oh::gateway::credentials
