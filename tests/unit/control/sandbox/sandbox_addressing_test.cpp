// Names, urls and ports derived from a record, and the keys' format.
#include "sandbox/sandbox_addressing.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "sandbox/sandbox_keys.h"
#include "service_harness.h"

namespace oh::control::testing {
namespace {

TEST(SandboxAddressing, PortsComeFromWhatOpenHandsSends) {
  const SandboxPorts ports = portsOf(openHandsStart("x").spec);
  EXPECT_EQ(ports.agent, 60000);
  EXPECT_EQ(ports.vscode, 60001);
  EXPECT_EQ(ports.worker_1, 12000);
  EXPECT_EQ(ports.worker_2, 12001);
}

TEST(SandboxAddressing, AgentPortFormsAndDefault) {
  SandboxSpec spec;
  spec.command = {"/bin/agent"};
  EXPECT_EQ(portsOf(spec).agent, kDefaultAgentPort);
  spec.command = {"/bin/agent", "--port", "8000"};
  EXPECT_EQ(portsOf(spec).agent, 8000);
  spec.command = {"/bin/agent", "--host", "0.0.0.0", "--port=8001"};
  EXPECT_EQ(portsOf(spec).agent, 8001);
  spec.command = {"/bin/agent", "--port"};  // no value: the default
  EXPECT_EQ(portsOf(spec).agent, kDefaultAgentPort);
  spec.command = {"/bin/agent", "--portal", "9"};
  EXPECT_EQ(portsOf(spec).agent, kDefaultAgentPort);
  spec.command = {"/bin/agent", "--port", "+80"};
  EXPECT_EQ(portsOf(spec).agent, 0);
}

TEST(SandboxAddressing, EnvironmentPortsInvalidOrMissingAreNone) {
  SandboxSpec spec;
  spec.environment = {{"OH_VSCODE_PORT", "abc"}, {"WORKER_1", "70000"}, {"WORKER_2", "-1"}};
  const SandboxPorts ports = portsOf(spec);
  EXPECT_EQ(ports.vscode, 0);
  EXPECT_EQ(ports.worker_1, 0);
  EXPECT_EQ(ports.worker_2, 0);
  spec.environment = {{"WORKER_1", "1"}, {"WORKER_1", "2"}};
  EXPECT_EQ(portsOf(spec).worker_1, 2) << "the last one wins, as in a process's environment";
}

TEST(SandboxAddressing, ParsePort) {
  EXPECT_EQ(parsePort("1"), 1);
  EXPECT_EQ(parsePort("65535"), 65535);
  EXPECT_EQ(parsePort("65536"), 0);
  EXPECT_EQ(parsePort("000080"), 0) << "more than five digits";
  EXPECT_EQ(parsePort(""), 0);
  EXPECT_EQ(parsePort(" 80"), 0);
}

TEST(SandboxAddressing, NamesAndUrl) {
  auto settings = ServiceHarness().settings();
  EXPECT_EQ(workloadName("AbC"), "oh-sandbox-abc");
  EXPECT_EQ(networkName(settings, kOwnerA), "oh-user-" + kOwnerA);
  EXPECT_EQ(sandboxUrl(settings, "AbC", 60000), "https://60000-abc.runtime.example.com");
  settings.public_port = 443;
  EXPECT_EQ(sandboxUrl(settings, "AbC", 60000), "https://60000-abc.runtime.example.com");
  settings.public_port = 8443;
  EXPECT_EQ(sandboxUrl(settings, "AbC", 60000), "https://60000-abc.runtime.example.com:8443");
  settings.public_scheme = "http";
  settings.public_port = 80;
  EXPECT_EQ(sandboxUrl(settings, "AbC", 8000), "http://8000-abc.runtime.example.com");
}

TEST(SandboxKeys, TwoDistinctUrlSafeKeysOf32Bytes) {
  common::SystemRandomSource random;
  const SandboxKeys keys = generateSandboxKeys(random);
  for (const auto& key : {keys.session_api_key, keys.secret_key}) {
    auto bytes = common::base64UrlDecode(key);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), 32u);
  }
  EXPECT_NE(keys.session_api_key, keys.secret_key);
  EXPECT_NE(generateSandboxKeys(random).session_api_key, keys.session_api_key);
}

TEST(SandboxKeys, SealedValueRejectsTamperingAndAnotherKey) {
  common::SystemRandomSource random;
  auto box = common::SealedBox::create(kSealKey);
  auto other = common::SealedBox::create(std::string(32, 'o'));
  ASSERT_TRUE(box && other);
  const SandboxKeys keys = generateSandboxKeys(random);
  std::string sealed = sealSandboxKeys(*box, keys, kOwnerA, "id1", random);
  auto opened = unsealSandboxKeys(*box, sealed, kOwnerA, "id1");
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->session_api_key, keys.session_api_key);
  EXPECT_EQ(opened->secret_key, keys.secret_key);
  EXPECT_FALSE(unsealSandboxKeys(*other, sealed, kOwnerA, "id1"));
  sealed[sealed.size() / 2] = sealed[sealed.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(unsealSandboxKeys(*box, sealed, kOwnerA, "id1"));
  EXPECT_FALSE(unsealSandboxKeys(*box, "", kOwnerA, "id1"));
  // A well-sealed value that is not two keys is refused too.
  EXPECT_FALSE(unsealSandboxKeys(*box, box->seal("oh sandbox keys v1\n" + kOwnerA + "\nid1", "onekey", random),
                                 kOwnerA, "id1"));
}

}  // namespace
}  // namespace oh::control::testing
