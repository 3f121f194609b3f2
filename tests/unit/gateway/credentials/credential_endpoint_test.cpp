// The endpoint's answers: a sandbox's token opens its owner's credentials while the sandbox
// exists in the route snapshot; a missing, malformed, forged, other-key, or removed sandbox's
// token is refused, and no refusal or log names the token.
#include "credentials/credential_endpoint.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <mutex>

#include "test_clock.h"

namespace oh::gateway::credentials {
namespace {

using control::aws::AwsCredentials;

const std::string kOwnerA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kOwnerB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

class FakeRoutes final : public control::SandboxRouteSource {
public:
  control::SandboxRoutesPtr routes() const override {
    std::lock_guard lock(mutex_);
    return snapshot_;
  }
  void noteConversation(std::string_view, std::string_view) override {}

  void set(const std::vector<std::pair<std::string, std::string>>& sandboxes) {  // id, owner
    std::vector<control::SandboxRoutePtr> routes;
    for (const auto& [id, owner] : sandboxes) {
      auto route = std::make_shared<control::SandboxRoute>();
      route->sandbox_id = id;
      route->owner = owner;
      route->address = "10.88.0.9";
      routes.push_back(std::move(route));
    }
    std::lock_guard lock(mutex_);
    snapshot_ = std::make_shared<control::SandboxRoutes>(std::move(routes), std::unordered_map<std::string, std::string>{});
  }

private:
  mutable std::mutex mutex_;
  control::SandboxRoutesPtr snapshot_ = std::make_shared<control::SandboxRoutes>();
};

class CredentialEndpointTest : public ::testing::Test {
protected:
  CredentialEndpointTest() {
    routes->set({{"SbxA1", kOwnerA}, {"SbxA2", kOwnerA}, {"SbxB1", kOwnerB}});
  }

  CredentialReply call(std::vector<std::string_view> authorization, std::string_view target = kCredentialsPath,
                       std::string_view method = "GET") {
    std::optional<CredentialReply> reply;
    endpoint.handle(method, target, authorization, [&](CredentialReply r) { reply = std::move(r); });
    EXPECT_TRUE(reply) << "answered at once: the fetch here is synchronous";
    return reply ? *reply : CredentialReply{};
  }

  testing::TestClock clock{1'800'000'000};
  std::vector<std::string> fetched;  // user keys, in order
  std::string failing_user;
  CredentialCache users{[this](const std::string& user, CredentialsDone done) {
                          fetched.push_back(user);
                          if (user == failing_user) {
                            return done(common::failure("AccessDenied: secret-ish detail"));
                          }
                          done(AwsCredentials{"ASIA" + user.substr(0, 12), "secret-of-" + user, "token-of-" + user,
                                              clock.now() + std::chrono::hours(1)});
                        },
                        clock,
                        {}};
  std::shared_ptr<FakeRoutes> routes = std::make_shared<FakeRoutes>();
  control::SandboxCredentialTokens tokens = control::SandboxCredentialTokens::fromKey(std::string(32, 'k')).value();
  CredentialEndpoint endpoint{tokens, routes, users};
};

TEST_F(CredentialEndpointTest, ATokenOpensItsOwnersCredentialsInBotocoresShape) {
  const std::string token = tokens.tokenFor("SbxA1");
  const CredentialReply reply = call({token});
  ASSERT_EQ(reply.status, 200u) << reply.body;
  EXPECT_EQ(reply.owner, kOwnerA);
  const auto body = boost::json::parse(reply.body).as_object();
  EXPECT_EQ(body.at("AccessKeyId").as_string(), "ASIAaaaaaaaaaaaa");
  EXPECT_EQ(body.at("SecretAccessKey").as_string(), "secret-of-" + kOwnerA);
  EXPECT_EQ(body.at("Token").as_string(), "token-of-" + kOwnerA);
  EXPECT_EQ(body.at("Expiration").as_string(), "2027-01-15T09:00:00Z");
  EXPECT_EQ(body.size(), 4u);
}

TEST_F(CredentialEndpointTest, SandboxesOfOneUserShareOneAssumeRole) {
  EXPECT_EQ(call({tokens.tokenFor("SbxA1")}).status, 200u);
  EXPECT_EQ(call({tokens.tokenFor("SbxA2")}).status, 200u);
  EXPECT_EQ(call({tokens.tokenFor("SbxB1")}).owner, kOwnerB);
  EXPECT_EQ(fetched, (std::vector<std::string>{kOwnerA, kOwnerB}));
}

TEST_F(CredentialEndpointTest, RefusesMissingMalformedAndForgedTokens) {
  EXPECT_EQ(call({}).status, 401u);
  const std::string good = tokens.tokenFor("SbxA1");
  const auto other_key = control::SandboxCredentialTokens::fromKey(std::string(32, 'x')).value();
  for (const std::string& bad : {std::string(""), std::string("Bearer ") + good, good.substr(0, good.size() - 1),
                                 other_key.tokenFor("SbxA1"), std::string("ohcr1.SbxA1.") + std::string(43, 'A'),
                                 std::string(5000, 'a')}) {
    const CredentialReply reply = call({bad});
    EXPECT_EQ(reply.status, 403u) << bad;
    EXPECT_TRUE(reply.owner.empty());
    if (!bad.empty()) {
      EXPECT_EQ(reply.body.find(bad), std::string::npos) << "never echoed";
    }
  }
  EXPECT_EQ(call({good, good}).status, 400u) << "one Authorization field, not several";
  EXPECT_TRUE(fetched.empty()) << "no refusal reaches STS";
}

TEST_F(CredentialEndpointTest, ARemovedSandboxsTokenStopsWorking) {
  const std::string token = tokens.tokenFor("SbxA2");
  EXPECT_EQ(call({token}).status, 200u);
  routes->set({{"SbxA1", kOwnerA}, {"SbxB1", kOwnerB}});
  EXPECT_EQ(call({token}).status, 403u);
  EXPECT_EQ(call({tokens.tokenFor("SbxA1")}).status, 200u);
}

TEST_F(CredentialEndpointTest, ATokenOpensOnlyItsOwnSandboxsOwner) {
  // An id reused by another owner after a stop: the token follows the sandbox, not the user.
  const std::string token = tokens.tokenFor("SbxA1");
  routes->set({{"SbxA1", kOwnerB}});
  EXPECT_EQ(call({token}).owner, kOwnerB);
  // A token for an id differing only in case names another sandbox.
  EXPECT_EQ(call({tokens.tokenFor("sbxa1")}).status, 403u);
}

TEST_F(CredentialEndpointTest, OtherPathsAndMethodsAreRefused) {
  const std::string token = tokens.tokenFor("SbxA1");
  EXPECT_EQ(call({token}, "/v1/credentials?x=1").status, 404u);
  EXPECT_EQ(call({token}, "/").status, 404u);
  EXPECT_EQ(call({token}, kCredentialsPath, "POST").status, 405u);
}

TEST_F(CredentialEndpointTest, StsFailureIs503WithoutDetail) {
  failing_user = kOwnerA;
  const CredentialReply reply = call({tokens.tokenFor("SbxA1")});
  EXPECT_EQ(reply.status, 503u);
  EXPECT_EQ(reply.body.find("secret-ish"), std::string::npos);
  EXPECT_EQ(reply.owner, kOwnerA);
}

}  // namespace
}  // namespace oh::gateway::credentials
