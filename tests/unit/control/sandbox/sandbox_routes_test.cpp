// The route snapshot the data plane reads: lookups by lowercase sandbox or conversation id, and
// refusal (nullptr) of any key that could mean two sandboxes.
#include "sandbox/sandbox_routes.h"

#include <gtest/gtest.h>

#include <memory>

namespace oh::control {
namespace {

SandboxRoutePtr route(std::string id, std::string owner, std::string address = "10.88.0.5") {
  auto r = std::make_shared<SandboxRoute>();
  r->sandbox_id = std::move(id);
  r->owner = std::move(owner);
  r->address = std::move(address);
  r->agent_port = 60000;
  return r;
}

TEST(SandboxRoutes, FindsSandboxByLowercaseIdOnly) {
  SandboxRoutes routes({route("AbC123", "owner1")}, {});
  ASSERT_NE(routes.find("abc123"), nullptr);
  EXPECT_EQ(routes.find("abc123")->sandbox_id, "AbC123");
  EXPECT_EQ(routes.find("abc123")->owner, "owner1");
  EXPECT_EQ(routes.find("AbC123"), nullptr) << "the router lowercases the host first";
  EXPECT_EQ(routes.find("abc12"), nullptr);
  EXPECT_EQ(routes.find(""), nullptr);
  EXPECT_EQ(routes.size(), 1u);
}

TEST(SandboxRoutes, FindsSandboxThroughItsConversation) {
  SandboxRoutes routes({route("Sb1", "owner1"), route("Sb2", "owner2")},
                       {{"0123456789abcdef0123456789abcdef", "Sb2"}});
  const SandboxRoute* found = routes.find("0123456789abcdef0123456789abcdef");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->sandbox_id, "Sb2");
  EXPECT_EQ(found->owner, "owner2");
}

TEST(SandboxRoutes, ConversationOfAnUnknownSandboxIsIgnored) {
  SandboxRoutes routes({route("Sb1", "owner1")}, {{"0123456789abcdef0123456789abcdef", "Gone"}});
  EXPECT_EQ(routes.find("0123456789abcdef0123456789abcdef"), nullptr);
}

TEST(SandboxRoutes, IdsDifferingOnlyInCaseReachNeither) {
  SandboxRoutes routes({route("abcDEF", "owner1"), route("ABCdef", "owner2"), route("other", "owner1")}, {});
  EXPECT_EQ(routes.find("abcdef"), nullptr);
  EXPECT_NE(routes.find("other"), nullptr);
}

TEST(SandboxRoutes, ConversationIdEqualToAnotherSandboxIdReachesNeither) {
  // A conversation id that is also (in lower case) another sandbox's id is ambiguous.
  SandboxRoutes routes({route("deadbeef", "owner1"), route("Sb2", "owner2")}, {{"deadbeef", "Sb2"}});
  EXPECT_EQ(routes.find("deadbeef"), nullptr);
  EXPECT_NE(routes.find("sb2"), nullptr);
}

TEST(SandboxRoutes, ConversationIdEqualToItsOwnSandboxIdIsFine) {
  // OpenHands makes the sandbox id conversation_id.hex when a start names the conversation.
  SandboxRoutes routes({route("0123456789abcdef0123456789abcdef", "owner1")},
                       {{"0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"}});
  EXPECT_NE(routes.find("0123456789abcdef0123456789abcdef"), nullptr);
}

TEST(SandboxRoutes, StoppedSandboxIsFoundButNotRunning) {
  SandboxRoutes routes({route("Sb1", "owner1", "")}, {});
  ASSERT_NE(routes.find("sb1"), nullptr);
  EXPECT_FALSE(routes.find("sb1")->running());
}

// This test verifies a webhook's key hash names its sandbox, and a hash two sandboxes share (or
// none has, or the empty hash of a paused sandbox) names none.
TEST(SandboxRoutes, FindsSandboxBySessionKeyHash) {
  const auto keyed = [](std::string id, std::string owner, std::string hash) {
    auto r = std::make_shared<SandboxRoute>(*route(std::move(id), std::move(owner)));
    r->session_key_sha256 = std::move(hash);
    return SandboxRoutePtr(r);
  };
  auto a = keyed("Sa", "owner1", std::string(32, 'a'));
  auto b = keyed("Sb", "owner2", std::string(32, 'b'));
  auto c = keyed("Sc", "owner3", std::string(32, 'b'));
  auto paused = route("Sp", "owner4", "");
  SandboxRoutes routes({a, b, c, paused}, {});
  ASSERT_NE(routes.findBySessionKeyHash(std::string(32, 'a')), nullptr);
  EXPECT_EQ(routes.findBySessionKeyHash(std::string(32, 'a'))->owner, "owner1");
  EXPECT_EQ(routes.findBySessionKeyHash(std::string(32, 'b')), nullptr);
  EXPECT_EQ(routes.findBySessionKeyHash(std::string(32, 'c')), nullptr);
  EXPECT_EQ(routes.findBySessionKeyHash(""), nullptr);
}

TEST(SandboxRoutes, EmptySnapshotFindsNothing) {
  SandboxRoutes routes;
  EXPECT_EQ(routes.find("anything"), nullptr);
  EXPECT_EQ(routes.findBySessionKeyHash(std::string(32, 'a')), nullptr);
  EXPECT_EQ(routes.size(), 0u);
}

}  // namespace
}  // namespace oh::control
